"""The emulator's Management API (`@connections`) against a live socket: POST, GET, DELETE,
410 for a connection that is gone, 413 for a post over 128 KB, 429 for a client that does
not read.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from websockets.asyncio.client import connect
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


# -- @connections --------------------------------------------------------------------------
async def test_management_api_posts_gets_and_deletes_then_answers_gone(gateway, recorder):
    api = management(recorder.management_endpoint)
    async with connect(gateway.url, user_agent_header="crew-tablet") as ws:
        connection_id = await last_connection_id(recorder)
        # POST: the body is the message
        await asyncio.to_thread(api.post_to_connection, ConnectionId=connection_id, Data=b"hi")
        assert await ws.recv() == "hi"
        # GET: when it connected, when it was last active, from where
        info = await asyncio.to_thread(api.get_connection, ConnectionId=connection_id)
        assert info["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "crew-tablet"}
        assert abs(info["ConnectedAt"].timestamp() - time.time()) < 5
        assert info["LastActiveAt"] >= info["ConnectedAt"]
        # DELETE: the server closes the socket and $disconnect runs
        await asyncio.to_thread(api.delete_connection, ConnectionId=connection_id)
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 1000
    event = await wait_for(lambda: recorder.disconnect_of(connection_id))
    assert event["requestContext"]["disconnectStatusCode"] == 1000
    for call in (api.post_to_connection, api.get_connection, api.delete_connection):
        kwargs = {"ConnectionId": connection_id}
        if call == api.post_to_connection:
            kwargs["Data"] = b"late"
        with pytest.raises(api.exceptions.GoneException):
            await asyncio.to_thread(call, **kwargs)


async def test_unknown_connection_is_gone(gateway, recorder):
    api = management(recorder.management_endpoint)
    with pytest.raises(api.exceptions.GoneException):
        await asyncio.to_thread(api.post_to_connection, ConnectionId="nope=", Data=b"x")


async def test_a_post_over_128_kb_is_refused_with_413(gateway, recorder):
    api = management(recorder.management_endpoint)
    async with connect(gateway.url, max_size=None) as ws:
        connection_id = await last_connection_id(recorder)
        exactly = b"x" * (128 * KB)
        await asyncio.to_thread(api.post_to_connection, ConnectionId=connection_id, Data=exactly)
        assert len(await ws.recv()) == 128 * KB
        with pytest.raises(api.exceptions.PayloadTooLargeException):
            await asyncio.to_thread(
                api.post_to_connection, ConnectionId=connection_id, Data=exactly + b"x"
            )


async def test_posts_to_a_client_that_does_not_read_are_refused_with_429(recorder):
    gateway, _ = await start_gateway(recorder, GatewayLimits(send_timeout_seconds=0.5))
    # Given a client that completed the handshake and then reads nothing
    raw = await RawWebSocket.open(gateway.port)
    api = management(recorder.management_endpoint)
    try:
        connection_id = await last_connection_id(recorder)
        # When 128 KB messages pile up in its buffers, Then the posts end in a 429
        refused = await post_until_refused(api, connection_id, b"q" * (128 * KB), tries=400)
        assert refused.response["Error"]["Code"] == "LimitExceededException"
    finally:
        await raw.close()
        await gateway.close()


async def post_until_refused(api: Any, connection_id: str, data: bytes, tries: int) -> Any:
    for _ in range(tries):
        try:
            await asyncio.to_thread(api.post_to_connection, ConnectionId=connection_id, Data=data)
        except ClientError as refused:
            return refused
    raise AssertionError(f"{tries} posts of {len(data)} bytes, none refused")
