"""API Gateway's quotas as the emulator enforces them: message and frame sizes (close 1009),
the idle timeout and the lifetime (close 1001), the new-connection rate (429), the
integration timeout (29 s) and the URL length (4096 characters).
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from infra.local.limits import GatewayLimits
from tests.support.gateway import (
    chat_until_closed,
    last_connection_id,
    start_gateway,
    wait_for,
)

KB = 1024


# -- size limits ---------------------------------------------------------------------------
async def test_a_message_over_128_kb_closes_the_connection_with_1009(gateway, recorder):
    async with connect(gateway.url) as ws:
        connection_id = await last_connection_id(recorder)
        # sent in 32 KB frames, as API Gateway requires, but 128 KB + 1 in all
        chunks = ["x" * (32 * KB)] * 4 + ["x"]
        await ws.send(iter(chunks))
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 1009
    event = await wait_for(lambda: recorder.disconnect_of(connection_id))
    assert event["requestContext"]["disconnectStatusCode"] == 1009


async def test_a_128_kb_message_in_32_kb_frames_is_delivered_whole(gateway, recorder):
    payload = json.dumps({"action": "big", "pad": ""})
    pad = 128 * KB - len(payload)
    message = json.dumps({"action": "big", "pad": "p" * pad})
    assert len(message) == 128 * KB
    frames = [message[i : i + 32 * KB] for i in range(0, len(message), 32 * KB)]
    async with connect(gateway.url, max_size=None) as ws:
        await ws.send(iter(frames))
        answer = json.loads(await ws.recv())
    assert answer["got"]["pad"] == "p" * pad


async def test_a_single_frame_over_32_kb_closes_the_connection_with_1009(gateway, recorder):
    async with connect(gateway.url) as ws:
        connection_id = await last_connection_id(recorder)
        await ws.send("y" * (32 * KB + 1))
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 1009
    event = await wait_for(lambda: recorder.disconnect_of(connection_id))
    assert event["requestContext"]["disconnectStatusCode"] == 1009
    assert recorder.messages == []


async def test_a_32_kb_frame_is_accepted(gateway):
    async with connect(gateway.url) as ws:
        message = json.dumps({"action": "shout", "pad": ""})
        message = json.dumps({"action": "shout", "pad": "z" * (32 * KB - len(message))})
        await ws.send(message)
        assert json.loads(await ws.recv()) == {"route": "shout"}


# -- timeouts and rates --------------------------------------------------------------------
async def test_an_idle_connection_is_closed_with_1001_and_activity_keeps_one_open(recorder):
    gateway, url = await start_gateway(recorder, GatewayLimits(idle_timeout_seconds=0.6))
    try:
        async with connect(url) as idle, connect(url) as busy:
            idle_id = recorder.connects[0]["requestContext"]["connectionId"]
            for _ in range(6):
                await busy.send(json.dumps({"action": "shout"}))
                await busy.recv()
                await asyncio.sleep(0.2)
            with pytest.raises(ConnectionClosed):
                await idle.recv()
            assert idle.close_code == 1001
            await busy.send(json.dumps({"action": "shout"}))
            assert json.loads(await busy.recv()) == {"route": "shout"}
        event = await wait_for(lambda: recorder.disconnect_of(idle_id))
        assert event["requestContext"]["disconnectReason"] == "Idle timeout"
    finally:
        await gateway.close()


async def test_a_connection_is_closed_at_the_end_of_its_lifetime(recorder):
    gateway, url = await start_gateway(recorder, GatewayLimits(max_lifetime_seconds=0.5))
    try:
        async with connect(url) as ws:
            connection_id = await last_connection_id(recorder)
            started = time.monotonic()
            with pytest.raises(ConnectionClosed):
                await chat_until_closed(ws)
            assert time.monotonic() - started < 3
            assert ws.close_code == 1001
        event = await wait_for(lambda: recorder.disconnect_of(connection_id))
        assert event["requestContext"]["disconnectReason"] == "Connection lifetime exceeded"
    finally:
        await gateway.close()


async def test_new_connections_over_the_rate_are_refused_with_429(recorder):
    gateway, url = await start_gateway(recorder, GatewayLimits(new_connections_per_second=2))
    try:
        statuses = []
        for _ in range(4):
            try:
                async with connect(url):
                    statuses.append(101)
            except InvalidStatus as refused:
                statuses.append(refused.response.status_code)
        assert statuses[:2] == [101, 101] and 429 in statuses[2:]
        await asyncio.sleep(1.1)
        async with connect(url):
            pass
    finally:
        await gateway.close()


# -- integration timeout and URL length ------------------------------------------------------
async def test_a_route_past_the_integration_timeout_answers_endpoint_request_timed_out(recorder):
    limits = GatewayLimits(integration_timeout_seconds=0.3)
    gateway, url = await start_gateway(recorder, limits)
    try:
        async with connect(url) as ws:
            await ws.send(json.dumps({"action": "slow", "seconds": 0.8}))
            frame = json.loads(await ws.recv())
            assert frame["message"] == "Endpoint request timed out"
            assert frame["connectionId"] and frame["requestId"]
            # the late handler's answer is dropped; the connection carries on
            await asyncio.sleep(0.7)
            await ws.send(json.dumps({"action": "shout"}))
            assert json.loads(await ws.recv()) == {"route": "shout"}
    finally:
        await gateway.close()


async def test_a_connect_past_the_integration_timeout_refuses_the_handshake_with_504(recorder):
    gateway, url = await start_gateway(recorder, GatewayLimits(integration_timeout_seconds=0.3))
    try:
        with pytest.raises(InvalidStatus) as raised:
            async with connect(f"{url}?sleep=0.6"):
                pass
        assert raised.value.response.status_code == 504
        assert gateway.connection_count == 0
    finally:
        await gateway.close()
    assert recorder.disconnects == []  # the connection never existed


async def test_a_url_over_4096_characters_is_refused_and_one_of_4096_accepted(gateway):
    base = f"{gateway.url}?pad="
    async with connect(base + "p" * (4096 - len(base))):
        pass
    with pytest.raises(InvalidStatus) as raised:
        async with connect(base + "p" * (4097 - len(base))):
            pass
    assert raised.value.response.status_code == 414
