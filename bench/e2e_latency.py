"""End-to-end latency of the local stack: a producer's write → every subscribed client.

Starts `mediaday serve` (demo day) on a free port, subscribes N kiosk clients to the
schedule, then a producer retitles one slot M times, one write at a time. For each write
it records the ack latency and, for every subscriber, the time from sending the write to
receiving its event (which goes DynamoDB Local → stream poller → broadcaster → @connections
→ WebSocket). Prints percentiles and writes bench/results/e2e_latency.json.

    .venv/bin/python bench/e2e_latency.py                  # 1 and 100 subscribers
    .venv/bin/python bench/e2e_latency.py --clients 1 10 --writes 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.stack import LocalStack
from tests.support.wsclient import ProtocolClient


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return {
        "n": len(ordered),
        "p50_ms": round(at(0.50) * 1000, 1),
        "p95_ms": round(at(0.95) * 1000, 1),
        "p99_ms": round(at(0.99) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
    }


async def measure(stack: LocalStack, clients: int, writes: int) -> dict[str, object]:
    subscribers = []
    for _ in range(clients):
        client = await ProtocolClient.open(stack.url_for("kiosk"))
        await client.subscribe("schedule")
        subscribers.append(client)
    producer = await ProtocolClient.open(stack.url_for("producer"))
    slot = sorted(subscribers[0].items("schedule").values(), key=lambda s: s["id"])[0]
    version = slot["version"]
    acks: list[float] = []
    deliveries: list[float] = []
    after_ack: list[float] = []  # the stream → broadcaster → @connections leg
    lost = 0
    try:
        for n in range(writes):
            sent = time.perf_counter()
            ack = await producer.request(
                "slot.update", slot_id=slot["id"], version=version, changes={"title": f"w{n}"}
            )
            acked_at = time.perf_counter()
            acks.append(acked_at - sent)
            assert ack["type"] == "ack", ack
            version = ack["version"]
            key = (slot["id"], version)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if all(key in c.received_at for c in subscribers):
                    break
                await asyncio.sleep(0.002)
            for client in subscribers:
                if key in client.received_at:
                    deliveries.append(client.received_at[key] - sent)
                    after_ack.append(client.received_at[key] - acked_at)
                else:
                    lost += 1
    finally:
        await producer.close()
        for client in subscribers:
            await client.close()
    return {
        "clients": clients,
        "writes": writes,
        "ack": percentiles(acks),
        "write_to_client": percentiles(deliveries),
        "ack_to_client": percentiles(after_ack),
        "not_received_in_10s": lost,
    }


async def main(args: argparse.Namespace) -> None:
    results = []
    with tempfile.TemporaryDirectory(prefix="mediaday-bench-") as data_dir:
        stack = LocalStack(Path(data_dir), args=["--log-level", "ERROR"]).start()
        try:
            for clients in args.clients:
                result = await measure(stack, clients, args.writes)
                results.append(result)
                ack, e2e, leg = (
                    result["ack"],
                    result["write_to_client"],
                    result["ack_to_client"],
                )
                print(
                    f"{clients:>4} subscribers: write→client p50 {e2e['p50_ms']} ms, "  # type: ignore[index]
                    f"p95 {e2e['p95_ms']} ms, max {e2e['max_ms']} ms "  # type: ignore[index]
                    f"({e2e['n']} deliveries); ack p50 {ack['p50_ms']} ms, "  # type: ignore[index]
                    f"p95 {ack['p95_ms']} ms; ack→client p50 {leg['p50_ms']} ms, "  # type: ignore[index]
                    f"p95 {leg['p95_ms']} ms; missing {result['not_received_in_10s']}",  # type: ignore[index]
                    flush=True,
                )
        finally:
            stack.stop()
    out = Path(__file__).parent / "results" / "e2e_latency.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 100])
    parser.add_argument("--writes", type=int, default=30)
    asyncio.run(main(parser.parse_args()))
