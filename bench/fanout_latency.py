"""1. End-to-end fan-out: one producer write → the last of N subscribed clients has it.

The system: `mediaday serve` (infra/local/runner.py: a subprocess on a free port with its
own DynamoDB Local), N `websockets` clients subscribed to `station:st-1` and one producer,
all in this process. Each write is a `slot.update` of a st-1 slot with a unique title; the
figure is the time from the producer's send to the moment the last of the N clients has
the event (the whole path: gateway, message Lambda, DynamoDB Local, stream poller,
broadcaster Query, N Management API posts, N WebSocket frames).

The reference: a bare `websockets` server (bench/reference_server.py, its own process too)
that broadcasts whatever the producer sends to every other client; the producer sends the
event frame the stack delivered (same size, a fresh marker each time) to the same N
clients, measured the same way.

Writes go one at a time (the next after every client has the previous one); the first
few are warm-up and not counted. The emulator's 500/s connection quota is raised for the
setup (MEDIADAY_LOCAL_CONNECTIONS_PER_SECOND) so that opening 1,000 clients is quick.

    .venv/bin/python -m bench.fanout_latency [--smoke] [--json PATH]
"""

from __future__ import annotations

import asyncio
import http.client
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from bench.audience import Audience, connect_client, reply, request_ack
from bench.common import (
    Figure,
    Outcome,
    bare_post,
    benchmark_main,
    bounded_figure,
    child_process,
    children,
    cpu_seconds,
    median,
    offline_aws_env,
    percentile,
    raise_fd_limit,
    scratch_dir,
)
from infra.local.layout import CONNECTIONS_TABLE
from infra.local.runner import LocalStack
from mediaday.connections import META_SK
from mediaday.poster import SIGNING_SERVICE, ManagementApiPoster

TOPIC = "station:st-1"
TARGET_RATIO = 4.0
TARGET_SIZE = 1000
WRITE_TIMEOUT = 60.0


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...]
    writes: int
    warmup: int


FULL = Plan(sizes=(1, 100, 1000), writes=25, warmup=3)
SMOKE = Plan(sizes=(5,), writes=3, warmup=1)


async def _stack_round(stack: LocalStack, size: int, plan: Plan) -> dict[str, Any]:
    audience = Audience()
    producer = await connect_client(stack.url_for("producer"))
    try:
        await audience.open(stack.url_for("kiosk"), size, topic=TOPIC)
        snapshot = await request_ack(producer, "subscribe", topics=[TOPIC])
        await request_ack(producer, "unsubscribe", topics=[TOPIC])
        slot = next(
            item
            for page in snapshot["pages_received"]
            for item in page["items"]
            if item["type"] == "slot"
        )
        version = int(slot["version"])
        run = uuid.uuid4().hex[:6]
        latencies, first, acked = [], [], []
        assert stack.process is not None
        processes = (stack.process.pid, *children(stack.process.pid))  # + DynamoDB Local
        cpu_before: list[float] = []
        for index in range(plan.warmup + plan.writes):
            if index == plan.warmup:
                cpu_before = [cpu_seconds(pid) for pid in processes]
            marker = f"fanout {run} {index:03d}"
            expected = audience.expect(marker)
            request_id = uuid.uuid4().hex
            request = {
                "action": "slot.update",
                "id": request_id,
                "slot_id": slot["id"],
                "version": version,
                "changes": {"title": marker},
            }
            started = time.perf_counter()
            await producer.send(json.dumps(request))
            ack = await asyncio.wait_for(reply(producer, request_id), WRITE_TIMEOUT)
            ack_at = time.perf_counter()
            if ack.get("type") != "ack":
                raise RuntimeError(f"slot.update refused: {ack}")
            version = int(ack["version"])
            last = await asyncio.wait_for(expected.done, WRITE_TIMEOUT)
            if index >= plan.warmup:
                latencies.append((last - started) * 1000)
                first.append((expected.first - started) * 1000)
                acked.append((ack_at - started) * 1000)
            await asyncio.sleep(0.02)
        cpu = [cpu_seconds(pid) - before for pid, before in zip(processes, cpu_before, strict=True)]
        posts = await asyncio.to_thread(_post_costs, stack, 20 if size < 50 else 300)
        return {
            "posts": posts,
            # CPU ms per delivery over the counted writes: the emulator process (gateway,
            # message handlers), its broadcaster process (stream poller, broadcast
            # handler: infra/local/broadcaster.py) and DynamoDB Local (Java)
            "cpu_ms_per_delivery": {
                name: round(seconds * 1000 / (plan.writes * size), 3)
                for name, seconds in _cpu_by_kind(stack.process.pid, processes, cpu).items()
            },
            "latencies_ms": latencies,
            "first_ms": first,
            "ack_ms": acked,
            "sample": audience.sample,
        }
    finally:
        await audience.close()
        await producer.close()


