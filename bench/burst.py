"""8. A burst: 100 changes committed at once, watched by 1,000 screens, through the stack.

`mediaday serve` (a subprocess, DynamoDB Local on tmpfs) and N `websockets` clients
subscribed to `schedule`, in this process. A producer commits C new slots at once: `batch`
requests of up to 50 writes (all-or-nothing transactions; the stream carries each as one
run of records), sent back to back. Two phases on the same connections, same run:

- per-change (the reference, protocol v1 and how every change was posted before): the
  clients subscribe without `events`: one `event` frame per change per subscriber;
- coalesced (the system): the same clients subscribe again with `events: "batched"`: one
  `events` frame per subscriber per stream batch.

Per phase: the time from the first write's send until every client holds every change
(converged), the `@connections` posts each client received (every message a client gets
is one post), the stream batches they came in (frames of one batch share `server_time`),
the bytes, the stack's CPU (gateway, broadcaster process, DynamoDB Local) per change
delivered, and what API Gateway would bill: messages are metered in 32 KB units, at
$1.00 per million (bench/README.md).

    .venv/bin/python -m bench.burst [--smoke] [--json PATH]
"""

from __future__ import annotations

import asyncio
import json
import math
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import InvalidStatus

from bench.audience import CONNECT_CONCURRENCY, SETUP_TIMEOUT, connect_client, request_ack
from bench.common import (
    Figure,
    Outcome,
    benchmark_main,
    children,
    cpu_seconds,
    raise_fd_limit,
    scratch_dir,
)
from infra.local.runner import LocalStack

TOPIC = "schedule"
BILLING_UNIT_BYTES = 32 * 1024  # API Gateway WebSocket messages are metered per 32 KB
PRICE_PER_MILLION_MESSAGES = 1.00  # USD, first billion messages a month (us-east-1)
BATCH_WRITES = 50  # writes per batch request (DynamoDB: 100 actions per transaction)
CONVERGE_TIMEOUT = 600.0
TARGET_CONVERGED_S = 3.0
TARGET_POSTS_PER_BATCH = 1.2
TARGET_FEWER = 20.0
FIRST_DAY = datetime(2031, 3, 3, 8, 0, tzinfo=UTC)  # far from the demo day's slots
# The setup opens and subscribes N kiosks of one token quickly: raise the emulator's
# connection quota and Lambda concurrency cap, and the per-subject connection and message
# limits (what is measured is the burst, not the setup).
STACK_ENV = {
    "MEDIADAY_LOCAL_CONNECTIONS_PER_SECOND": "100000",
    "MEDIADAY_LOCAL_CONCURRENCY": "256",
    "MEDIADAY_MAX_CONNECTIONS_PER_SUBJECT": "100000",
    "MEDIADAY_RATE_LIMIT_PER_SUBJECT_PER_MINUTE": "1000000",
}


@dataclass(frozen=True)
class Plan:
    subscribers: int
    changes: int


FULL = Plan(subscribers=1000, changes=100)
SMOKE = Plan(subscribers=5, changes=10)


@dataclass
class Watcher:
    """One client's view of a burst: which changes it holds, and what it was sent."""

    expected: int
    marker: str = ""
    held: set[str] = field(default_factory=set)
    frames: int = 0
    bytes: int = 0
    batches: set[int] = field(default_factory=set)
    units: int = 0
    converged_at: float = 0.0

    def reset(self, marker: str, expected: int) -> None:
        self.expected, self.marker, self.held = expected, marker, set()
        self.frames = self.bytes = self.units = 0
        self.batches, self.converged_at = set(), 0.0


