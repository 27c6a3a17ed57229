"""9. A snapshot's cost as the day's deletes pile up: the read behind every `subscribe`
(`CoordinationStore.items_of_type`, the day's 100 live slots) with 0 and with 2,000
tombstones. Target: the caller's CPU flat (<= 1.5x the day without tombstones).

A delete keeps its item as a tombstone for the tombstone TTL (7 days; DynamoDB Local
never expires them), so `sync` can tell an offline screen what went. A busy day's deletes
(imports re-run, slots moved away and back) were all read back and parsed on each
`subscribe`, and a reconnect wave multiplies that by every screen. Against DynamoDB Local
(data on tmpfs when there is one); each size reads the same live slots. DynamoDB still
reads the tombstones it filters out, so the wall time is reported, not judged.

    .venv/bin/python -m bench.snapshot_cost [--smoke] [--json PATH]
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bench.common import (
    Outcome,
    benchmark_main,
    bounded_figure,
    median,
    offline_aws_env,
    scratch_dir,
)

if TYPE_CHECKING:
    from mediaday.coordination import CoordinationStore

MEDIA_DAY = "bench-day"


@dataclass(frozen=True)
class Plan:
    live: int
    tombstones: int
    repeats: int


FULL = Plan(live=100, tombstones=2000, repeats=15)
SMOKE = Plan(live=10, tombstones=50, repeats=3)


def measure(plan: Plan, data_dir: Path) -> dict[int, dict[str, float]]:
    """CPU and wall ms of one snapshot read (median of `repeats`) at 0 and N tombstones."""
    offline_aws_env()
    from infra.local.dynamodb import DynamoDBLocal  # noqa: PLC0415
    from mediaday.coordination import CoordinationStore  # noqa: PLC0415
    from mediaday.models import Slot  # noqa: PLC0415
    from mediaday.tables import create_tables  # noqa: PLC0415

    start = datetime(2026, 12, 3, 9, tzinfo=UTC)

    def slot(number: int) -> Slot:
        return Slot(
            media_day=MEDIA_DAY,
            id=f"sl-{number:05d}",
            station_id=f"st-{number % 6 + 1}",
            talent_id=f"t-{number}",
            starts_at=start + timedelta(minutes=number),
            ends_at=start + timedelta(minutes=number + 5),
        )

    database = DynamoDBLocal(data_dir)
    database.start()
    try:
        client = database.client()
        create_tables(client, connections="bench-connections", coordination="bench-coordination")
        store = CoordinationStore("bench-coordination", client)
        for number in range(plan.live):
            store.create(slot(number), actor="bench")
        results: dict[int, dict[str, float]] = {}
        deleted = 0
        for tombstones in (0, plan.tombstones):
            while deleted < tombstones:
                created = store.create(slot(100_000 + deleted), actor="bench").item
                store.delete(created, expected_version=created.version, actor="bench")
                deleted += 1
            results[tombstones] = _time_reads(store, plan)
        return results
    finally:
        database.stop()


def _time_reads(store: CoordinationStore, plan: Plan) -> dict[str, float]:
    cpu, wall = [], []
    for _ in range(plan.repeats + 1):  # the first read warms the connection pool
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        live = sum(1 for _ in store.items_of_type(MEDIA_DAY, "slot"))
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started_wall) * 1000)
        if live != plan.live:
            raise RuntimeError(f"the snapshot held {live} slots, not {plan.live}")
    return {"cpu_ms": median(cpu[1:]), "wall_ms": median(wall[1:])}


def run(smoke: bool) -> Outcome:
    plan = SMOKE if smoke else FULL
    with scratch_dir("bench-snapshot-") as data_dir:
        results = measure(plan, Path(data_dir))
    clean, piled = results[0], results[plan.tombstones]
    label = f"snapshot of {plan.live} slots, {plan.tombstones:,} tombstones"
    reference = f"{plan.live} slots, no tombstones"
    # the caller's CPU is judged; the wall time includes DynamoDB reading what it filters
    figures = [
        bounded_figure(
            "9 snapshot",
            f"{label}: {what}",
            piled[key],
            clean[key],
            reference,
            ratio,
            digits=2,
        )
        for what, key, ratio in (("caller CPU", "cpu_ms", 1.5), ("wall", "wall_ms", None))
    ]
    return Outcome(
        benchmark="snapshot_cost",
        figures=figures,
        parameters={"live": plan.live, "tombstones": plan.tombstones, "repeats": plan.repeats},
        details={str(size): values for size, values in results.items()},
    )


if __name__ == "__main__":
    benchmark_main("snapshot_cost", run, __doc__.splitlines()[0])
