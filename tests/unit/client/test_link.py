"""The link: the token in the URL, handshake failures as typed errors, the heartbeat."""

from __future__ import annotations

import asyncio

import pytest

from client.connection import MediaDayClient
from client.errors import ServerUnreachable, TokenRefused
from client.events import ConnectionState, StateChanged
from client.link import confirmed_silent, url_with_token
from tests.support.client_options import FAST, fast
from tests.unit.client.fake_server import client_for


def test_token_goes_in_the_query_string_and_replaces_an_old_one():
    assert url_with_token("ws://h:1/local", "a.b.c") == "ws://h:1/local?token=a.b.c"
    assert url_with_token("ws://h:1/local?x=1&token=old", "new") == "ws://h:1/local?x=1&token=new"


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


async def test_a_silent_link_is_detected_when_nothing_comes_back_and_the_client_reconnects(
    server,
):
    options = fast(heartbeat=(0.1, 0.15), pong_timeout=0.3)
    async with client_for(server, options=options) as client:
        states: list[StateChanged] = []
        client.add_listener(lambda e: states.append(e) if isinstance(e, StateChanged) else None)
        first_link = server.connections[0]
        # When the link goes silent (a black hole: no pong, no frame, no WebSocket pong)
        server.silence()
        started = asyncio.get_running_loop().time()
        await client.wait_until(lambda: client.state is ConnectionState.RECONNECTING, 2)
        # Then it notices within heartbeat + pong timeout + the confirming probe's grace
        assert asyncio.get_running_loop().time() - started < 0.15 + 0.3 + 0.15 + 0.3
        assert "no pong" in states[0].reason
        server.lose_events = False
        await client.wait_until(lambda: client.state is ConnectionState.CONNECTED, 3)
        assert server.connections[-1] is not first_link  # (the silent one lingers there)


async def test_a_slow_pong_on_a_link_that_still_answers_is_not_a_dead_link(server):
    options = fast(heartbeat=(0.1, 0.15), pong_timeout=0.3)
    async with client_for(server, options=options) as client:
        # Given a server too slow to answer pings in time, on a link that is still up
        # (the gateway answers WebSocket pings itself)
        server.answer_pings = False
        pings = len([r for r in server.requests if r["action"] == "ping"])
        async with asyncio.timeout(3):
            while len([r for r in server.requests if r["action"] == "ping"]) < pings + 4:
                await asyncio.sleep(0.02)
        # Then four heartbeats later the client still holds its first link
        assert client.state is ConnectionState.CONNECTED
        assert client.reconnects == 0
        assert server.handshakes == 1


async def test_a_hanging_periodic_sync_does_not_hold_up_dead_link_detection(server):
    options = fast(heartbeat=(0.1, 0.15), pong_timeout=0.3, request_timeout=5.0)
    async with client_for(server, topics=["roster"], options=options) as client:
        # Given the server answers pings but its sync answers never come
        server.answer_requests = False
        async with asyncio.timeout(2):
            while not any(r["action"] == "sync" for r in server.requests):
                await asyncio.sleep(0.02)
        # When the link goes silent
        server.silence()
        started = asyncio.get_running_loop().time()
        await client.wait_until(lambda: client.state is ConnectionState.RECONNECTING, 3)
        # Then the dead link shows within heartbeat + pong timeout, not after the sync's 5 s
        assert asyncio.get_running_loop().time() - started < 1.5


async def test_a_slow_snapshot_on_a_live_new_link_is_waited_for_not_reconnected(server):
    # Given a server whose answers take longer than the client's request timeout
    server.answer_delay = 0.5
    options = fast(request_timeout=0.3, retry_initial=True)
    async with client_for(server, topics=["roster"], options=options) as client:
        # Then the first link resumes (its subscribe waited on the live link) and stays
        assert client.state is ConnectionState.CONNECTED
        assert server.handshakes == 1
        assert client.mirror.items()


class _QuietLink:
    """A link on which nothing was heard; its next WebSocket ping is answered by `answer`."""

    heard_at = 0.0

    def __init__(self, answer: asyncio.Future[float]) -> None:
        self.answer = answer

    async def probe(self) -> asyncio.Future[float]:
        return self.answer


async def test_a_late_websocket_pong_within_the_grace_is_not_silence():
    # Given a link that looked silent (a client whose own loop stalled): the confirming
    # probe's pong comes back within the grace
    loop = asyncio.get_running_loop()
    pong: asyncio.Future[float] = loop.create_future()
    loop.call_later(0.05, pong.set_result, 0.05)
    assert not await confirmed_silent(_QuietLink(pong), loop.time(), None, grace=1.0)  # type: ignore[arg-type]


async def test_a_link_quiet_through_the_grace_is_silent():
    loop = asyncio.get_running_loop()
    never: asyncio.Future[float] = loop.create_future()
    started = loop.time()
    assert await confirmed_silent(_QuietLink(never), started, None, grace=0.1)  # type: ignore[arg-type]
    assert 0.1 <= loop.time() - started < 0.5