class Screens:
    """N clients reading every frame; `burst(marker)` resets what each watches for."""

    def __init__(self) -> None:
        self.clients: list[ClientConnection] = []
        self.watchers: list[Watcher] = []
        self._readers: list[asyncio.Task[None]] = []
        self._remaining = 0
        self._done: asyncio.Future[float] | None = None

    async def open(self, url: str, count: int) -> None:
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one() -> ClientConnection:
            async with gate:
                for attempt in range(20):  # the emulator sheds a $connect past its cap
                    try:
                        return await connect_client(url)
                    except InvalidStatus as refused:
                        if refused.response.status_code not in (429, 502, 503):
                            raise
                        await asyncio.sleep(0.05 * (attempt + 1))
                return await connect_client(url)

        self.clients = list(
            await asyncio.wait_for(asyncio.gather(*(one() for _ in range(count))), SETUP_TIMEOUT)
        )

    async def subscribe(self, *, batched: bool) -> None:
        """Subscribe every client (again); readers start after the first subscribe."""
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        extra = {"events": "batched"} if batched else {}

        async def one(ws: ClientConnection) -> None:
            async with gate:
                await request_ack(ws, "subscribe", topics=[TOPIC], **extra)

        await asyncio.wait_for(asyncio.gather(*(one(ws) for ws in self.clients)), SETUP_TIMEOUT)
        self.watchers = [Watcher(0) for _ in self.clients]
        self._readers = [
            asyncio.create_task(self._read(ws, watcher))
            for ws, watcher in zip(self.clients, self.watchers, strict=True)
        ]

    def burst(self, marker: str, expected: int) -> asyncio.Future[float]:
        for watcher in self.watchers:
            watcher.reset(marker, expected)
        self._remaining = len(self.watchers)
        self._done = asyncio.get_running_loop().create_future()
        return self._done

    async def _read(self, ws: ClientConnection, watcher: Watcher) -> None:
        async for message in ws:
            if not watcher.marker or not isinstance(message, str) or watcher.marker not in message:
                continue
            frame = json.loads(message)
            watcher.frames += 1
            watcher.bytes += len(message.encode())
            watcher.units += max(1, math.ceil(len(message.encode()) / BILLING_UNIT_BYTES))
            watcher.batches.add(int(frame.get("server_time", 0)))
            items = [c["item"] for c in frame.get("changes", [])] or [frame.get("item", {})]
            for item in items:
                if watcher.marker in str(item.get("title", "")):
                    watcher.held.add(str(item["id"]))
            if len(watcher.held) == watcher.expected and not watcher.converged_at:
                watcher.converged_at = time.perf_counter()
                self._remaining -= 1
                if self._remaining == 0 and self._done is not None and not self._done.done():
                    self._done.set_result(watcher.converged_at)

    async def close(self) -> None:
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*(ws.close() for ws in self.clients), return_exceptions=True)
        await asyncio.gather(*self._readers, return_exceptions=True)


def _writes(marker: str, phase: int, changes: int, stations: list[str], talent: list[str]):
    """`slot.create` writes of `changes` new slots, far from every other slot in time."""
    start = FIRST_DAY + timedelta(days=7 * phase)  # 100 slots of 15 min fit in two days
    return [
        {
            "action": "slot.create",
            "id": uuid.uuid4().hex,
            "slot": {
                "id": f"burst-{marker.split()[1]}-{phase}-{n:03d}",
                "station_id": stations[n % len(stations)],
                "talent_id": talent[n % len(talent)],
                "starts_at": (start + timedelta(minutes=15 * n)).isoformat(),
                "ends_at": (start + timedelta(minutes=15 * n + 10)).isoformat(),
                "title": f"{marker} {n:03d}",
            },
        }
        for n in range(changes)
    ]


async def _commit(producer: ClientConnection, writes: list[dict[str, Any]]) -> list[float]:
    """Send the batch requests back to back, then collect their acks (times, seconds)."""
    sent: dict[str, float] = {}
    for first in range(0, len(writes), BATCH_WRITES):
        request_id = uuid.uuid4().hex
        sent[request_id] = time.perf_counter()
        payload = {
            "action": "batch",
            "id": request_id,
            "writes": writes[first : first + BATCH_WRITES],
        }
        await producer.send(json.dumps(payload))
    acked: list[float] = []
    async with asyncio.timeout(120):
        while len(acked) < len(sent):
            frame = json.loads(await producer.recv())
            if frame.get("id") not in sent:
                continue
            if frame.get("type") != "ack":
                raise RuntimeError(f"batch refused: {str(frame)[:300]}")
            acked.append(time.perf_counter() - sent[frame["id"]])
    return acked


async def _phase(
    stack: LocalStack,
    screens: Screens,
    producer: ClientConnection,
    roster: tuple[list[str], list[str]],
    *,
    phase: int,
    batched: bool,
    plan: Plan,
) -> dict[str, Any]:
    await screens.subscribe(batched=batched)
    await asyncio.sleep(0.5)  # the subscribe's own traffic settles
    marker = f"burst {uuid.uuid4().hex[:8]} {'coalesced' if batched else 'per-change'}"
    writes = _writes(marker, phase, plan.changes, *roster)
    assert stack.process is not None
    processes = (stack.process.pid, *children(stack.process.pid))  # + broadcaster, DynamoDB
    cpu_before = [cpu_seconds(pid) for pid in processes]
    done = screens.burst(marker, plan.changes)
    started = time.perf_counter()
    acks = await _commit(producer, writes)
    last = await asyncio.wait_for(done, CONVERGE_TIMEOUT)
    cpu = sum(cpu_seconds(pid) - before for pid, before in zip(processes, cpu_before, strict=True))
    watchers = screens.watchers
    posts = sum(w.frames for w in watchers)
    batches = sum(len(w.batches) for w in watchers)
    units = sum(w.units for w in watchers)
    return {
        "events": "batched" if batched else "single (v1)",
        "converged_s": round(last - started, 3),
        "acks_s": [round(a, 3) for a in acks],
        "posts": posts,
        "posts_per_subscriber": round(posts / len(watchers), 3),
        "stream_batches_per_subscriber": round(batches / len(watchers), 3),
        "posts_per_stream_batch": round(posts / batches, 3),
        "bytes_per_post": round(sum(w.bytes for w in watchers) / posts, 1),
        "billing_units": units,
        "cost_usd": round(units * PRICE_PER_MILLION_MESSAGES / 1e6, 6),
        "stack_cpu_s": round(cpu, 3),
        "stack_cpu_ms_per_change_delivered": round(cpu * 1000 / (plan.changes * len(watchers)), 4),
        "every_subscriber_converged": all(len(w.held) == plan.changes for w in watchers),
    }


