"""A local API Gateway WebSocket API: one aiohttp server for WebSockets and HTTP.

What it emulates, as API Gateway does it:
- `ws://host:port/{stage}`: `$connect` runs before the upgrade; any status other than 2xx
  refuses the handshake with that status, and a `Sec-WebSocket-Protocol` header in the
  answer selects the subprotocol. Messages are routed on `$request.body.action`, falling
  back to `$default`; a route's returned `body` is sent back to the caller. `$disconnect`
  runs after every kind of close: client close, vanished client, message or frame too big,
  idle timeout, lifetime limit, `DELETE @connections`, server shutdown.
- `POST/GET/DELETE /{stage}/@connections/{id}`: the Management API, with 410 GoneException
  for unknown or closed connections and 413 for data over 128 KB.
- Quotas: 128 KB per message and 32 KB per frame (close 1009), the idle timeout and the
  connection lifetime (close 1001), 500 new connections a second (429).

Limits of the emulation: messages to clients go out as one frame whatever their size (API
Gateway splits them into frames of 32 KB; WebSocket clients reassemble either way).

Handlers are synchronous Lambda functions that call back into this server through the
Management API, so they run in a thread pool, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import mimetypes
import socket
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp.http_websocket import WebSocketError
from aws_lambda_powertools import Logger

from infra.local.events import (
    ConnectionInfo,
    Handshake,
    LambdaContext,
    connect_event,
    disconnect_event,
    message_event,
    new_connection_id,
)
from infra.local.faults import FaultPlan, PostFault
from infra.local.frames import FrameSizeGuard
from infra.local.limits import GatewayLimits, TokenBucket

Handler = Callable[[dict[str, Any], Any], Any]

CONNECT = "$connect"
DISCONNECT = "$disconnect"
DEFAULT = "$default"
# API Gateway sends the body of POST @connections as it came; we send UTF-8 as text.
_GONE = {"message": "The connection with the provided id no longer exists."}
_SEND_TIMEOUT_SECONDS = 5.0
# Bytes queued to a client that does not read before POSTs answer 429, as API Gateway's
# LimitExceededException does when "the WebSocket client side buffer is full".
_CLIENT_BUFFER_BYTES = 4 * 1024 * 1024

logger = Logger(service="local-stack")


@dataclass
class _Client:
    info: ConnectionInfo
    ws: web.WebSocketResponse
    transport: asyncio.Transport | None
    opened: float  # monotonic
    last_active_ms: int
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Set when the server closes the connection, for the $disconnect event.
    server_close: tuple[int, str] | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


class _GatewayWebSocket(web.WebSocketResponse):
    """aiohttp's WebSocket response with API Gateway's per-frame size limit in front."""

    def __init__(self, *, max_frame_bytes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._max_frame_bytes = max_frame_bytes

    def _post_start(self, request: web.BaseRequest, protocol: str | None, writer: Any) -> None:
        super()._post_start(request, protocol, writer)
        # aiohttp has no per-frame limit: wrap the frame parser it just installed.
        # tests/integration/infra/test_gateway.py proves the 1009 close, so an aiohttp
        # upgrade that moves these internals fails loudly rather than silently.
        server_protocol: Any = request.protocol
        assert self._reader is not None  # set by super()._post_start
        server_protocol._payload_parser = FrameSizeGuard(
            server_protocol._payload_parser, self._reader, self._max_frame_bytes
        )


class WebSocketGateway:
    def __init__(
        self,
        routes: Mapping[str, Handler],
        *,
        stage: str = "local",
        limits: GatewayLimits | None = None,
        web_root: Path | None = None,
        max_workers: int = 64,
        faults: FaultPlan | None = None,
        after_message: Callable[[], None] | None = None,
    ) -> None:
        self.stage = stage
        self.limits = limits or GatewayLimits()
        self._routes = dict(routes)
        self._faults = faults  # the reliability suite's fault plan (infra/local/faults.py)
        # Called once a message's handler returned (the stack nudges the stream poller).
        self._after_message = after_message
        self._web_root = web_root
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="lambda")
        self._bucket = TokenBucket(self.limits.new_connections_per_second)
        self._clients: dict[str, _Client] = {}
        self._handlers: set[asyncio.Task[Any]] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._closing = False
        self.host = ""
        self.port = 0
        self.app = self._build_app()

    # -- lifecycle -----------------------------------------------------------------------
    def _build_app(self) -> web.Application:
        # Room above 128 KB so oversized POSTs get API Gateway's 413, not aiohttp's.
        app = web.Application(client_max_size=4 * self.limits.max_message_bytes)
        stage = self.stage
        app.router.add_get(f"/{stage}", self._websocket)
        connections = f"/{stage}/@connections/{{connection_id}}"
        app.router.add_post(connections, self._post_to_connection)
        app.router.add_get(connections, self._get_connection)
        app.router.add_delete(connections, self._delete_connection)
        app.router.add_get("/{path:.*}", self._static)
        return app

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (0: a free port); returns the port."""
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        return await self.start_on(sock)

    async def start_on(self, sock: socket.socket) -> int:
        """Serve on a bound socket; returns its port."""
        self._runner = web.AppRunner(self.app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.SockSite(self._runner, sock)
        await site.start()
        self.host, self.port = sock.getsockname()[:2]
        self._sweeper = asyncio.create_task(self._sweep())
        return self.port

    async def close(self) -> None:
        """Close every connection with 1001 (firing $disconnect), then stop serving."""
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await asyncio.gather(
            *(
                self._close_client(client, WSCloseCode.GOING_AWAY, "Server shutting down")
                for client in list(self._clients.values())
            ),
            return_exceptions=True,
        )
        if self._handlers:
            await asyncio.wait(self._handlers, timeout=10)
        if self._runner is not None:
            await self._runner.cleanup()
        self._executor.shutdown(wait=True, cancel_futures=False)

    @property
    def connection_count(self) -> int:
        return len(self._clients)

    # -- the WebSocket API ---------------------------------------------------------------
    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return _json(426, {"message": "Upgrade Required: this is a WebSocket endpoint"})
        if self._closing:
            return _json(503, {"message": "Service Unavailable"})
        if not self._bucket.take():
            return _json(429, {"message": "Too Many Requests"})
        now_ms = _now_ms()
        info = ConnectionInfo(
            connection_id=new_connection_id(),
            stage=self.stage,
            domain_name=request.host,
            source_ip=request.remote or "127.0.0.1",
            user_agent=request.headers.get("User-Agent", ""),
            connected_at_ms=now_ms,
        )
        handshake = Handshake(
            headers=list(request.headers.items()),
            query=list(request.query.items()),
            host_port=self.port,
        )
        response = await self._invoke(CONNECT, connect_event(info, handshake, now_ms=now_ms))
        if isinstance(response, Exception):
            return _json(500, {"message": "Internal server error"})
        status = int(response.get("statusCode", 200)) if isinstance(response, dict) else 200
        if not 200 <= status < 300:
            return _refusal(status, response)
        headers = (response.get("headers") or {}) if isinstance(response, dict) else {}
        chosen = {name.lower(): value for name, value in headers.items()}.get(
            "sec-websocket-protocol"
        )
        ws = _GatewayWebSocket(
            max_frame_bytes=self.limits.max_frame_bytes,
            # aiohttp refuses a message of exactly max_msg_size; API Gateway accepts 128 KB.
            max_msg_size=self.limits.max_message_bytes + 1,
            protocols=(chosen,) if chosen else (),
            compress=False,
            autoping=True,
            timeout=2.0,
        )
        try:
            await ws.prepare(request)
        except (ConnectionError, RuntimeError):
            # The client left during the upgrade: $connect admitted it, so $disconnect runs.
            gone = disconnect_event(info, status_code=1006, reason="Connection lost", now_ms=now_ms)
            await self._invoke(DISCONNECT, gone)
            return ws
        client = _Client(
            info=info,
            ws=ws,
            transport=request.transport,
            opened=time.monotonic(),
            last_active_ms=now_ms,
        )
        self._clients[info.connection_id] = client
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            await self._serve(client)
        finally:
            # Gone first, so posts from here on answer 410, then $disconnect.
            self._clients.pop(info.connection_id, None)
            await asyncio.shield(self._fire_disconnect(client, close_of(client)))
            if task is not None:
                self._handlers.discard(task)
        return ws

    async def _serve(self, client: _Client) -> None:
        """Read messages until the connection ends, routing each one concurrently."""
        ws = client.ws
        while True:
            message = await ws.receive()
            if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                client.last_active_ms = _now_ms()
                routed = asyncio.create_task(self._route(client, message.data))
                client.tasks.add(routed)
                routed.add_done_callback(client.tasks.discard)
                continue
            refused = message.type == WSMsgType.ERROR and isinstance(message.data, WebSocketError)
            if refused and client.server_close is None:
                code = int(message.data.code)
                too_big = code == WSCloseCode.MESSAGE_TOO_BIG
                client.server_close = (code, "Message too big" if too_big else "Protocol error")
            return

    async def _route(self, client: _Client, data: str | bytes) -> None:
        route_key = self._select_route(data)
        if route_key is None:
            await self._reply(client, _gateway_error("Forbidden", client.info.connection_id))
            return
        event = message_event(client.info, route_key, data, now_ms=_now_ms())
        response = await self._invoke(route_key, event)
        if self._after_message is not None:
            self._after_message()
        if isinstance(response, Exception):
            error = _gateway_error("Internal server error", client.info.connection_id)
            await self._reply(client, error)
            return
        body = response.get("body") if isinstance(response, dict) else None
        if body is not None:
            await self._reply(client, body if isinstance(body, str | bytes) else json.dumps(body))

    async def _reply(self, client: _Client, data: str | bytes) -> None:
        """A route's answer; lost, as on AWS, if the caller has gone meanwhile."""
        try:
            await self._send(client, data)
        except (ConnectionError, RuntimeError):
            logger.debug("reply to a closed connection", connection_id=client.info.connection_id)

    def _select_route(self, data: str | bytes) -> str | None:
        """`$request.body.action`, else `$default` (None: no route at all)."""
        try:
            parsed = json.loads(data)
        except (ValueError, UnicodeDecodeError, RecursionError):  # deep nesting: not routable
            parsed = None
        action = parsed.get("action") if isinstance(parsed, dict) else None
        if isinstance(action, str) and action in self._routes and not action.startswith("$"):
            return action
        return DEFAULT if DEFAULT in self._routes else None

    async def _invoke(self, route_key: str, event: dict[str, Any]) -> Any:
        """Run the route's handler in the pool; an exception is returned, not raised."""
        handler = self._routes.get(route_key)
        if handler is None:
            return {"statusCode": 200}
        context = LambdaContext(f"local{route_key.replace('$', '-')}")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, handler, event, context)
        except Exception as error:
            logger.exception("handler failed", route=route_key, error=str(error))
            return error

    async def _fire_disconnect(self, client: _Client, close: tuple[int, str]) -> None:
        code, reason = close
        event = disconnect_event(client.info, status_code=code, reason=reason, now_ms=_now_ms())
        await self._invoke(DISCONNECT, event)

    async def _send(self, client: _Client, data: str | bytes) -> None:
        async with client.send_lock:
            if isinstance(data, bytes):
                await client.ws.send_bytes(data)
            else:
                await client.ws.send_str(data)

    async def _close_client(self, client: _Client, code: int, reason: str) -> None:
        if client.server_close is None:
            client.server_close = (code, reason)
        with contextlib.suppress(Exception):
            await client.ws.close(code=code, message=reason.encode())

    async def _sweep(self) -> None:
        """Close connections past the idle timeout or the lifetime limit."""
        limits = self.limits
        interval = min(1.0, limits.idle_timeout_seconds / 4, limits.max_lifetime_seconds / 4)
        while True:
            await asyncio.sleep(interval)
            now_ms, now = _now_ms(), time.monotonic()
            for client in list(self._clients.values()):
                if client.server_close is not None:
                    continue
                if now - client.opened >= limits.max_lifetime_seconds:
                    reason = "Connection lifetime exceeded"
                elif now_ms - client.last_active_ms >= limits.idle_timeout_seconds * 1000:
                    reason = "Idle timeout"
                else:
                    continue
                client.server_close = (int(WSCloseCode.GOING_AWAY), reason)  # once only
                closing = asyncio.create_task(
                    self._close_client(client, WSCloseCode.GOING_AWAY, reason)
                )
                self._background.add(closing)
                closing.add_done_callback(self._background.discard)

    # -- the Management API --------------------------------------------------------------
    async def _post_to_connection(self, request: web.Request) -> web.Response:
        data = await request.read()
        if len(data) > self.limits.max_message_bytes:
            return _error(
                413,
                "PayloadTooLargeException",
                f"Message of {len(data)} bytes exceeds the {self.limits.max_message_bytes} limit",
            )
        if self._faults is not None:
            fault = self._faults.for_post(request.match_info["connection_id"], data)
            if fault is not None:
                return self._injected(fault, request.match_info["connection_id"])
        client = self._live_client(request.match_info["connection_id"])
        if client is None:
            return _gone()
        transport = client.transport
        if transport is not None and transport.get_write_buffer_size() > _CLIENT_BUFFER_BYTES:
            return _error(429, "LimitExceededException", "The client side buffer is full")
        try:
            text = data.decode()
        except UnicodeDecodeError:
            payload: str | bytes = data
        else:
            payload = text
        try:
            await asyncio.wait_for(self._send(client, payload), _SEND_TIMEOUT_SECONDS)
        except TimeoutError:
            return _error(429, "LimitExceededException", "The client is not reading")
        except (ConnectionError, RuntimeError):
            return _gone()
        return web.Response(status=200)

    def _injected(self, fault: PostFault, connection_id: str) -> web.Response:
        """A fault the plan asks for, answered as API Gateway answers the real one."""
        if fault is PostFault.GONE:
            client = self._live_client(connection_id)
            if client is not None and client.transport is not None:
                client.transport.abort()  # the client vanished: no close frame
            return _gone()
        if fault is PostFault.THROTTLE:
            return _error(429, "LimitExceededException", "Rate exceeded (injected fault)")
        return _error(403, "ForbiddenException", "Forbidden (injected poison record)")

    async def _get_connection(self, request: web.Request) -> web.Response:
        client = self._live_client(request.match_info["connection_id"])
        if client is None:
            return _gone()
        info = client.info
        return _json(
            200,
            {
                "connectedAt": _iso(info.connected_at_ms),
                "identity": {"sourceIp": info.source_ip, "userAgent": info.user_agent},
                "lastActiveAt": _iso(client.last_active_ms),
            },
        )

    async def _delete_connection(self, request: web.Request) -> web.Response:
        client = self._live_client(request.match_info["connection_id"])
        if client is None:
            return _gone()
        await self._close_client(client, WSCloseCode.OK, "Connection deleted")
        return web.Response(status=204)

    def _live_client(self, connection_id: str) -> _Client | None:
        client = self._clients.get(connection_id)
        if client is None or client.server_close is not None or client.ws.closed:
            return None
        return client

    # -- the web pages -------------------------------------------------------------------
    async def _static(self, request: web.Request) -> web.StreamResponse:
        """Files of the web root; `/kiosk` serves `kiosk.html` (or `kiosk/index.html`)."""
        if self._web_root is None or not self._web_root.is_dir():
            raise web.HTTPNotFound()
        root = self._web_root.resolve()
        relative = request.match_info["path"].strip("/") or "index.html"
        for candidate in (relative, f"{relative}.html", f"{relative}/index.html"):
            path = (root / candidate).resolve()
            if path.is_relative_to(root) and path.is_file():
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return web.FileResponse(
                    path, headers={"Content-Type": content_type, "Cache-Control": "no-cache"}
                )
        raise web.HTTPNotFound()


