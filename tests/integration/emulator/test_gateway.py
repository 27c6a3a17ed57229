"""The API Gateway WebSocket emulator on a real loopback socket, with recording handlers.

The handlers here are plain functions, so these tests pin the emulator's own behaviour
(events, routing, limits, @connections); tests/e2e runs it with the real Lambda handlers.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
)
from botocore.config import Config
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from infra.local.gateway import WebSocketGateway
from infra.local.limits import GatewayLimits

KB = 1024


class Recorder:
    """Handlers that record their events; the connect one obeys ?status= and ?proto=."""

    def __init__(self) -> None:
        self.connects: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.disconnects: list[dict[str, Any]] = []
        self.management_endpoint = ""
        self._lock = threading.Lock()

    def on_connect(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self._lock:
            self.connects.append(event)
        query = event.get("queryStringParameters") or {}
        if "status" in query:
            return {"statusCode": int(query["status"]), "body": "refused by test"}
        response: dict[str, Any] = {"statusCode": 200}
        if "proto" in query:
            response["headers"] = {"Sec-WebSocket-Protocol": query["proto"]}
        return response

    def on_disconnect(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self._lock:
            self.disconnects.append(event)
        return {"statusCode": 200}

    def on_default(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self._lock:
            self.messages.append(event)
        try:
            body = json.loads(event["body"])
        except ValueError:
            body = {"text": event["body"]}
        if body.get("action") == "boom":
            raise RuntimeError("handler crashed")
        if body.get("action") == "post-self":
            # A handler calling back into the same server, as the message Lambda does.
            connection_id = event["requestContext"]["connectionId"]
            management(self.management_endpoint).post_to_connection(
                ConnectionId=connection_id, Data=b'{"page":1}'
            )
        return {"statusCode": 200, "body": json.dumps({"route": "$default", "got": body})}

    def on_shout(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200, "body": json.dumps({"route": "shout"})}

    def disconnect_of(self, connection_id: str) -> dict[str, Any] | None:
        with self._lock:
            for event in self.disconnects:
                if event["requestContext"]["connectionId"] == connection_id:
                    return event
        return None


def management(endpoint: str):
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint,
        config=Config(retries={"max_attempts": 1}),
    )


async def _start(
    recorder: Recorder, limits: GatewayLimits, web_root: Path | None = None, after_message=None
):
    gateway = WebSocketGateway(
        {
            "$connect": recorder.on_connect,
            "$disconnect": recorder.on_disconnect,
            "$default": recorder.on_default,
            "shout": recorder.on_shout,
        },
        stage="local",
        limits=limits,
        web_root=web_root,
        after_message=after_message,
    )
    port = await gateway.start("127.0.0.1", 0)
    recorder.management_endpoint = f"http://127.0.0.1:{port}/local"
    return gateway, f"ws://127.0.0.1:{port}/local"


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def gateway(recorder):
    gateway, url = await _start(recorder, GatewayLimits(idle_timeout_seconds=60))
    gateway.url = url
    yield gateway
    await gateway.close()


async def _connection_id(recorder: Recorder) -> str:
    # The last admitted connection: its $connect event names it.
    return recorder.connects[-1]["requestContext"]["connectionId"]


async def _wait_for(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def _chat_until_closed(ws) -> None:
    while True:
        await ws.send(json.dumps({"action": "shout"}))
        await ws.recv()


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
        connection_id = await _connection_id(recorder)
        await ws.close(code=4000, reason="bye")
    event = await _wait_for(lambda: recorder.disconnect_of(connection_id))
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
    connection_id = await _connection_id(recorder)
    # When it disappears without a close frame
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    raw.close()
    # Then $disconnect still runs, with 1006
    event = await _wait_for(lambda: recorder.disconnect_of(connection_id))
    assert event["requestContext"]["disconnectStatusCode"] == 1006


async def test_shutdown_closes_every_socket_with_1001_and_fires_disconnect(recorder):
    gateway, url = await _start(recorder, GatewayLimits())
    async with connect(url) as ws:
        connection_id = await _connection_id(recorder)
        await gateway.close()
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 1001
    assert recorder.disconnect_of(connection_id)["requestContext"]["disconnectStatusCode"] == 1001


# -- @connections --------------------------------------------------------------------------
async def test_management_api_posts_gets_and_deletes_then_answers_gone(gateway, recorder):
    api = management(recorder.management_endpoint)
    async with connect(gateway.url, user_agent_header="crew-tablet") as ws:
        connection_id = await _connection_id(recorder)
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
    await _wait_for(lambda: recorder.disconnect_of(connection_id))
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
        connection_id = await _connection_id(recorder)
        exactly = b"x" * (128 * KB)
        await asyncio.to_thread(api.post_to_connection, ConnectionId=connection_id, Data=exactly)
        assert len(await ws.recv()) == 128 * KB
        with pytest.raises(api.exceptions.PayloadTooLargeException):
            await asyncio.to_thread(
                api.post_to_connection, ConnectionId=connection_id, Data=exactly + b"x"
            )


# -- size limits ---------------------------------------------------------------------------
async def test_a_message_over_128_kb_closes_the_connection_with_1009(gateway, recorder):
    async with connect(gateway.url) as ws:
        connection_id = await _connection_id(recorder)
        # sent in 32 KB frames, as API Gateway requires, but 128 KB + 1 in all
        chunks = ["x" * (32 * KB)] * 4 + ["x"]
        await ws.send(iter(chunks))
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 1009
    event = await _wait_for(lambda: recorder.disconnect_of(connection_id))
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
        connection_id = await _connection_id(recorder)
        await ws.send("y" * (32 * KB + 1))
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 1009
    event = await _wait_for(lambda: recorder.disconnect_of(connection_id))
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
    gateway, url = await _start(recorder, GatewayLimits(idle_timeout_seconds=0.6))
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
        event = await _wait_for(lambda: recorder.disconnect_of(idle_id))
        assert event["requestContext"]["disconnectReason"] == "Idle timeout"
    finally:
        await gateway.close()


async def test_a_connection_is_closed_at_the_end_of_its_lifetime(recorder):
    gateway, url = await _start(recorder, GatewayLimits(max_lifetime_seconds=0.5))
    try:
        async with connect(url) as ws:
            connection_id = await _connection_id(recorder)
            started = time.monotonic()
            with pytest.raises(ConnectionClosed):
                await _chat_until_closed(ws)
            assert time.monotonic() - started < 3
            assert ws.close_code == 1001
        event = await _wait_for(lambda: recorder.disconnect_of(connection_id))
        assert event["requestContext"]["disconnectReason"] == "Connection lifetime exceeded"
    finally:
        await gateway.close()


async def test_new_connections_over_the_rate_are_refused_with_429(recorder):
    gateway, url = await _start(recorder, GatewayLimits(new_connections_per_second=2))
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


# -- web pages -----------------------------------------------------------------------------
async def test_web_root_serves_pages_by_name_and_never_outside_it(recorder, tmp_path):
    import aiohttp

    (tmp_path / "kiosk.html").write_text("<h1>kiosk</h1>")
    (tmp_path / "app.js").write_text("let x = 1;")
    gateway, _ = await _start(recorder, GatewayLimits(), web_root=tmp_path)
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
    gateway, url = await _start(recorder, GatewayLimits(), after_message=lambda: handled.append(1))
    try:
        async with connect(url) as ws:
            for _ in range(3):
                await ws.send(json.dumps({"action": "shout"}))
                await ws.recv()
        assert len(handled) == 3
    finally:
        await gateway.close()
