"""The public client: connecting, local validation, events, the server clock, closing."""

from __future__ import annotations

import asyncio
import time

import pytest

from client.connection import MediaDayClient
from client.errors import ClientClosed, InvalidError
from client.events import ConnectionState, ItemChanged, StateChanged
from mediaday.models import Slot, Talent
from tests.support.client_options import FAST, fast
from tests.unit.client.fake_server import PRODUCER_TOKEN, SLOT, FakeServer, client_for


async def test_connect_subscribes_and_fills_the_mirror_from_every_page(server):
    server.put(SLOT)
    client = client_for(server, topics=["roster", "station:st-1"])
    async with client:
        # Then the roster (6 items over 3 pages of 2) and the station's slot are mirrored
        assert client.state is ConnectionState.CONNECTED
        assert {t.id for t in client.mirror.items_of(Talent)} == {"t-12", "t-7", "t-3"}
        assert [s.id for s in client.mirror.slots("st-1")] == ["sl-1"]
        assert client.mirror.watermark == server.rev
        assert client.clock_offset is not None


async def test_an_invalid_request_is_refused_locally_without_sending_anything(server):
    async with client_for(server) as client:
        sent = len(server.requests)
        with pytest.raises(InvalidError, match=r"call\.talent_id: must be 1-64 letters, digits"):
            await client.push_call("no spaces allowed", "st-1")
        with pytest.raises(ValueError, match="not a topic"):
            await client.subscribe("everything")
        assert len(server.requests) == sent


async def test_events_reach_callbacks_and_the_async_iterator_until_close(server):
    client = client_for(server, topics=["station:st-1"])
    await client.connect()
    seen: list[object] = []
    client.add_listener(seen.append)
    received: list[object] = []

    async def consume() -> None:
        async for event in client.events():
            received.append(event)

    consumer = asyncio.create_task(consume())
    await asyncio.sleep(0)
    server.put(SLOT)
    await client.wait_until(lambda: client.mirror.get("slot", "sl-1") is not None, 2)
    await client.close()
    await asyncio.wait_for(consumer, 1)  # the iterator ends when the client closes
    changes = [e for e in received if isinstance(e, ItemChanged)]
    assert [(c.change, c.item.id, c.topic) for c in changes] == [("added", "sl-1", "station:st-1")]
    assert isinstance(changes[0].item, Slot)
    assert any(isinstance(e, ItemChanged) for e in seen)
    assert received[-1] == StateChanged(state=ConnectionState.CLOSED, reason="closed")


async def test_the_client_asks_for_batched_events_and_applies_them(server):
    # Given a client subscribed to two topics that both hold the slot
    async with client_for(server, topics=["schedule", "station:st-1"]) as client:
        subscribes = [r for r in server.requests if r.get("action") == "subscribe"]
        assert subscribes
        assert {r.get("events") for r in subscribes} == {"batched"}
        pushed: list[dict] = []
        send = server._send

        async def recording(ws, frame):
            pushed.append(frame)
            await send(ws, frame)

        server._send = recording
        # When the slot changes, the server pushes one `events` frame naming both topics
        server.put(SLOT)
        await client.wait_until(lambda: client.mirror.get("slot", "sl-1") is not None, 2)
        # Then the mirror holds it, from that one frame
        assert [s.id for s in client.mirror.slots("st-1")] == ["sl-1"]
        assert [(f["type"], f["changes"][0]["topics"]) for f in pushed] == [
            ("events", ["schedule", "station:st-1"])
        ]


async def test_unsubscribe_drops_what_only_that_topic_showed(server):
    server.put(SLOT)
    async with client_for(server, topics=["station:st-1", "roster"]) as client:
        await client.unsubscribe("station:st-1")
        assert client.mirror.slots() == []
        assert client.mirror.talent()
        server.put({**SLOT, "title": "not for us"})
        await asyncio.sleep(0.05)
        assert client.mirror.slots() == []


async def test_the_server_clock_offset_comes_from_the_pong_and_the_round_trip_midpoint():
    fake = FakeServer(clock_offset=42.0)
    await fake.start()
    try:
        async with MediaDayClient(fake.url, PRODUCER_TOKEN, options=FAST) as client:
            for _ in range(3):
                await client.ping()
            assert client.clock_offset == pytest.approx(42.0, abs=0.05)
            assert client.round_trip is not None and client.round_trip < 0.5
            assert client.server_time() == pytest.approx(time.time() + 42.0, abs=0.1)
    finally:
        await fake.stop()


async def test_close_fails_waiting_requests_and_leaves_no_task_behind(server):
    client = client_for(server, options=fast(request_timeout=5))
    await client.connect()
    server.answer_requests = False
    waiting = asyncio.create_task(client.push_call("t-12", "st-1"))
    await asyncio.sleep(0.05)
    await client.close()
    with pytest.raises(ClientClosed):
        await waiting
    await asyncio.sleep(0)
    leftovers = [t for t in asyncio.all_tasks() if t.get_name().startswith("mediaday")]
    assert leftovers == []
    assert client.state is ConnectionState.CLOSED
    await client.close()  # idempotent
    with pytest.raises(ClientClosed):
        await client.push_call("t-12", "st-1")
