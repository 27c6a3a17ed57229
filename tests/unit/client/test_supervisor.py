"""The supervisor: retrying with the injected decision and delays, resuming after a drop,
renewing before the gateway's limit, syncing since the watermark."""

from __future__ import annotations

import asyncio

import pytest

from client.connection import MediaDayClient
from client.errors import ClientClosed, ServerUnreachable, TokenRefused
from client.events import ConnectionState, ItemChanged, StateChanged
from mediaday.backoff import Backoff, Uniform
from tests.support.client_options import fast
from tests.unit.client.fake_server import PRODUCER_TOKEN, SLOT, FakeServer, client_for


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


async def test_an_injected_retry_decision_can_give_up_on_what_the_default_retries(
    unused_tcp_port,
):
    # Given a caller whose decision is to give up on any failure, even an unreachable server
    options = fast(retry_initial=True, process_exception=lambda error: error)
    client = MediaDayClient(f"ws://127.0.0.1:{unused_tcp_port}/local", "t", options=options)
    # Then connect() raises at once instead of retrying with backoff
    with pytest.raises(ServerUnreachable):
        await asyncio.wait_for(client.connect(), 2)
    assert client.state is ConnectionState.CLOSED


class _Steps(Backoff):
    """A delay policy of the caller's own: attempt n waits exactly n hundredths."""

    def delay(self, attempt: int, uniform: Uniform | None = None) -> float:
        return attempt / 100


async def test_an_injected_retry_decision_and_delays_retry_what_the_default_refuses(server):
    # Given a decision that retries everything, even a refused token, with the caller's delays
    options = fast(
        retry_initial=True, process_exception=lambda _error: None, backoff=_Steps(0.0, 0.0)
    )
    client = client_for(server, token="forged", options=options)
    states: list[StateChanged] = []
    client.add_listener(lambda e: states.append(e) if isinstance(e, StateChanged) else None)
    connecting = asyncio.create_task(client.connect())
    async with asyncio.timeout(2):
        while server.handshakes < 3:
            await asyncio.sleep(0.01)
    # Then it kept trying, each wait the policy's
    assert not connecting.done()
    retries = [(s.attempt, s.retry_in) for s in states if s.state is ConnectionState.RECONNECTING]
    assert retries[:2] == [(1, 0.01), (2, 0.02)]
    await client.close()
    with pytest.raises(ClientClosed):
        await connecting


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
