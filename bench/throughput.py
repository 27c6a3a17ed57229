"""2. Broadcaster throughput: deliveries per second for one stream record to 1,000
subscribers, against a Management API endpoint that takes 10 ms per post.

The measurement is bench/broadcast_throughput.py's (the broadcaster engineer's): the real
fan-out (one Query per topic, a bounded thread pool sharing one Management API client)
against the reference, the naive approach of the well-known AWS sample (one Scan of every
connection, then one post after another). This module runs it with the suite's sizes and
turns it into figures; `python bench/broadcast_throughput.py --help` runs it on its own.

    .venv/bin/python -m bench.throughput [--smoke] [--json PATH]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.common import Figure, Outcome, benchmark_main, offline_aws_env

TARGET_SPEEDUP = 20.0


@dataclass(frozen=True)
class Plan:
    subscribers: int
    delay_ms: float
    repeats: int


FULL = Plan(subscribers=1000, delay_ms=10.0, repeats=3)
SMOKE = Plan(subscribers=20, delay_ms=2.0, repeats=1)


def measure(plan: Plan) -> list[dict[str, Any]]:
    """Fan-out and naive results (bench.broadcast_throughput.measure's dicts)."""
    offline_aws_env()
    # Imported here: moto and the broadcaster load only when the benchmark runs.
    import boto3  # noqa: PLC0415
    from moto import mock_aws  # noqa: PLC0415

    from bench import broadcast_throughput as bt  # noqa: PLC0415
    from mediaday.aws import management_api_client  # noqa: PLC0415
    from mediaday.gateway import ManagementApiPoster  # noqa: PLC0415
    from mediaday.observability import logger  # noqa: PLC0415
    from mediaday.settings import get_settings  # noqa: PLC0415
    from mediaday.store import ConnectionStore  # noqa: PLC0415
    from mediaday.tables import create_tables  # noqa: PLC0415

    logger.setLevel("WARNING")
    workers = get_settings().broadcast_max_workers
    with mock_aws(), bt.endpoint(plan.delay_ms / 1000) as server:
        client = boto3.client("dynamodb")
        create_tables(client, connections=bt.CONNECTIONS, coordination=bt.COORDINATION)
        bt.populate(client, plan.subscribers, 0)
        store = ConnectionStore(bt.CONNECTIONS, client)
        poster = ManagementApiPoster(management_api_client(server.url, workers))
        bt.fanout_once(store, poster, workers)  # warm-up: connections, threads, imports
        return [
            bt.measure(
                f"fan-out (Query + {workers} threads)",
                lambda: bt.fanout_once(store, poster, workers),
                plan.repeats,
                client,
                server,
                plan.subscribers,
            ),
            bt.measure(
                "naive (Scan + sequential posts)",
                lambda: bt.naive_once(client, poster),
                1,
                client,
                server,
                plan.subscribers,
            ),
        ]


def run(smoke: bool) -> Outcome:
    plan = SMOKE if smoke else FULL
    fanout, naive = measure(plan)
    value, reference = fanout["deliveries_per_second"], naive["deliveries_per_second"]
    return Outcome(
        benchmark="throughput",
        figures=[
            Figure(
                metric="2 throughput",
                name=f"deliveries/s, 1 record -> {plan.subscribers:,} subscribers, "
                f"{plan.delay_ms:g} ms/post",
                value=value,
                unit="/s",
                reference=reference,
                reference_name="Scan + sequential",
                target=f">= {TARGET_SPEEDUP:g}x ref",
                met=value >= TARGET_SPEEDUP * reference,
            )
        ],
        parameters={
            "subscribers": plan.subscribers,
            "delay_ms": plan.delay_ms,
            "repeats": plan.repeats,
            "dynamodb": "moto (in process)",
            "endpoint": "bench/broadcast_throughput.py's fake @connections, its own process",
        },
        details={"fanout": fanout, "naive": naive},
        notes=[
            f"fan-out {fanout['seconds_median']:.2f} s vs naive {naive['seconds_median']:.2f} s "
            f"for {plan.subscribers:,} posts; DynamoDB requests per run: fan-out "
            f"{fanout['dynamodb_requests_per_run']}, naive {naive['dynamodb_requests_per_run']}"
        ],
    )


def main() -> None:
    benchmark_main("throughput", run, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