async def _measure(stack: LocalStack, plan: Plan) -> dict[str, dict[str, Any]]:
    screens = Screens()
    producer = await connect_client(stack.url_for("producer"))
    try:
        roster_ack = await request_ack(producer, "subscribe", topics=["roster"])
        await request_ack(producer, "unsubscribe", topics=["roster"])
        items = [i for page in roster_ack["pages_received"] for i in page["items"]]
        stations = sorted(i["id"] for i in items if i["type"] == "station")
        talent = sorted(i["id"] for i in items if i["type"] == "talent")
        await screens.open(stack.url_for("kiosk"), plan.subscribers)
        results = {}
        for phase, batched in ((0, False), (1, True)):
            results["coalesced" if batched else "per_change"] = await _phase(
                stack,
                screens,
                producer,
                (stations, talent),
                phase=phase,
                batched=batched,
                plan=plan,
            )
        return results
    finally:
        await screens.close()
        await producer.close()


def run(smoke: bool) -> Outcome:
    plan = SMOKE if smoke else FULL
    fd_limit = raise_fd_limit()
    if fd_limit < 2 * plan.subscribers + 200:
        raise SystemExit(f"open-file limit {fd_limit} is too low for {plan.subscribers} clients")
    with scratch_dir("bench-burst-") as data_dir:
        stack = LocalStack(Path(data_dir), env=STACK_ENV).start()
        try:
            results = asyncio.run(_measure(stack, plan))
        finally:
            stack.stop()
    before, after = results["per_change"], results["coalesced"]
    fewer = before["posts"] / after["posts"]
    n = f"{plan.changes} changes -> {plan.subscribers:,} subscribers"

    def against_per_change(name: str, key: str, unit: str, target: str, met: bool) -> Figure:
        """One burst figure: the coalesced run's `key` against per-change posting's."""
        return Figure(
            metric="8 burst",
            name=f"{n}: {name}",
            value=after[key],
            unit=unit,
            reference=before[key],
            reference_name="per-change posting",
            target=target,
            met=met,
        )

    figures = [
        against_per_change(
            "every subscriber converged",
            "converged_s",
            "s",
            f"<= {TARGET_CONVERGED_S:g} s",
            after["converged_s"] <= TARGET_CONVERGED_S,
        ),
        against_per_change(
            "@connections posts per subscriber per stream batch",
            "posts_per_stream_batch",
            "posts",
            f"<= {TARGET_POSTS_PER_BATCH:g}",
            after["posts_per_stream_batch"] <= TARGET_POSTS_PER_BATCH,
        ),
        against_per_change(
            "@connections posts",
            "posts",
            "posts",
            f">= {TARGET_FEWER:g}x fewer",
            fewer >= TARGET_FEWER,
        ),
    ]
    notes = [
        f"{name}: converged {r['converged_s']:.2f} s, {r['posts_per_subscriber']:g} posts and "
        f"{r['stream_batches_per_subscriber']:g} stream batches per subscriber, "
        f"{r['bytes_per_post']:,.0f} bytes per post, {r['billing_units']:,} billed 32 KB units "
        f"(${r['cost_usd']:.4f}), stack CPU {r['stack_cpu_ms_per_change_delivered']:.3f} ms "
        f"per change delivered; batch acks {r['acks_s']} s"
        for name, r in results.items()
    ]
    notes.append(f"coalesced: {fewer:.1f}x fewer posts than per-change posting")
    return Outcome(
        benchmark="burst",
        figures=figures,
        parameters={
            "subscribers": plan.subscribers,
            "changes": plan.changes,
            "writes": f"batch requests of {BATCH_WRITES} slot.create, sent back to back",
            "topic": TOPIC,
            "billing": f"{BILLING_UNIT_BYTES} B units, ${PRICE_PER_MILLION_MESSAGES:g}/million",
        },
        details=results,
        notes=notes,
    )


if __name__ == "__main__":
    benchmark_main("burst", run, __doc__.splitlines()[0])
