"""The API Gateway WebSocket emulator on a real loopback socket, with recording handlers:
$connect, routing, $disconnect, shutdown and the web pages.

The handlers here are plain functions (tests/support/gateway.py), so these tests pin the
emulator's own behaviour; tests/e2e runs it with the real Lambda handlers.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from infra.local.limits import GatewayLimits
from tests.support.gateway import (
    last_connection_id,
    start_gateway,
    wait_for,
)


# -- $connect ------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [401, 403])
async def test_a_refusing_connect_handler_refuses_the_handshake_with_its_status(
    gateway, recorder, status
):
    with pytest.raises(InvalidStatus) as raised:
        async with connect(f"{gateway.url}?status={status}"):
            pass
    assert raised.value.response.status_code == status
    assert recorder.disconnects == []  # a refused connection never existed
    assert gateway.connection_count == 0


async def test_a_crashing_connect_handler_refuses_the_handshake_with_502(gateway, recorder):
    with pytest.raises(InvalidStatus) as raised:
        async with connect(f"{gateway.url}?boom=1"):
            pass
    assert raised.value.response.status_code == 502
    assert recorder.disconnects == []
    assert gateway.connection_count == 0


async def test_connect_event_is_shaped_like_api_gateways(gateway, recorder):
    async with connect(f"{gateway.url}?token=abc&x=1&x=2", user_agent_header="probe/1"):
        pass
    event = recorder.connects[-1]
    model = APIGatewayWebSocketConnectEventModel.model_validate(event)
    context = event["requestContext"]
    assert model.request_context.stage == "local"
    assert context["connectionId"].endswith("=") and len(context["connectionId"]) == 16
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert event["queryStringParameters"] == {"token": "abc", "x": "2"}
    assert event["multiValueQueryStringParameters"]["x"] == ["1", "2"]
    assert event["headers"]["User-Agent"] == "probe/1"
    assert event["multiValueHeaders"]["X-Forwarded-For"] == ["127.0.0.1"]
    assert abs(context["requestTimeEpoch"] - time.time() * 1000) < 5000


async def test_connect_answer_selects_the_subprotocol(gateway):
    url = f"{gateway.url}?proto=mediaday.v1"
    async with connect(url, subprotocols=["mediaday.v1", "tok"]) as ws:
        assert ws.subprotocol == "mediaday.v1"


async def test_each_connection_gets_a_fresh_id(gateway, recorder):
    for _ in range(3):
        async with connect(gateway.url):
            pass
    ids = {event["requestContext"]["connectionId"] for event in recorder.connects}
    assert len(ids) == 3


async def test_a_post_from_the_connect_handler_is_gone_the_connection_is_not_open_yet(
    gateway, recorder
):
    async with connect(f"{gateway.url}?post-self=1") as ws:
        assert recorder.connect_posts == ["GoneException"]
        await ws.send(json.dumps({"action": "shout"}))
        assert json.loads(await ws.recv()) == {"route": "shout"}  # the early post never came


# -- routes --------------------------------------------------------------------------------
async def test_messages_route_on_action_with_default_fallback_and_bodies_come_back(
    gateway, recorder
):
    async with connect(gateway.url) as ws:
        await ws.send(json.dumps({"action": "shout"}))
        assert json.loads(await ws.recv()) == {"route": "shout"}
        await ws.send(json.dumps({"action": "ping", "id": "1"}))
        assert json.loads(await ws.recv())["route"] == "$default"
        await ws.send("not json")
        assert json.loads(await ws.recv())["route"] == "$default"
    event = recorder.messages[0]
    model = APIGatewayWebSocketMessageEventModel.model_validate(event)
    assert model.request_context.route_key == "$default"
    assert event["requestContext"]["messageId"]


async def test_without_a_default_route_an_unmatched_message_is_answered_forbidden(recorder):
    gateway, url = await start_gateway(recorder, GatewayLimits(), with_default=False)
    try:
        async with connect(url) as ws:
            await ws.send(json.dumps({"action": "nowhere"}))
            frame = json.loads(await ws.recv())
            assert frame["message"] == "Forbidden" and frame["connectionId"]
            await ws.send(json.dumps({"action": "shout"}))
            assert json.loads(await ws.recv()) == {"route": "shout"}
        assert recorder.messages == []
    finally:
        await gateway.close()


async def test_a_crashing_handler_answers_internal_server_error_and_keeps_the_socket(gateway):
    async with connect(gateway.url) as ws:
        await ws.send(json.dumps({"action": "boom"}))
        frame = json.loads(await ws.recv())
        assert frame["message"] == "Internal server error" and frame["connectionId"]
        await ws.send(json.dumps({"action": "shout"}))
        assert json.loads(await ws.recv()) == {"route": "shout"}


async def test_a_handler_may_post_to_its_own_connection_before_answering(gateway):
    async with connect(gateway.url) as ws:
        await ws.send(json.dumps({"action": "post-self"}))
        assert json.loads(await ws.recv()) == {"page": 1}
        assert json.loads(await ws.recv())["route"] == "$default"


# -- $disconnect ---------------------------------------------------------------------------
async def test_client_close_fires_disconnect_with_the_clients_code(gateway, recorder):
    async with connect(gateway.url) as ws:
        connection_id = await last_connection_id(recorder)
        await ws.close(code=4000, reason="bye")
    event = await wait_for(lambda: recorder.disconnect_of(connection_id))
    model = APIGatewayWebSocketDisconnectEventModel.model_validate(event)
    assert model.request_context.disconnect_status_code == 4000


async def test_a_vanished_client_fires_disconnect(gateway, recorder):
    # Given a client that completed the handshake on a raw socket
    port = gateway.port
    raw = socket.create_connection(("127.0.0.1", port))
    raw.sendall(
        b"GET /local HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n\r\n"
    )
    assert b"101" in await asyncio.to_thread(raw.recv, 1024)
    connection_id = await last_connection_id(recorder)
    # When it disappears without a close frame
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    raw.close()
    # Then $disconnect still runs, with 1006
    event = await wait_for(lambda: recorder.disconnect_of(connection_id))
    assert event["requestContext"]["disconnectStatusCode"] == 1006


async def test_shutdown_closes_every_socket_with_1001_and_fires_disconnect(recorder):
    gateway, url = await start_gateway(recorder, GatewayLimits())
    async with connect(url) as ws:
        connection_id = await last_connection_id(recorder)
        await gateway.close()
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 1001
    assert recorder.disconnect_of(connection_id)["requestContext"]["disconnectStatusCode"] == 1001


# -- web pages -----------------------------------------------------------------------------
async def test_web_root_serves_pages_by_name_and_never_outside_it(recorder, tmp_path):
    import aiohttp

    (tmp_path / "kiosk.html").write_text("<h1>kiosk</h1>")
    (tmp_path / "app.js").write_text("let x = 1;")
    gateway, _ = await start_gateway(recorder, GatewayLimits(), web_root=tmp_path)
    base = f"http://127.0.0.1:{gateway.port}"
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/kiosk?token=t") as page:
                assert page.status == 200 and "kiosk" in await page.text()
            async with session.get(f"{base}/app.js") as script:
                assert "javascript" in script.headers["Content-Type"]
            async with session.get(f"{base}/..%2f..%2fetc/passwd") as escape:
                assert escape.status == 404
            async with session.get(f"{base}/local") as plain:
                assert plain.status == 426
    finally:
        await gateway.close()


async def test_after_message_runs_once_each_handler_returned(recorder):
    handled = []
    gateway, url = await start_gateway(
        recorder, GatewayLimits(), after_message=lambda: handled.append(1)
    )
    try:
        async with connect(url) as ws:
            for _ in range(3):
                await ws.send(json.dumps({"action": "shout"}))
                await ws.recv()
        assert len(handled) == 3
    finally:
        await gateway.close()
