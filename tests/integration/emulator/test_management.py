"""The emulator's Management API (`@connections`) against a live socket: POST, GET, DELETE,
410 for a connection that is gone, 413 for a post over 128 KB.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.support.gateway import (
    last_connection_id,
    management,
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
    await wait_for(lambda: recorder.disconnect_of(connection_id))
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
