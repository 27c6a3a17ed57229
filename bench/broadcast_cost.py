"""3. Cost per broadcast: DynamoDB requests and consumed read units for one broadcast to
100 subscribers while 10, 1,000 and 10,000 unrelated connections exist. Target: flat.

Against DynamoDB Local (AWS's own emulator, as the local stack runs it, data on tmpfs when
there is one), which reports consumed capacity: a botocore hook asks for
`ReturnConsumedCapacity=TOTAL` on every call and another sums what comes back. The
broadcast is the real Lambda entry point, `broadcast.handler.on_stream`, with one stream
record (a slot, topics `schedule` and `station:st-1`), the connections table of
tests' layout filled by bench/broadcast_throughput.py's `populate` (each connection: its
row, one subscription and its pointer) and an in-memory poster, so only DynamoDB is
counted. The reference is the naive approach at the same sizes: one Scan of the table.

    .venv/bin/python -m bench.broadcast_cost [--smoke] [--json PATH]
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import Figure, Outcome, benchmark_main, offline_aws_env, scratch_dir

# Operations that accept ReturnConsumedCapacity.
_METERED = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)


@dataclass(frozen=True)
class Plan:
    subscribers: int
    unrelated: tuple[int, ...]
    repeats: int


FULL = Plan(subscribers=100, unrelated=(10, 1000, 10000), repeats=3)
SMOKE = Plan(subscribers=5, unrelated=(2, 20), repeats=1)


class Meter:
    """Counts a client's DynamoDB requests per operation and the capacity units they
    consumed, asking for the units on every call that can report them."""

    def __init__(self, client: Any) -> None:
        self.requests: Counter[str] = Counter()
        self.units: dict[str, float] = {}
        self._lock = threading.Lock()
        events = client.meta.events
        events.register("provide-client-params.dynamodb", self._ask)
        events.register("after-call.dynamodb", self._count)

    def _ask(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in _METERED:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def _count(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        consumed = parsed.get("ConsumedCapacity") or []
        if isinstance(consumed, dict):
            consumed = [consumed]
        units = sum(float(entry.get("CapacityUnits", 0)) for entry in consumed)
        with self._lock:
            self.requests[model.name] += 1
            self.units[model.name] = self.units.get(model.name, 0.0) + units

    def take(self) -> dict[str, Any]:
        """What was counted since the last take."""
        with self._lock:
            taken = {
                "requests": dict(self.requests),
                "units": round(sum(self.units.values()), 2),
                "units_by_operation": {op: round(n, 2) for op, n in self.units.items()},
            }
            self.requests.clear()
            self.units.clear()
        return taken


class CountingPoster:
    """Accepts every post and counts them (only DynamoDB is measured here)."""

    def __init__(self) -> None:
        self.posts = 0
        self._lock = threading.Lock()

    def post(self, connection_id: str, data: bytes) -> None:
        with self._lock:
            self.posts += 1

    def close(self, connection_id: str) -> None:
        return


def measure(plan: Plan, data_dir: Path) -> dict[int, dict[str, Any]]:
    offline_aws_env()
    # Imported here: they read the environment set above.
    from bench import broadcast_throughput as bt  # noqa: PLC0415
    from broadcast.handler import on_stream  # noqa: PLC0415
    from infra.local.dynamodb import DynamoDBLocal  # noqa: PLC0415
    from infra.local.events import LambdaContext  # noqa: PLC0415
    from mediaday.connections import ConnectionStore  # noqa: PLC0415
    from mediaday.observability import logger  # noqa: PLC0415
    from mediaday.tables import create_tables  # noqa: PLC0415

    logger.setLevel("WARNING")
    database = DynamoDBLocal(data_dir)
    database.start()
    try:
        client = database.client()
        create_tables(client, connections=bt.CONNECTIONS, coordination=bt.COORDINATION)
        bt.populate(client, plan.subscribers, 0)
        store = ConnectionStore(bt.CONNECTIONS, client)
        meter = Meter(client)
        context = LambdaContext("bench-broadcast")
        event = {"Records": [bt.stream_record()]}
        results: dict[int, dict[str, Any]] = {}
        for unrelated in plan.unrelated:
            bt.populate(client, 0, unrelated)  # ids restart at 0: only the new ones are added
            poster = CountingPoster()
            on_stream(event, context, directory=store, poster=poster)  # warm-up
            meter.take()
            runs = []
            for _ in range(plan.repeats):
                poster.posts = 0
                response = on_stream(event, context, directory=store, poster=poster)
                if response["batchItemFailures"] or poster.posts != plan.subscribers:
                    raise RuntimeError(f"broadcast failed: {response}, {poster.posts} posts")
                runs.append(meter.take())
            poster.posts = 0
            bt.naive_once(client, poster)  # type: ignore[arg-type]  # any Poster will do
            naive = meter.take()
            if poster.posts != plan.subscribers:
                raise RuntimeError(f"naive reached {poster.posts} of {plan.subscribers}")
            results[unrelated] = {"broadcast": runs, "naive": naive}
        return results
    finally:
        database.stop()


def run(smoke: bool) -> Outcome:
    plan = SMOKE if smoke else FULL
    with scratch_dir("bench-cost-") as data_dir:
        results = measure(plan, Path(data_dir))
    smallest, largest = min(plan.unrelated), max(plan.unrelated)

    def requests(taken: dict[str, Any]) -> int:
        return int(sum(taken["requests"].values()))

    per_size = {
        size: {
            "requests": max(requests(run) for run in result["broadcast"]),
            "units": max(run["units"] for run in result["broadcast"]),
            "operations": sorted({op for run in result["broadcast"] for op in run["requests"]}),
            "naive_requests": requests(result["naive"]),
            "naive_units": result["naive"]["units"],
        }
        for size, result in results.items()
    }
    low, high = per_size[smallest], per_size[largest]
    no_scan = all("Scan" not in size["operations"] for size in per_size.values())
    label = f"{largest:,} vs {smallest:,} unrelated"

    def flat(key: str) -> bool:
        return all(size[key] == low[key] for size in per_size.values())

    baseline = f"{smallest:,} unrelated"
    # (name, value key, unit, target, met): the largest size judged against the smallest
    rows = (
        (f"DynamoDB requests/broadcast, {label}", "requests", "req", "flat, no Scan", no_scan),
        (f"read units/broadcast, {label}", "units", "RCU", "flat", True),
    )
    figures = [
        Figure("3 cost", name, high[key], unit, low[key], baseline, target, met and flat(key))
        for name, key, unit, target, met in rows
    ] + [
        Figure(
            metric="3 cost",
            name=f"read units/broadcast at {largest:,} unrelated",
            value=high["units"],
            unit="RCU",
            reference=high["naive_units"],
            reference_name="one Scan",
        ),
    ]
    sizes = ", ".join(
        f"{size:,}: {values['requests']} requests ({'+'.join(values['operations'])}) "
        f"{values['units']:g} RCU vs Scan {values['naive_units']:g} RCU"
        for size, values in per_size.items()
    )
    return Outcome(
        benchmark="broadcast_cost",
        figures=figures,
        parameters={
            "subscribers": plan.subscribers,
            "unrelated": list(plan.unrelated),
            "repeats": plan.repeats,
            "dynamodb": "DynamoDB Local (ReturnConsumedCapacity=TOTAL on every call)",
            "entry_point": "broadcast.handler.on_stream, in-memory poster",
        },
        details={str(size): result for size, result in results.items()}
        | {"summary": {str(size): values for size, values in per_size.items()}},
        notes=[f"per broadcast by unrelated connections: {sizes}"],
    )


if __name__ == "__main__":
    benchmark_main("broadcast_cost", run, __doc__.splitlines()[0])
