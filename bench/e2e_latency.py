"""6. Per-subscriber latency through the local stack: a producer's write → each subscriber.

Starts `mediaday serve` (demo day) on a free port, subscribes N kiosk clients (the suite's
protocol client, tests/support/wsclient.py) to the schedule, then a producer retitles one
slot M times, one write at a time. For each write it records the ack latency and, for
every subscriber, the time from sending the write to receiving its event (DynamoDB Local →
stream poller → broadcaster → @connections → WebSocket), and from the ack to that event
(the stream → broadcaster → @connections leg alone).

Unlike `fanout_latency` (the last of N against a bare websockets broadcast), every
subscriber's delivery is a sample here; the reference is the producer's own ack in the
same run, which takes one write through the same gateway and DynamoDB Local.

    .venv/bin/python -m bench.e2e_latency [--smoke] [--json PATH]
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import Figure, Outcome, benchmark_main, percentile, scratch_dir
from infra.local.runner import LocalStack
from tests.support.wsclient import ProtocolClient

DELIVERY_TIMEOUT = 10.0


@dataclass(frozen=True)
class Plan:
    clients: tuple[int, ...]
    writes: int


FULL = Plan(clients=(1, 100), writes=30)
SMOKE = Plan(clients=(1, 3), writes=3)


@dataclass
class Samples:
    """Seconds per write (ack) and per delivery (write → client, ack → client)."""

    acks: list[float]
    write_to_client: list[float]
    ack_to_client: list[float]
    lost: int


async def measure(stack: LocalStack, clients: int, writes: int) -> Samples:
    subscribers = []
    for _ in range(clients):
        client = await ProtocolClient.open(stack.url_for("kiosk"))
        await client.subscribe("schedule")
        subscribers.append(client)
    producer = await ProtocolClient.open(stack.url_for("producer"))
    slot = sorted(subscribers[0].items("schedule").values(), key=lambda s: s["id"])[0]
    version = slot["version"]
    samples = Samples([], [], [], 0)
    try:
        for n in range(writes):
            sent = time.perf_counter()
            ack = await producer.request(
                "slot.update", slot_id=slot["id"], version=version, changes={"title": f"w{n}"}
            )
            acked_at = time.perf_counter()
            if ack["type"] != "ack":
                raise RuntimeError(f"slot.update refused: {ack}")
            samples.acks.append(acked_at - sent)
            version = ack["version"]
            key = (slot["id"], version)
            deadline = time.monotonic() + DELIVERY_TIMEOUT
            while time.monotonic() < deadline:
                if all(key in c.received_at for c in subscribers):
                    break
                await asyncio.sleep(0.002)
            for client in subscribers:
                if key in client.received_at:
                    samples.write_to_client.append(client.received_at[key] - sent)
                    samples.ack_to_client.append(client.received_at[key] - acked_at)
                else:
                    samples.lost += 1
    finally:
        await producer.close()
        for client in subscribers:
            await client.close()
    return samples


def summary(seconds: list[float]) -> dict[str, float]:
    """Milliseconds: the count and the percentiles bench.common computes for every bench."""
    values = [value * 1000 for value in seconds]
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 1),
        "p95_ms": round(percentile(values, 95), 1),
        "p99_ms": round(percentile(values, 99), 1),
        "max_ms": round(max(values), 1),
        "mean_ms": round(sum(values) / len(values), 1),
    }


def run(smoke: bool) -> Outcome:
    plan = SMOKE if smoke else FULL
    results: dict[int, Samples] = {}
    with scratch_dir("bench-e2e-") as data_dir:
        stack = LocalStack(Path(data_dir), args=["--log-level", "ERROR"]).start()
        try:
            for clients in plan.clients:
                results[clients] = asyncio.run(measure(stack, clients, plan.writes))
        finally:
            stack.stop()

    figures: list[Figure] = []
    details: dict[str, Any] = {}
    for clients, samples in results.items():
        if not samples.write_to_client:
            raise RuntimeError(f"no write reached any of {clients} subscriber(s)")
        ack = percentile(samples.acks, 50) * 1000
        for label, q in (("p50", 50.0), ("p95", 95.0)):
            figures.append(
                Figure(
                    metric="6 e2e latency",
                    name=f"write -> each of {clients} subscriber(s), {label}",
                    value=round(percentile(samples.write_to_client, q) * 1000, 2),
                    unit="ms",
                    reference=round(ack, 2),
                    reference_name="producer ack p50",
                )
            )
        details[str(clients)] = {
            "ack": summary(samples.acks),
            "write_to_client": summary(samples.write_to_client),
            "ack_to_client": summary(samples.ack_to_client),
            "not_received": samples.lost,  # within DELIVERY_TIMEOUT of the write
        }
    notes = [
        f"{plan.writes} writes per size, one at a time; every subscriber's delivery is a "
        "sample; ack -> client is the stream -> broadcaster -> @connections leg alone"
    ]
    return Outcome(
        benchmark="e2e_latency",
        figures=figures,
        parameters={"clients": list(plan.clients), "writes": plan.writes, "topic": "schedule"},
        details=details,
        notes=notes,
    )


if __name__ == "__main__":
    benchmark_main("e2e_latency", run, __doc__.splitlines()[0])
