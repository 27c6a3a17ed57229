"""5. Gateway capacity: connections held, memory per connection, and new connections per
second through `$connect`.

The system: `mediaday serve --no-demo` (the local API Gateway emulator running the real
connect Lambda, DynamoDB Local on tmpfs when there is one) in its own process, with the
emulator's 500/s new-connection quota raised (MEDIADAY_LOCAL_CONNECTIONS_PER_SECOND) so
the figure is what the emulator and handler can do, not the quota. This process opens
N kiosk connections (one subject each, as TVs have), at most `CONCURRENCY` handshakes in
flight; the rate is N over the time to open them all. Memory per connection is the
emulator process's RSS growth over N (after a warm-up round, so pools and threads
already exist). "Held" counts connections still open after a pause, each recorded by
`$connect` in the connections table, with a sample of them answering a ping end to end.

The reference: a bare aiohttp WebSocket server (what the emulator is built on, no
handlers, no database; bench/reference_server.py) taking the same N connections the same
way.

    .venv/bin/python -m bench.gateway_capacity [--smoke] [--json PATH]
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from bench.common import (
    Figure,
    Outcome,
    benchmark_main,
    child_process,
    children,
    cpu_seconds,
    offline_aws_env,
    raise_fd_limit,
    rss_bytes,
    scratch_dir,
)
from infra.local.runner import LocalStack

TARGET_HELD = 5000
TARGET_RATE = 500.0
CONCURRENCY = 64
WARMUP = 200
PING_SAMPLE = 50
HOLD_SECONDS = 3.0
OPEN_TIMEOUT = 300.0


@dataclass(frozen=True)
class Plan:
    connections: int
    warmup: int
    hold_seconds: float
    ping_sample: int


FULL = Plan(connections=TARGET_HELD, warmup=WARMUP, hold_seconds=HOLD_SECONDS, ping_sample=50)
SMOKE = Plan(connections=30, warmup=5, hold_seconds=0.2, ping_sample=3)


async def _open(urls: Sequence[str]) -> tuple[list[ClientConnection], float]:
    """Open one connection per URL, CONCURRENCY at a time; returns them and the seconds."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(url: str) -> ClientConnection:
        async with gate:
            return await connect(
                url, compression=None, ping_interval=None, max_size=None, open_timeout=60
            )

    started = time.perf_counter()
    tasks = [asyncio.create_task(one(url)) for url in urls]
    try:
        clients = await asyncio.wait_for(asyncio.gather(*tasks), OPEN_TIMEOUT)
    except BaseException:
        for task in tasks:
            task.cancel()
        opened = await asyncio.gather(*tasks, return_exceptions=True)
        _abort([ws for ws in opened if isinstance(ws, ClientConnection)])
        raise
    return list(clients), time.perf_counter() - started


def _abort(clients: list[ClientConnection]) -> None:
    """Drop connections at once (the servers are stopped right after)."""
    for ws in clients:
        ws.transport.abort()


async def _close(clients: list[ClientConnection]) -> None:
    await asyncio.gather(*(ws.close() for ws in clients), return_exceptions=True)


async def _ping(ws: ClientConnection) -> None:
    request_id = uuid.uuid4().hex
    await ws.send(json.dumps({"action": "ping", "id": request_id}))
    async with asyncio.timeout(30):
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("id") == request_id:
                if frame.get("type") != "pong":
                    raise RuntimeError(f"ping answered {frame}")
                return


