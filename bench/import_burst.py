"""12. A schedule import into a running stack: through `batch` against row by row.

Starts `mediaday serve` on a free port, puts a roster (10 stations, 50 athletes) and
subscribes K kiosks (the Python client library, which subscribes as the pages do: one
`events` frame per stream batch) to the schedule, in a process of their own as TVs are
machines of their own (`bench/kiosk_fleet.py`). Then the CSV
importer (`client.importer`, what `mediaday schedule import` runs) writes N rows twice, in
the same run, on two different days of the schedule so both are N creates:
- batched: the rows in as few `batch` requests as the limits allow (99 writes, 32 KB);
- row by row: one request per row, eight in flight (the importer before `batch`).
For each it records the time until the import returns and the time until every kiosk
holds every imported slot at its acknowledged version.

Targets (issue #14): batched converges within 2 s; it returns >= 10x faster than row by
row.

    .venv/bin/python -m bench.import_burst [--smoke] [--json PATH]
"""

from __future__ import annotations

import asyncio
import io
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Figure, Outcome, benchmark_main, bounded_figure, scratch_dir
from bench.kiosk_fleet import KioskFleet, kiosk_fleet
from client.connection import MediaDayClient
from client.csvio import read_schedule
from client.import_plan import plan_schedule
from client.importer import apply_plans
from client.options import ClientOptions
from infra.local.runner import LocalStack

STATIONS, ATHLETES = 10, 50
CONVERGE_TIMEOUT = 60.0
CONVERGE_TARGET_MS = 2000.0
SPEEDUP_TARGET = 10.0


@dataclass(frozen=True)
class Plan:
    rows: int
    kiosks: int


FULL = Plan(rows=500, kiosks=100)
SMOKE = Plan(rows=40, kiosks=3)


@dataclass(frozen=True)
class Run:
    returned_s: float
    converged_s: float
    requests: int


def schedule_csv(rows: int, day: datetime, prefix: str) -> str:
    """`rows` 5-minute slots, every station busy at once, never one athlete twice at once."""
    lines = ["id,station_id,talent_id,starts_at,ends_at,title"]
    for n in range(rows):
        step, station = divmod(n, STATIONS)
        begins = day + timedelta(minutes=5 * step)
        talent = (station + step) % ATHLETES
        lines.append(
            f"{prefix}-{n},bst-{station},bt-{talent},{begins.isoformat()},"
            f"{(begins + timedelta(minutes=5)).isoformat()},row {n}"
        )
    return "\n".join(lines) + "\n"


async def put_roster(client: MediaDayClient) -> None:
    writes: list[dict[str, Any]] = [
        {
            "action": "station.put",
            "id": f"bench-st-{n}",
            "station": {"id": f"bst-{n}", "name": f"S{n}"},
        }
        for n in range(STATIONS)
    ]
    writes += [
        {"action": "talent.put", "id": f"bench-t-{n}", "talent": {"id": f"bt-{n}", "name": f"A{n}"}}
        for n in range(ATHLETES)
    ]
    await client.request("batch", writes=writes)


async def import_once(
    client: MediaDayClient, kiosks: KioskFleet, text: str, *, batched: bool
) -> Run:
    rows = read_schedule(io.StringIO(text), tz=UTC)
    plans = plan_schedule(rows, client.mirror)
    wanted = {row.slot.id for row in rows if row.slot.id}
    if len(wanted) != len(rows):
        raise RuntimeError("every generated row names its slot id")
    kiosks.watch(wanted, CONVERGE_TIMEOUT)
    started = time.monotonic()
    result = await apply_plans(client, plans, batched=batched)
    returned = time.monotonic() - started
    if result.failures or result.created != len(rows):
        raise RuntimeError(f"import failed: {result.summary()} {result.failures[:3]}")
    converged = await kiosks.converged() - started
    requests = -(-len(rows) // 99) if batched else len(rows)
    return Run(returned, converged, requests)


async def measure(stack: LocalStack, plan: Plan) -> dict[str, Run]:
    options = ClientOptions(request_timeout=60.0)
    async with MediaDayClient(
        stack.ws_url, stack.token("producer"), topics=["roster", "schedule"], options=options
    ) as producer:
        await put_roster(producer)
        async with kiosk_fleet(stack.ws_url, stack.token("kiosk"), plan.kiosks) as kiosks:
            day = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
            batched = await import_once(
                producer, kiosks, schedule_csv(plan.rows, day, "imb"), batched=True
            )
            rows = await import_once(
                producer,
                kiosks,
                schedule_csv(plan.rows, day + timedelta(days=1), "imr"),
                batched=False,
            )
    return {"batched": batched, "row_by_row": rows}


def run(smoke: bool) -> Outcome:
    plan = SMOKE if smoke else FULL
    with scratch_dir("bench-import-") as data_dir:
        stack = LocalStack(Path(data_dir), demo=False, args=["--log-level", "ERROR"]).start()
        try:
            runs = asyncio.run(measure(stack, plan))
        finally:
            stack.stop()
    batched, rows = runs["batched"], runs["row_by_row"]
    metric = "12 import burst"
    converge_ms = batched.converged_s * 1000
    figures = [
        Figure(
            metric,
            f"{plan.rows} rows batched: every one of {plan.kiosks} kiosks matches",
            round(converge_ms, 1),
            "ms",
            CONVERGE_TARGET_MS,
            "target",
            f"<= {CONVERGE_TARGET_MS:g} ms",
            converge_ms <= CONVERGE_TARGET_MS,
        ),
        bounded_figure(
            metric,
            f"{plan.rows} rows batched: import returns",
            batched.returned_s * 1000,
            rows.returned_s * 1000,
            "row by row, same run",
            1 / SPEEDUP_TARGET,
        ),
        bounded_figure(
            metric,
            f"{plan.rows} rows row by row: every kiosk matches",
            rows.converged_s * 1000,
            batched.converged_s * 1000,
            "batched converge",
            None,
        ),
    ]
    details: dict[str, Any] = {
        name: {
            "returned_ms": round(run_.returned_s * 1000, 1),
            "converged_ms": round(run_.converged_s * 1000, 1),
            "requests": run_.requests,
        }
        for name, run_ in runs.items()
    }
    details["speedup_returned"] = round(rows.returned_s / batched.returned_s, 1)
    notes = [
        "both imports in one run against one stack, on different days of the schedule (all "
        "creates); row by row keeps 8 rows in flight, as the importer did before `batch`",
        "the kiosks run in a process of their own (bench/kiosk_fleet.py), the producer alone "
        "in the benchmark's",
    ]
    return Outcome(
        benchmark="import_burst",
        figures=figures,
        parameters={"rows": plan.rows, "kiosks": plan.kiosks, "stations": STATIONS},
        details=details,
        notes=notes,
    )


if __name__ == "__main__":
    benchmark_main("import_burst", run, __doc__.splitlines()[0])
