"""The client against a fake protocol server: connect, pages, reconnect, heartbeat, errors."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from client.connection import Backoff, ClientOptions, MediaDayClient, url_with_token
from client.errors import (
    ClientClosed,
    ConflictError,
    ForbiddenError,
    InvalidError,
    InvalidStateError,
    RequestTimeout,
    ServerError,
    ServerUnreachable,
    TokenRefused,
)
from client.events import ConnectionState, ItemChanged, Resynced, StateChanged
from mediaday.models import Slot, Talent
from tests.unit.client.conftest import FAST, fast
from tests.unit.client.fake_server import KIOSK_TOKEN, PRODUCER_TOKEN, FakeServer

SLOT = {
    "type": "slot",
    "id": "sl-1",
    "station_id": "st-1",
    "talent_id": "t-12",
    "starts_at": "2026-05-04T09:00:00Z",
    "ends_at": "2026-05-04T09:15:00Z",
}


def client_for(server: FakeServer, token: str = PRODUCER_TOKEN, **kwargs) -> MediaDayClient:
    kwargs.setdefault("options", FAST)
    return MediaDayClient(server.url, token, **kwargs)


# -- backoff and renewal timing (no server) -------------------------------------------------
def test_backoff_is_full_jitter_within_a_capped_exponential_window():
    backoff = Backoff(first=5.0, cap=60.0)
    rng = random.Random(7)
    assert [backoff.window(n) for n in (1, 2, 3, 4, 5, 9)] == [5, 10, 20, 40, 60, 60]
    for attempt in range(1, 10):
        delays = [backoff.delay(attempt, rng) for _ in range(200)]
        assert all(0 <= d <= backoff.window(attempt) for d in delays)
        # full jitter: the whole window is used, not a narrow band near its top
        assert (
            min(delays)
            < 0.1 * backoff.window(attempt)
            < 0.9 * backoff.window(attempt)
            < max(delays)
        )


def test_fifty_kiosks_losing_the_link_together_do_not_reconnect_in_the_same_second():
    # Given fifty kiosks (each with its own random source) that lose Wi-Fi at the same time
    backoff = ClientOptions().backoff
    delays = [backoff.delay(1, random.Random(seed)) for seed in range(50)]
    # Then their first reconnects spread over several seconds ...
    per_second = Counter(int(delay) for delay in delays)
    assert max(delays) - min(delays) > 3.5
    assert len(per_second) >= 4
    # ... and no single second takes more than a third of them
    assert max(per_second.values()) <= 50 // 3


def test_connections_renew_before_two_hours_at_spread_out_times():
    options = ClientOptions()
    renewals = [options.renewal_after(random.Random(seed)) for seed in range(50)]
    assert all(99 * 60 <= r <= 110 * 60 < 2 * 3600 for r in renewals)
    assert max(renewals) - min(renewals) > 5 * 60


def test_heartbeat_defaults_stay_well_under_the_idle_timeout():
    low, high = ClientOptions().heartbeat
    assert 60 <= low <= high <= 120 < 10 * 60


def test_token_goes_in_the_query_string_and_replaces_an_old_one():
    assert url_with_token("ws://h:1/local", "a.b.c") == "ws://h:1/local?token=a.b.c"
    assert url_with_token("ws://h:1/local?x=1&token=old", "new") == "ws://h:1/local?x=1&token=new"


# -- connect ---------------------------------------------------------------------------------
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


@pytest.mark.parametrize("ack_first", [False, True])
async def test_pages_are_collected_by_request_id_whether_the_ack_comes_first_or_last(
    server, ack_first
):
    server.ack_before_pages = ack_first
    async with client_for(server) as client:
        ack = await client.subscribe("roster")
        assert ack.pages == 3
        assert len(client.mirror.items()) == 6


async def test_a_refused_token_is_a_token_error_not_a_retry(server):
    with pytest.raises(TokenRefused) as refused:
        await client_for(server, token="forged", options=fast(retry_initial=True)).connect()
    assert refused.value.status == 403
    assert server.handshakes == 1
    with pytest.raises(TokenRefused) as missing:
        await client_for(server, token="").connect()
    assert missing.value.status == 401


async def test_an_unreachable_server_is_a_clear_error(unused_tcp_port):
    client = MediaDayClient(f"ws://127.0.0.1:{unused_tcp_port}/local", "t", options=FAST)
    with pytest.raises(ServerUnreachable, match=f"cannot reach ws://127.0.0.1:{unused_tcp_port}"):
        await client.connect()
    assert client.state is ConnectionState.CLOSED


async def test_connect_keeps_retrying_until_the_server_is_up_when_asked_to(unused_tcp_port):
    fake = FakeServer()
    client = MediaDayClient(
        f"ws://127.0.0.1:{unused_tcp_port}/local",
        PRODUCER_TOKEN,
        options=fast(retry_initial=True),
    )
    states: list[StateChanged] = []
    client.add_listener(lambda e: states.append(e) if isinstance(e, StateChanged) else None)
    connecting = asyncio.create_task(client.connect())
    await asyncio.sleep(0.3)
    assert not connecting.done()
    assert any(s.state is ConnectionState.RECONNECTING for s in states)
    # When the server comes up on that port
    from websockets.asyncio.server import serve

    fake._server = await serve(
        fake._handle, "127.0.0.1", unused_tcp_port, process_request=fake._check_token
    )
    await asyncio.wait_for(connecting, 2)
    assert client.state is ConnectionState.CONNECTED
    await client.close()
    await fake.stop()


# -- reconnect and resume ----------------------------------------------------------------------
async def test_server_closing_the_socket_reconnects_and_resumes_missing_nothing(server):
    server.put(SLOT)
    async with client_for(server, topics=["station:st-1"]) as client:
        states = []
        client.add_listener(
            lambda e: states.append(e.state) if isinstance(e, StateChanged) else None
        )
        # When the server drops every socket and a change lands while the client is away
        server.lose_events = True
        await server.drop_all()
        server.put({**SLOT, "title": "Changed while away"})
        server.put(
            {
                **SLOT,
                "id": "sl-2",
                "starts_at": "2026-05-04T10:00:00Z",
                "ends_at": "2026-05-04T10:15:00Z",
            }
        )
        server.lose_events = False
        # Then it reconnects and its mirror has both changes
        await client.wait_until(
            lambda: (
                client.state is ConnectionState.CONNECTED and len(client.mirror.slots("st-1")) == 2
            ),
            3,
        )
        assert client.mirror.get("slot", "sl-1").title == "Changed while away"
        assert states[:2] == [ConnectionState.RECONNECTING, ConnectionState.CONNECTED]
        assert client.reconnects == 1
        assert client.mirror.watermark == server.rev


async def test_items_deleted_while_away_leave_the_mirror_on_resume(server):
    server.put(SLOT)
    async with client_for(server, topics=["station:st-1"]) as client:
        removed: list[ItemChanged] = []
        client.add_listener(lambda e: removed.append(e) if isinstance(e, ItemChanged) else None)
        server.lose_events = True
        await server.drop_all()
        server.delete("slot", "sl-1")
        server.lose_events = False
        await client.wait_until(lambda: not client.mirror.slots("st-1"), 3)
        assert [(e.change, e.item.id) for e in removed] == [("removed", "sl-1")]


async def test_a_write_retried_after_a_reconnect_keeps_its_id_and_is_applied_once(server):
    async with client_for(server) as client:
        # Given the server applies the push but the link drops before the ack
        server.drop_after_write = 1
        ack = await client.push_call("t-12", "st-1", note="now please")
        # Then the client resent it with the same id and got the duplicate ack
        pushes = [r for r in server.requests if r["action"] == "call.push"]
        assert len(pushes) == 2
        assert pushes[0]["id"] == pushes[1]["id"]
        assert ack.duplicate is True
        assert len(server.live("call")) == 1


async def test_a_request_sent_while_disconnected_waits_for_the_next_link(server):
    async with client_for(server) as client:
        server.answer_pings = False  # the next link's resume stalls until pings work again
        await server.drop_all()
        push = asyncio.create_task(client.push_call("t-12", "st-1"))
        await asyncio.sleep(0.2)
        assert not push.done()
        server.answer_pings = True
        ack = await asyncio.wait_for(push, 3)
        assert ack.item["talent_id"] == "t-12"


async def test_a_dead_link_is_detected_when_no_pong_comes_and_the_client_reconnects(server):
    options = fast(heartbeat=(0.1, 0.15), pong_timeout=0.3)
    async with client_for(server, options=options) as client:
        states: list[StateChanged] = []
        client.add_listener(lambda e: states.append(e) if isinstance(e, StateChanged) else None)
        first_link = server.connections[0]
        # When the server stops answering pings (a link that silently died)
        server.answer_pings = False
        started = asyncio.get_running_loop().time()
        await client.wait_until(lambda: client.state is ConnectionState.RECONNECTING, 2)
        # Then it notices within heartbeat + pong timeout
        assert asyncio.get_running_loop().time() - started < 0.15 + 0.3 + 0.3
        assert "no pong" in states[0].reason
        server.answer_pings = True
        await client.wait_until(lambda: client.state is ConnectionState.CONNECTED, 3)
        assert server.connections and server.connections[0] is not first_link


async def test_the_connection_is_renewed_before_its_lifetime_make_before_break(server):
    server.put(SLOT)
    options = fast(max_lifetime=0.3, lifetime_jitter=0.0)
    async with client_for(server, topics=["station:st-1"], options=options) as client:
        await client.wait_until(lambda: client.renewals >= 2, 3)
        # Then it never went through RECONNECTING, and it still receives changes
        assert client.reconnects == 0
        assert client.state is ConnectionState.CONNECTED
        server.put({**SLOT, "title": "After renewal"})
        await client.wait_until(
            lambda: client.mirror.get("slot", "sl-1").title == "After renewal", 2
        )
        assert len(server.connections) == 1


async def test_the_periodic_sync_repairs_an_event_that_was_lost(server):
    options = fast(heartbeat=(0.1, 0.1))
    async with client_for(server, topics=["station:st-1"], options=options) as client:
        server.lose_events = True
        server.put(SLOT)  # the event never reaches the client
        await client.wait_until(lambda: client.mirror.get("slot", "sl-1") is not None, 2)
        assert any(r["action"] == "sync" for r in server.requests)
        assert client.mirror.watermark == server.rev


async def test_sync_asks_for_changes_since_the_watermark(server):
    async with client_for(server, topics=["station:st-1"]) as client:
        watermark = client.mirror.watermark
        server.lose_events = True
        server.put(SLOT)
        assert await client.sync() == server.rev
        sync = next(r for r in server.requests if r["action"] == "sync")
        assert sync["since"] == watermark and sync["topics"] == ["station:st-1"]
        assert client.mirror.get("slot", "sl-1") is not None


async def test_resync_required_falls_back_to_a_new_snapshot(server):
    async with client_for(server, topics=["roster"]) as client:
        server.fail_next["sync"] = ("resync_required", "the server was reset")
        await client.sync()
        assert [r["action"] for r in server.requests][-2:] == ["sync", "subscribe"]


async def test_an_unauthorized_answer_reconnects_and_retries_with_the_same_id(server):
    async with client_for(server) as client:
        server.fail_next["call.push"] = ("unauthorized", "no connection record")
        ack = await client.push_call("t-12", "st-1")
        pushes = [r for r in server.requests if r["action"] == "call.push"]
        assert len(pushes) == 2 and pushes[0]["id"] == pushes[1]["id"] == ack.id
        assert client.reconnects == 1


# -- typed errors ------------------------------------------------------------------------------
async def test_a_stale_version_raises_conflict_with_the_current_item(server):
    async with client_for(server) as client:
        pushed = await client.push_call("t-12", "st-1")
        call_id = pushed.item["id"]
        await client.ack_call(call_id, 1, "en-route")
        with pytest.raises(ConflictError) as conflict:
            await client.ack_call(call_id, 1, "arrived")
        assert conflict.value.code == "conflict"
        assert conflict.value.current["state"] == "en-route"
        assert conflict.value.current["version"] == 2


async def test_refusals_map_to_their_typed_errors(server):
    async with client_for(server, token=KIOSK_TOKEN) as kiosk:
        with pytest.raises(ForbiddenError):
            await kiosk.push_call("t-12", "st-1")
    async with client_for(server) as producer:
        pushed = await producer.push_call("t-12", "st-1")
        await producer.cancel_call(pushed.item["id"], 1)
        with pytest.raises(InvalidStateError):
            await producer.ack_call(pushed.item["id"], 2, "done")
        server.fail_next["call.push"] = ("busy", "too many writers")
        with pytest.raises(ServerError) as busy:
            await producer.push_call("t-12", "st-1")
        assert busy.value.code == "busy"


async def test_an_invalid_request_is_refused_locally_without_sending_anything(server):
    async with client_for(server) as client:
        sent = len(server.requests)
        with pytest.raises(InvalidError, match=r"call\.talent_id: must be an id"):
            await client.push_call("no spaces allowed", "st-1")
        with pytest.raises(ValueError, match="not a topic"):
            await client.subscribe("everything")
        assert len(server.requests) == sent


async def test_no_answer_is_a_request_timeout_naming_the_action(server):
    async with client_for(server, options=fast(request_timeout=0.2)) as client:
        server.answer_requests = False
        with pytest.raises(RequestTimeout, match=r"call\.push") as timeout:
            await client.push_call("t-12", "st-1")
        assert timeout.value.request_id


# -- events and clock --------------------------------------------------------------------------
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


async def test_subscribe_reports_the_snapshot_as_a_resync_event(server):
    async with client_for(server) as client:
        events: list[object] = []
        client.add_listener(events.append)
        await client.subscribe("roster")
        resync = next(e for e in events if isinstance(e, Resynced))
        assert (resync.via, resync.topics, resync.rev, resync.items) == (
            "snapshot",
            ["roster"],
            server.rev,
            6,
        )


async def test_the_server_clock_offset_comes_from_the_pong_and_the_round_trip_midpoint():
    fake = FakeServer(clock_offset=42.0)
    await fake.start()
    try:
        async with MediaDayClient(fake.url, PRODUCER_TOKEN, options=FAST) as client:
            for _ in range(3):
                await client.ping()
            assert client.clock_offset == pytest.approx(42.0, abs=0.05)
            assert client.round_trip is not None and client.round_trip < 0.5
            import time

            assert client.server_time() == pytest.approx(time.time() + 42.0, abs=0.1)
    finally:
        await fake.stop()


# -- shutdown ----------------------------------------------------------------------------------
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


async def test_unsubscribe_drops_what_only_that_topic_showed(server):
    server.put(SLOT)
    async with client_for(server, topics=["station:st-1", "roster"]) as client:
        await client.unsubscribe("station:st-1")
        assert client.mirror.slots() == []
        assert client.mirror.talent()
        server.put({**SLOT, "title": "not for us"})
        await asyncio.sleep(0.05)
        assert client.mirror.slots() == []


async def test_a_token_that_expires_meanwhile_ends_the_client_with_the_refusal(server):
    options = fast(max_lifetime=0.2, lifetime_jitter=0.0, retry_initial=True)
    async with client_for(server, topics=["roster"], options=options) as client:
        # Given the token stops being accepted (it expired) while the client is connected
        del server.tokens[PRODUCER_TOKEN]
        await asyncio.sleep(0.5)
        # Then renewal is refused but the live link is kept ...
        assert client.state is ConnectionState.CONNECTED and client.failure is None
        handshakes = server.handshakes
        # ... and when the link drops, the client stops with the refusal instead of looping
        await server.drop_all()
        await client.wait_until(lambda: client.state is ConnectionState.CLOSED, 2)
        assert isinstance(client.failure, TokenRefused)
        assert server.handshakes == handshakes + 1
        with pytest.raises(TokenRefused):
            await client.push_call("t-12", "st-1")


async def test_a_hanging_periodic_sync_does_not_hold_up_dead_link_detection(server):
    options = fast(heartbeat=(0.1, 0.15), pong_timeout=0.3, request_timeout=5.0)
    async with client_for(server, topics=["roster"], options=options) as client:
        # Given the server answers pings but its sync answers never come
        server.answer_requests = False
        async with asyncio.timeout(2):
            while not any(r["action"] == "sync" for r in server.requests):
                await asyncio.sleep(0.02)
        # When the pongs stop too
        server.answer_pings = False
        started = asyncio.get_running_loop().time()
        await client.wait_until(lambda: client.state is ConnectionState.RECONNECTING, 3)
        # Then the dead link shows within heartbeat + pong timeout, not after the sync's 5 s
        assert asyncio.get_running_loop().time() - started < 1.5
