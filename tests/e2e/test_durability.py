"""Durability of the local stack: a clean restart and a `kill -9` of the whole process group
in the middle of a burst of writes lose no acknowledged write, and the stream poller picks
up where the broadcaster last succeeded. Also the idle timeout, which this stack shortens."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from infra.local.runner import LocalStack
from tests.support.wsclient import ProtocolClient

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.reliability]

# Short, so the idle test is quick; long enough that a busy 2-core machine never stalls a
# client past it between two requests (1.5 s did, under a parallel suite).
IDLE_TIMEOUT = 3.0
START = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = LocalStack(
        tmp_path_factory.mktemp("durable"),
        demo=False,
        args=["--idle-timeout", str(IDLE_TIMEOUT)],
    ).start()
    yield stack
    if stack.running:
        stack.stop()


_SLOT_TIMES = itertools.count()  # every slot of the module at its own time: t-1 is in all


def new_slot(n: int) -> dict:
    begins = START + timedelta(minutes=10 * next(_SLOT_TIMES))
    return {
        "id": f"sl-{uuid.uuid4().hex[:10]}",
        "station_id": "st-1",
        "talent_id": "t-1",
        "starts_at": begins.isoformat(),
        "ends_at": (begins + timedelta(minutes=8)).isoformat(),
        "title": f"slot {n}",
    }


async def ensure_roster(producer: ProtocolClient) -> None:
    """Station st-1 and talent t-1, which the slots point at (a repeat is a conflict)."""
    for action, field, item_id in (
        ("station.put", "station", "st-1"),
        ("talent.put", "talent", "t-1"),
    ):
        answer = await producer.request(action, **{field: {"id": item_id, "name": item_id}})
        assert answer["type"] == "ack" or answer.get("code") == "conflict", answer


async def everything(stack: LocalStack) -> dict[str, dict]:
    """The whole schedule, as a fresh client syncing from rev 0 sees it."""
    async with await ProtocolClient.open(stack.url_for("kiosk")) as kiosk:
        await kiosk.subscribe("schedule")
        return {item_id: item for (_, item_id), item in kiosk.items("schedule").items()}


async def collect_acks(ws, acked: dict[str, int]) -> None:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if frame.get("type") == "ack" and frame["id"].startswith("burst-"):
            acked[frame["item"]["id"]] = frame["version"]


async def keep_alive(ws) -> None:
    with contextlib.suppress(ConnectionClosed):
        for n in range(1000):
            await asyncio.sleep(IDLE_TIMEOUT / 3)
            await ws.send(json.dumps({"action": "ping", "id": f"hb-{n}"}))


async def test_acknowledged_writes_survive_a_clean_restart(stack):
    async with await ProtocolClient.open(stack.url_for("producer")) as producer:
        await ensure_roster(producer)
        acks = [await producer.request("slot.create", slot=new_slot(n)) for n in range(10)]
    assert all(ack["type"] == "ack" for ack in acks)
    # When the stack is stopped cleanly (SIGTERM) and started again
    assert stack.stop() == 0
    assert not (stack.data_dir / "stack.json").exists()
    stack.start()
    # Then every acknowledged write is there
    schedule = await everything(stack)
    for ack in acks:
        assert schedule[ack["item"]["id"]]["version"] == ack["version"]


async def test_kill_9_in_the_middle_of_a_burst_loses_no_acknowledged_write(stack):
    acked: dict[str, int] = {}
    async with connect(stack.url_for("producer"), max_size=None) as ws:
        heartbeat = asyncio.create_task(keep_alive(ws))  # as clients do: no idle close
        sent = 0

        async def send_next() -> None:
            nonlocal sent
            request = {"action": "slot.create", "id": f"burst-{sent}", "slot": new_slot(sent)}
            await ws.send(json.dumps(request))
            sent += 1

        # Given a burst of creates, eight in flight at any time
        for _ in range(8):
            await send_next()
        # When the whole process group is killed once 40 of them are acknowledged
        try:
            while len(acked) < 40:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if frame.get("type") == "ack" and frame["id"].startswith("burst-"):
                    acked[frame["item"]["id"]] = frame["version"]
                if frame.get("type") in ("ack", "error") and frame["id"].startswith("burst-"):
                    await send_next()
        finally:
            stack.kill()
            heartbeat.cancel()
        with pytest.raises(ConnectionClosed):
            await collect_acks(ws, acked)  # acks that raced the kill count too
    # Then after a restart every acknowledged write is there
    stack.start()
    schedule = await everything(stack)
    missing = [item_id for item_id in acked if item_id not in schedule]
    assert missing == []
    assert all(schedule[item_id]["version"] >= version for item_id, version in acked.items())


async def test_kill_9_in_the_middle_of_shifts_leaves_every_shift_whole(stack):
    # Given a station of 30 slots, written in one batch with its roster
    writes: list[dict] = [
        {"action": "station.put", "id": "k9-st", "station": {"id": "st-k9", "name": "K9"}}
    ]
    for n in range(30):
        begins = START + timedelta(hours=4, minutes=10 * n)
        writes.append(
            {
                "action": "talent.put",
                "id": f"k9-t{n}",
                "talent": {"id": f"k9-t{n}", "name": f"T{n}"},
            }
        )
        writes.append(
            {
                "action": "slot.create",
                "id": f"k9-s{n}",
                "slot": {
                    "id": f"sl-k9-{n}",
                    "station_id": "st-k9",
                    "talent_id": f"k9-t{n}",
                    "starts_at": begins.isoformat(),
                    "ends_at": (begins + timedelta(minutes=8)).isoformat(),
                },
            }
        )
    async with await ProtocolClient.open(stack.url_for("producer")) as producer:
        for start in range(0, len(writes), 12):  # short requests: the idle timeout is 3 s
            answer = await producer.request("batch", writes=writes[start : start + 12])
            assert answer["type"] == "ack", answer
    acked = sent = 0
    async with connect(stack.url_for("producer"), max_size=None) as ws:
        heartbeat = asyncio.create_task(keep_alive(ws))

        async def send_next() -> None:
            nonlocal sent
            shift = {
                "action": "schedule.shift",
                "id": f"k9-shift-{sent}",
                "minutes": 1,
                "station_id": "st-k9",
                "starting_at": START.isoformat(),
            }
            await ws.send(json.dumps(shift))
            sent += 1

        # When the stack is killed with shifts of 30 slots in flight
        for _ in range(3):
            await send_next()
        try:
            while acked < 6:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if frame.get("id", "").startswith("k9-shift-"):
                    assert frame["type"] == "ack", frame
                    acked += 1
                    await send_next()
        finally:
            stack.kill()
            heartbeat.cancel()
    # Then after a restart every slot moved by the same number of whole shifts: at least
    # the acknowledged ones, at most the sent ones
    stack.start()
    schedule = await everything(stack)
    moved = {
        (
            datetime.fromisoformat(item["starts_at"])
            - datetime.fromisoformat(item["planned_starts_at"])
        )
        for item_id, item in schedule.items()
        if item_id.startswith("sl-k9-")
    }
    assert len(moved) == 1, moved
    (offset,) = moved
    assert acked <= offset.total_seconds() / 60 <= sent


async def _checkpoint(stack: LocalStack, within: float = 60.0) -> dict:
    """The poller's checkpoint, once the restarted poller has written it: after a kill it
    first catches up on the burst's backlog, which takes a while on a busy machine."""
    path = stack.data_dir / "stream-checkpoint.json"
    deadline = time.monotonic() + within
    while not path.exists():
        assert time.monotonic() < deadline, f"no {path.name} within {within} s"
        await asyncio.sleep(0.1)
    return json.loads(path.read_text())