def close_of(client: _Client) -> tuple[int, str]:
    """The close code and reason for $disconnect: the server's, the client's, or 1006."""
    if client.server_close is not None:
        return client.server_close
    ws = client.ws
    if ws.close_code is not None and ws.close_code != WSCloseCode.ABNORMAL_CLOSURE:
        return int(ws.close_code), "Client closed the connection"
    return int(WSCloseCode.ABNORMAL_CLOSURE), "Connection lost"


def _refusal(status: int, response: Any) -> web.Response:
    body = response.get("body") if isinstance(response, dict) else None
    if isinstance(body, str) and body:
        return _json(status, {"message": body})
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Refused"
    return _json(status, {"message": phrase})


def _gateway_error(message: str, connection_id: str) -> str:
    """The frame API Gateway sends a caller when it cannot route or the handler failed."""
    return json.dumps(
        {"message": message, "connectionId": connection_id, "requestId": new_connection_id()}
    )


def _json(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(body), content_type="application/json", headers=headers
    )


def _error(status: int, error_type: str, message: str) -> web.Response:
    return _json(status, {"message": message}, {"x-amzn-ErrorType": error_type})


def _gone() -> web.Response:
    return _json(410, _GONE, {"x-amzn-ErrorType": "GoneException"})


def _now_ms() -> int:
    return int(time.time() * 1000)


def _iso(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