def _recorded(stack: LocalStack) -> int:
    """Connections the `$connect` handler recorded (rows `conn#<id>`, `#meta`)."""
    import boto3  # noqa: PLC0415

    from infra.local.layout import CONNECTIONS_TABLE  # noqa: PLC0415
    from mediaday.connections import META_SK  # noqa: PLC0415

    offline_aws_env()
    client = boto3.client("dynamodb", endpoint_url=stack.dynamodb_endpoint)
    total = 0
    kwargs: dict[str, Any] = {
        "TableName": CONNECTIONS_TABLE,
        "Select": "COUNT",
        "FilterExpression": "sk = :meta",
        "ExpressionAttributeValues": {":meta": {"S": META_SK}},
    }
    for _ in range(10_000):  # pages; bounded
        page = client.scan(**kwargs)
        total += int(page["Count"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return total


async def _measure(
    url_of: Callable[[int], str], pid: int, plan: Plan, *, stack: LocalStack | None
) -> dict[str, Any]:
    """Warm up, then open N connections (connection n at `url_of(n)`), hold them, check
    them; RSS around it. The URLs are made before the clock starts."""
    warm, _ = await _open([url_of(-1 - n) for n in range(plan.warmup)])
    await _close(warm)
    await asyncio.sleep(0.5)
    before = rss_bytes(pid)
    helpers = children(pid)  # DynamoDB Local, for the emulator
    cpu_before = [cpu_seconds(p) for p in (pid, *helpers)]
    client_cpu = time.process_time()
    urls = [url_of(n) for n in range(plan.connections)]
    clients, seconds = await _open(urls)
    client_cpu = time.process_time() - client_cpu
    cpu = [cpu_seconds(p) - b for p, b in zip((pid, *helpers), cpu_before, strict=True)]
    try:
        await asyncio.sleep(plan.hold_seconds)
        after = rss_bytes(pid)
        still_open = sum(1 for ws in clients if ws.close_code is None)
        result: dict[str, Any] = {
            "opened": len(clients),
            "open_after_hold": still_open,
            "seconds_to_open": round(seconds, 3),
            "connections_per_second": round(len(clients) / seconds, 1),
            "rss_before_mb": round(before / 2**20, 1),
            "rss_after_mb": round(after / 2**20, 1),
            "rss_per_connection_kb": round((after - before) / len(clients) / 1024, 2),
            # CPU milliseconds per new connection, by process
            "cpu_ms_per_connection": {
                "server": round(cpu[0] * 1000 / len(clients), 3),
                "server_children": round(sum(cpu[1:]) * 1000 / len(clients), 3),
                "clients": round(client_cpu * 1000 / len(clients), 3),
            },
        }
        if stack is not None:
            result["recorded_by_connect"] = await asyncio.to_thread(_recorded, stack)
            sample = random.sample(clients, min(plan.ping_sample, len(clients)))
            await asyncio.gather(*(_ping(ws) for ws in sample))
            result["pinged"] = len(sample)
        return result
    finally:
        _abort(clients)


def run(smoke: bool) -> Outcome:
    plan = SMOKE if smoke else FULL
    limit = raise_fd_limit()
    if limit < plan.connections + 500:
        raise SystemExit(f"open-file limit {limit} is too low for {plan.connections} clients")
    with scratch_dir("bench-capacity-") as data_dir:
        stack = LocalStack(
            Path(data_dir),
            demo=False,
            env={
                "MEDIADAY_LOCAL_CONNECTIONS_PER_SECOND": "1000000",
            },
        ).start()
        try:
            assert stack.process is not None
            ours = asyncio.run(
                # One subject per TV, as at a venue: the per-subject cap (100) holds
                _measure(
                    lambda n: f"{stack.ws_url}?token={stack.token('kiosk', subject=f'tv-{n}')}",
                    stack.process.pid,
                    plan,
                    stack=stack,
                )
            )
        finally:
            stack.kill()  # its data directory is thrown away: no need for 5,000 $disconnects
    with child_process(
        ["-m", "bench.reference_server", "--kind", "aiohttp"], ready_line="READY"
    ) as (process, ready):
        url = f"ws://127.0.0.1:{ready.split()[1]}/"
        theirs = asyncio.run(_measure(lambda _n: url, process.pid, plan, stack=None))

    held = min(ours["open_after_hold"], ours["recorded_by_connect"])
    rate, want = ours["connections_per_second"], plan.connections
    their_rate, rate_target = theirs["connections_per_second"], f">= {TARGET_RATE:g}/s"
    rate_met = rate >= TARGET_RATE
    memory, their_memory = ours["rss_per_connection_kb"], theirs["rss_per_connection_kb"]
    # (name, ours, unit, theirs, target, met), each against bare aiohttp
    rows: tuple[tuple[str, float, str, float, str, bool | None], ...] = (
        ("connections held", held, "conn", theirs["open_after_hold"], f">= {want:,}", held >= want),
        ("memory per connection (emulator RSS)", memory, "KB", their_memory, "", None),
        ("new connections/s through $connect", rate, "/s", their_rate, rate_target, rate_met),
    )
    figures = [
        Figure("5 capacity", name, value, unit, reference, "bare aiohttp", target, met)
        for name, value, unit, reference, target, met in rows
    ]
    return Outcome(
        benchmark="gateway_capacity",
        figures=figures,
        parameters={
            "connections": plan.connections,
            "concurrency": CONCURRENCY,
            "warmup": plan.warmup,
            "hold_seconds": plan.hold_seconds,
            "quota": "emulator's 500/s token bucket raised via "
            "MEDIADAY_LOCAL_CONNECTIONS_PER_SECOND=1000000",
            "stack": "mediaday serve --no-demo subprocess, clients in this process",
        },
        details={"emulator": ours, "reference": theirs},
        notes=[
            f"{ours['opened']:,} connections opened in {ours['seconds_to_open']:.1f} s "
            f"({CONCURRENCY} handshakes in flight); {ours['recorded_by_connect']:,} recorded "
            f"by $connect, {ours['pinged']} sampled pings answered; emulator RSS "
            f"{ours['rss_before_mb']:.0f} -> {ours['rss_after_mb']:.0f} MB",
            "CPU ms per new connection (emulator / DynamoDB Local / clients): "
            + _cpu(ours)
            + "; bare aiohttp (server / clients): "
            + _cpu(theirs, with_children=False)
            + f"; {os.cpu_count()} CPUs",
            "CPU ceiling of this machine for $connect, all three processes on it: "
            f"{_ceiling(ours):,.0f}/s (CPUs / CPU time per connection); load average "
            f"{os.getloadavg()[0]:.1f} at the end",
        ],
    )


def _cpu(result: dict[str, Any], *, with_children: bool = True) -> str:
    cpu = result["cpu_ms_per_connection"]
    parts = [cpu["server"], *([cpu["server_children"]] if with_children else []), cpu["clients"]]
    return " / ".join(f"{part:.2f}" for part in parts)


def _ceiling(result: dict[str, Any]) -> float:
    """New connections a second this machine's CPUs could take, were they all ours."""
    per_connection = sum(result["cpu_ms_per_connection"].values()) / 1000
    return (os.cpu_count() or 1) / per_connection if per_connection else 0.0


if __name__ == "__main__":
    benchmark_main("gateway_capacity", run, __doc__.splitlines()[0])