def _cpu_by_kind(stack_pid: int, pids: tuple[int, ...], cpu: list[float]) -> dict[str, float]:
    """CPU seconds per kind of stack process: the emulator, its broadcaster, DynamoDB."""
    totals = {"emulator": 0.0, "broadcaster": 0.0, "dynamodb_local": 0.0}
    for pid, seconds in zip(pids, cpu, strict=True):
        if pid == stack_pid:
            totals["emulator"] += seconds
        elif b"java" in Path(f"/proc/{pid}/cmdline").read_bytes():
            totals["dynamodb_local"] += seconds
        else:
            totals["broadcaster"] += seconds
    return totals


def _post_costs(stack: LocalStack, count: int) -> dict[str, float]:
    """Per-post wall time of sequential Management API posts to one live connection:
    through the broadcaster's signed poster and as a bare HTTP request signed once up front
    (a signature is good for five minutes, on AWS as on the emulator). Their difference is
    the client's share of each delivery; the rest is the emulator's."""
    offline_aws_env()
    table = boto3.client("dynamodb", endpoint_url=stack.dynamodb_endpoint)
    rows = table.scan(
        TableName=CONNECTIONS_TABLE,
        FilterExpression="sk = :meta AND #role = :kiosk",
        ExpressionAttributeNames={"#role": "role"},
        ExpressionAttributeValues={":meta": {"S": META_SK}, ":kiosk": {"S": "kiosk"}},
    )["Items"]
    connection_id = rows[0]["connection_id"]["S"]
    data = json.dumps({"type": "bench", "padding": "x" * 400}).encode()
    local = stack.management_credentials  # @connections refuses unsigned calls
    credentials = Credentials(local["access_key_id"], local["secret_access_key"])
    poster = ManagementApiPoster(
        stack.management_url, credentials=credentials, region=local["region"], pool_size=1
    )
    raw = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=10)
    path = f"/{stack.management_url.rsplit('/', 1)[1]}/@connections/{connection_id}"
    url = f"{stack.management_url}/@connections/{connection_id}"
    presigned = AWSRequest(method="POST", url=url, data=data)
    SigV4Auth(credentials, SIGNING_SERVICE, local["region"]).add_auth(presigned)
    headers = dict(presigned.headers.items())

    def signed() -> None:
        poster.post(connection_id, data)

    bare = bare_post(raw, path, data, headers)

    costs = {}
    try:
        for name, post in (("poster_ms", signed), ("raw_http_ms", bare)):
            for _ in range(count // 10):
                post()  # warm-up
            started = time.perf_counter()
            for _ in range(count):
                post()
            costs[name] = round((time.perf_counter() - started) * 1000 / count, 3)
    finally:
        raw.close()
    return costs


async def _reference_round(url: str, size: int, plan: Plan, sample: str) -> dict[str, Any]:
    audience = Audience()
    producer = await connect_client(url)
    try:
        await audience.open(url, size, topic=None)
        old_marker = _marker_in(sample)
        run = uuid.uuid4().hex[:6]
        latencies = []
        for index in range(plan.warmup + plan.writes):
            marker = f"fanout {run} {index:03d}"
            expected = audience.expect(marker)
            started = time.perf_counter()
            await producer.send(sample.replace(old_marker, marker))
            last = await asyncio.wait_for(expected.done, WRITE_TIMEOUT)
            if index >= plan.warmup:
                latencies.append((last - started) * 1000)
            await asyncio.sleep(0.02)
        return {"latencies_ms": latencies}
    finally:
        await audience.close()
        await producer.close()


def _marker_in(frame: str) -> str:
    title = json.loads(frame)["item"]["title"]
    if not isinstance(title, str) or not title.startswith("fanout "):
        raise RuntimeError(f"not a fan-out event: {frame[:200]}")
    return title


def run(smoke: bool) -> Outcome:
    plan = SMOKE if smoke else FULL
    fd_limit = raise_fd_limit()
    if fd_limit < 2 * max(plan.sizes) + 200:
        raise SystemExit(f"open-file limit {fd_limit} is too low for {max(plan.sizes)} clients")
    stack_results: dict[int, dict[str, Any]] = {}
    reference_results: dict[int, dict[str, Any]] = {}
    with scratch_dir("bench-fanout-") as data_dir:
        stack = LocalStack(
            Path(data_dir),
            env={
                "MEDIADAY_LOCAL_CONNECTIONS_PER_SECOND": "100000",
                # 1,000 kiosks share one token: lift the per-subject limits for the setup
                "MEDIADAY_MAX_CONNECTIONS_PER_SUBJECT": "100000",
                "MEDIADAY_RATE_LIMIT_PER_SUBJECT_PER_MINUTE": "1000000",
            },
        ).start()
        try:
            for size in plan.sizes:
                stack_results[size] = asyncio.run(_stack_round(stack, size, plan))
        finally:
            stack.stop()
    with child_process(
        ["-m", "bench.reference_server", "--kind", "websockets"], ready_line="READY"
    ) as (_, ready):
        url = f"ws://127.0.0.1:{ready.split()[1]}/"
        for size in plan.sizes:
            sample = stack_results[size]["sample"]
            reference_results[size] = asyncio.run(_reference_round(url, size, plan, sample))

    figures: list[Figure] = []
    details: dict[str, Any] = {}
    for size in plan.sizes:
        ours, theirs = stack_results[size], reference_results[size]
        for label, q in (("p50", 50.0), ("p99", 99.0)):
            value = percentile(ours["latencies_ms"], q)
            reference = percentile(theirs["latencies_ms"], q)
            name = f"write -> last of {_clients(size)}, {label}"
            ratio = TARGET_RATIO if size == TARGET_SIZE else None
            figures.append(
                bounded_figure(
                    "1 fan-out", name, value, reference, "bare websockets", ratio, digits=2
                )
            )
        spread = [
            last - first for last, first in zip(ours["latencies_ms"], ours["first_ms"], strict=True)
        ]
        details[str(size)] = {
            "stack_ms": _summary(ours["latencies_ms"]),
            "stack_producer_ack_ms": _summary(ours["ack_ms"]),
            "stack_first_client_ms": _summary(ours["first_ms"]),
            "stack_first_to_last_ms": _summary(spread),
            "reference_ms": _summary(theirs["latencies_ms"]),
            "frame_bytes": len(ours["sample"].encode()),
            "sequential_post_ms": ours["posts"],
            "cpu_ms_per_delivery": ours["cpu_ms_per_delivery"],
        }
    largest = str(max(plan.sizes))
    where = details[largest]
    posts = where["sequential_post_ms"]
    spread_each = where["stack_first_to_last_ms"]["p50"] / int(largest)
    cpu_each = where["cpu_ms_per_delivery"]["emulator"]
    cpu_broadcaster = where["cpu_ms_per_delivery"]["broadcaster"]
    notes = [
        f"{plan.writes} writes per size after {plan.warmup} warm-up writes; p99 of "
        f"{plan.writes} samples is close to their maximum",
        f"where the time goes at N={int(largest):,} (medians): write -> producer ack "
        f"{where['stack_producer_ack_ms']['p50']:.0f} ms, write -> first client "
        f"{where['stack_first_client_ms']['p50']:.0f} ms, first -> last client "
        f"{where['stack_first_to_last_ms']['p50']:.0f} ms "
        f"({spread_each:.2f} ms per delivery); CPU per delivery: the emulator process "
        f"(gateway: serving each post, sending each frame) {cpu_each:.2f} ms, the "
        f"broadcaster's own process (Query, signing, posting) {cpu_broadcaster:.2f} ms"
        + (", so the spread is CPU-bound in the emulator" if cpu_each >= 0.8 * spread_each else ""),
        f"one Management API post, sequential: {posts['poster_ms']:.2f} ms through the "
        f"broadcaster's signed poster vs {posts['raw_http_ms']:.2f} ms as a bare unsigned "
        "HTTP request; the broadcaster posts from a process of its own (no shared GIL)",
    ]
    return Outcome(
        benchmark="fanout_latency",
        figures=figures,
        parameters={
            "sizes": list(plan.sizes),
            "writes": plan.writes,
            "warmup": plan.warmup,
            "topic": TOPIC,
            "stack": "mediaday serve subprocess (DynamoDB Local data on tmpfs when present), "
            "clients in the benchmark process",
        },
        details=details,
        notes=notes,
    )


def _clients(size: int) -> str:
    return "1 client" if size == 1 else f"{size:,} clients"


def _summary(values: list[float]) -> dict[str, Any]:
    return {
        "p50": round(median(values), 2),
        "p99": round(percentile(values, 99), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
        "all": [round(value, 2) for value in values],
    }


if __name__ == "__main__":
    benchmark_main("fanout_latency", run, __doc__.splitlines()[0])