async def test_the_stream_poller_resumes_after_a_kill_and_keeps_broadcasting(stack):
    checkpoint = await _checkpoint(stack)
    assert checkpoint["shards"], checkpoint
    async with (
        await ProtocolClient.open(stack.url_for("producer")) as producer,
        await ProtocolClient.open(stack.url_for("crew", "st-1")) as crew,
    ):
        await ensure_roster(producer)
        await crew.subscribe("station:st-1")
        ack = await producer.request("slot.create", slot=new_slot(999))
        event = await crew.next_event(item_id=ack["item"]["id"])
        assert event["version"] == ack["version"]
    assert not (stack.data_dir / "dead-letters.jsonl").exists()


async def test_an_idle_connection_is_closed_after_the_idle_timeout(stack):
    # The gateway's idle clock starts when it accepts the socket: after `dialled`, before
    # `connect` returns (a busy machine puts tenths of a second between the two).
    dialled = time.monotonic()
    async with connect(stack.url_for("kiosk")) as ws:
        started = time.monotonic()
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), IDLE_TIMEOUT + 5)
        assert ws.close_code == 1001
        closed = time.monotonic()
        assert closed - dialled >= IDLE_TIMEOUT - 0.1
        assert closed - started < IDLE_TIMEOUT + 3


def test_the_stack_stops_with_an_error_when_dynamodb_local_dies(stack):
    # Given the running stack (last test of the module: it ends the stack)
    found = subprocess.run(
        ["pgrep", "-f", "--", f"-dbPath {stack.data_dir / 'dynamodb'}"],
        capture_output=True,
        text=True,
        check=True,
    )
    # When DynamoDB Local dies under it
    for pid in found.stdout.split():
        os.kill(int(pid), signal.SIGKILL)
    # Then the stack stops on its own, says why, and removes stack.json
    assert stack.process.wait(timeout=30) == 1
    stack.process = None
    assert "DynamoDB Local stopped unexpectedly" in stack.log_tail()
    assert not (stack.data_dir / "stack.json").exists()
