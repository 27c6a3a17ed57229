"""The emulator's frames as API Gateway's: text only in (a binary frame closes with 1003),
messages out in frames of at most 32 KB, pings answered but not counted as activity, no
compression negotiated."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest
from botocore.exceptions import ClientError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from infra.local.limits import GatewayLimits
from tests.support.gateway import (
    RawWebSocket,
    last_connection_id,
    management,
    start_gateway,
    wait_for,
)

KB = 1024


# -- in: text only ---------------------------------------------------------------------------
async def test_a_binary_frame_closes_the_connection_with_1003_and_is_never_routed(
    gateway, recorder
):
    async with connect(gateway.url) as ws:
        connection_id = await last_connection_id(recorder)
        await ws.send(json.dumps({"action": "shout"}).encode())  # JSON, but in a binary frame
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 1003
    event = await wait_for(lambda: recorder.disconnect_of(connection_id))
    assert event["requestContext"]["disconnectStatusCode"] == 1003
    assert recorder.messages == []


# -- out: frames of 32 KB at most --------------------------------------------------------------
async def test_a_post_over_32_kb_arrives_as_one_message_in_frames_of_32_kb_at_most(
    gateway, recorder
):
    raw = await RawWebSocket.open(gateway.port)
    try:
        connection_id = await last_connection_id(recorder)
        api = management(recorder.management_endpoint)
        message = b"m" * (128 * KB)
        await asyncio.to_thread(api.post_to_connection, ConnectionId=connection_id, Data=message)
        frames = [await raw.frame()]
        while not frames[-1][0]:
            frames.append(await raw.frame())
        # Then a text frame without FIN, continuations, the last with FIN: one message
        assert [(fin, opcode) for fin, opcode, _ in frames] == [
            (False, 0x1),
            (False, 0x0),
            (False, 0x0),
            (True, 0x0),
        ]
        assert all(len(payload) <= 32 * KB for _, _, payload in frames)
        assert b"".join(payload for _, _, payload in frames) == message
        # and a message of 32 KB is one frame
        exactly = b"e" * (32 * KB)
        await asyncio.to_thread(api.post_to_connection, ConnectionId=connection_id, Data=exactly)
        assert await raw.frame() == (True, 0x1, exactly)
    finally:
        await raw.close()


async def test_a_websocket_client_reassembles_text_cut_inside_a_character(gateway, recorder):
    api = management(recorder.management_endpoint)
    async with connect(gateway.url, max_size=None) as ws:
        connection_id = await last_connection_id(recorder)
        text = "a" + "é" * (40 * KB)  # two bytes each, shifted by one: cuts fall inside them
        data = text.encode()
        await asyncio.to_thread(api.post_to_connection, ConnectionId=connection_id, Data=data)
        assert await ws.recv() == text


# -- control frames and extensions ---------------------------------------------------------------
async def test_pings_are_answered_but_do_not_keep_an_idle_connection_open(recorder):
    gateway, url = await start_gateway(recorder, GatewayLimits(idle_timeout_seconds=0.6))
    try:
        async with connect(url, ping_interval=None) as ws:
            connection_id = await last_connection_id(recorder)
            pongs = await until_closed(ws, lambda: ping(ws), within=5)
            assert pongs >= 2
            assert ws.close_code == 1001
        event = await wait_for(lambda: recorder.disconnect_of(connection_id))
        assert event["requestContext"]["disconnectReason"] == "Idle timeout"
    finally:
        await gateway.close()


async def test_server_posts_alone_do_not_keep_a_connection_open(recorder):
    gateway, url = await start_gateway(recorder, GatewayLimits(idle_timeout_seconds=0.6))
    api = management(recorder.management_endpoint)
    try:
        async with connect(url) as ws:
            connection_id = await last_connection_id(recorder)

            async def tick() -> None:
                await asyncio.to_thread(
                    api.post_to_connection, ConnectionId=connection_id, Data=b"tick"
                )
                assert await ws.recv() == "tick"

            received = await until_closed(ws, tick, within=5)
            assert received >= 2
        event = await wait_for(lambda: recorder.disconnect_of(connection_id))
        assert event["requestContext"]["disconnectReason"] == "Idle timeout"
    finally:
        await gateway.close()


async def test_no_compression_extension_is_negotiated(gateway):
    async with connect(gateway.url, compression="deflate") as ws:
        assert ws.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        assert ws.protocol.extensions == []


async def ping(ws: ClientConnection) -> None:
    await asyncio.wait_for(await ws.ping(), 1)


async def until_closed(
    ws: ClientConnection, step: Callable[[], Awaitable[None]], within: float
) -> int:
    """Run `step` every 0.1 s until the gateway closes the connection; how many succeeded."""
    done = 0
    async with asyncio.timeout(within):
        while True:
            try:
                await step()
            except (ConnectionClosed, ClientError):  # a post to it may answer 410 first
                await ws.wait_closed()
                return done
            done += 1
            await asyncio.sleep(0.1)
