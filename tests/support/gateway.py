"""Recording handlers and helpers for the API Gateway emulator's own tests
(tests/integration/emulator): plain functions stand in for the Lambdas, so the tests pin
the emulator's behaviour (events, routing, limits, @connections)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from infra.local.gateway import WebSocketGateway
from infra.local.limits import GatewayLimits


class Recorder:
    """Handlers that record their events; the connect one obeys ?status=, ?proto=, ?sleep=
    (seconds), ?boom (it raises) and ?post-self (it posts to its own connection, recording
    the outcome)."""

    def __init__(self) -> None:
        self.connects: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.disconnects: list[dict[str, Any]] = []
        self.connect_posts: list[str] = []  # "sent", or the error code of the refusal
        self.management_endpoint = ""
        self._lock = threading.Lock()

    def on_connect(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self._lock:
            self.connects.append(event)
        query = event.get("queryStringParameters") or {}
        if "sleep" in query:
            time.sleep(float(query["sleep"]))
        if "post-self" in query:
            self._post_to_self(event)
        if "boom" in query:
            raise RuntimeError("connect handler crashed")
        if "status" in query:
            return {"statusCode": int(query["status"]), "body": "refused by test"}
        response: dict[str, Any] = {"statusCode": 200}
        if "proto" in query:
            response["headers"] = {"Sec-WebSocket-Protocol": query["proto"]}
        return response

    def _post_to_self(self, event: dict[str, Any]) -> None:
        api = management(self.management_endpoint)
        try:
            api.post_to_connection(
                ConnectionId=event["requestContext"]["connectionId"], Data=b"too early"
            )
        except ClientError as refused:
            outcome = str(refused.response["Error"]["Code"])
        else:
            outcome = "sent"
        with self._lock:
            self.connect_posts.append(outcome)

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
        if body.get("action") == "slow":
            time.sleep(float(body.get("seconds", 1)))
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


def management(endpoint: str) -> Any:
    """A boto3 Management API client of the gateway, with no retries to hide a refusal."""
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint,
        config=Config(retries={"total_max_attempts": 1}),
    )


async def start_gateway(
    recorder: Recorder,
    limits: GatewayLimits,
    web_root: Path | None = None,
    after_message: Callable[[], None] | None = None,
    *,
    with_default: bool = True,
) -> tuple[WebSocketGateway, str]:
    """A gateway on a free loopback port with the recorder's handlers, and its ws:// URL."""
    routes = {
        "$connect": recorder.on_connect,
        "$disconnect": recorder.on_disconnect,
        "$default": recorder.on_default,
        "shout": recorder.on_shout,
    }
    if not with_default:
        del routes["$default"]
    gateway = WebSocketGateway(
        routes,
        stage="local",
        limits=limits,
        web_root=web_root,
        after_message=after_message,
    )
    port = await gateway.start("127.0.0.1", 0)
    recorder.management_endpoint = f"http://127.0.0.1:{port}/local"
    return gateway, f"ws://127.0.0.1:{port}/local"


async def last_connection_id(recorder: Recorder) -> str:
    # The last admitted connection: its $connect event names it.
    return recorder.connects[-1]["requestContext"]["connectionId"]


async def wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def chat_until_closed(ws: Any) -> None:
    while True:
        await ws.send(json.dumps({"action": "shout"}))
        await ws.recv()


class RawWebSocket:
    """A client that sees frames, not messages: the handshake by hand, then RFC 6455 frames
    read one by one (the server's are unmasked), to check how the gateway cuts messages."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int, stage: str = "local") -> RawWebSocket:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET /{stage} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    async def frame(self, timeout: float = 5.0) -> tuple[bool, int, bytes]:
        """The next frame: (FIN, opcode, payload)."""
        async with asyncio.timeout(timeout):
            first, second = await self.reader.readexactly(2)
            length = second & 0x7F
            if length == 126:
                length = int.from_bytes(await self.reader.readexactly(2), "big")
            elif length == 127:
                length = int.from_bytes(await self.reader.readexactly(8), "big")
            payload = await self.reader.readexactly(length)
        return bool(first & 0x80), first & 0x0F, payload

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()
