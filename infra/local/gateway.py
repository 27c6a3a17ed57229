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
- Quotas: 128 KB per message and 32 KB per frame (close 1009), text frames only (a binary
  frame closes with 1003), messages out in frames of 32 KB at most, the idle timeout and
  the connection lifetime (close 1001), 500 new connections a second (429), 29 s for an
  integration ("Endpoint request timed out"), 4096 characters of URL.
- Lambda's concurrency: invocations past the cap (overall, per connection) are shed at
  once with API Gateway's "Internal server error" frame, as a throttled integration is
  (concurrency.py).

infra/local/README.md has the whole list, with AWS's sources and the tests that pin each
behaviour, and the known differences.

Handlers are synchronous Lambda functions that call back into this server through the
Management API, so they run in a thread pool, never on the event loop.

This module is the WebSocket API; the Management API is management.py, the web pages
pages.py, and what both APIs do to one client (send, close) clients.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp.http_websocket import WebSocketError
from aws_lambda_powertools import Logger

from infra.local.clients import Client, GatewayWebSocket, close_client, close_of, send
from infra.local.concurrency import Concurrency, ConcurrencyLimits, InvocationThrottled
from infra.local.events import (
    ConnectionInfo,
    LambdaContext,
    UpgradeRequest,
    connect_event,
    disconnect_event,
    message_event,
    new_connection_id,
    now_ms,
)
from infra.local.faults import FaultPlan
from infra.local.layout import REGION
from infra.local.limits import GatewayLimits, TokenBucket
from infra.local.management import ManagementApi
from infra.local.pages import static_pages
from infra.local.responses import gateway_error, json_response, refusal
from infra.local.sigv4 import LocalCredentials

Handler = Callable[[dict[str, Any], Any], Any]

CONNECT = "$connect"
DISCONNECT = "$disconnect"
DEFAULT = "$default"

logger = Logger(service="local-stack")

# What _invoke_within returns when API Gateway would have stopped waiting for the handler.
_TIMED_OUT = object()
# The $disconnect reason of each close the frame guard (frames.py) or aiohttp asks for.
_REFUSAL_REASONS = {
    int(WSCloseCode.MESSAGE_TOO_BIG): "Message too big",
    int(WSCloseCode.UNSUPPORTED_DATA): "Binary frames are not supported",
}


class WebSocketGateway:
    """One port: the WebSocket API, the Management API and the pages, on shared clients."""

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
        concurrency: ConcurrencyLimits | None = None,
        credentials: LocalCredentials | None = None,
    ) -> None:
        self.stage = stage
        self.limits = limits or GatewayLimits()
        self._routes = dict(routes)
        # Called once a message's handler returned (the stack nudges the stream poller).
        self._after_message = after_message
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="lambda")
        self._bucket = TokenBucket(self.limits.new_connections_per_second)
        self._clients: dict[str, Client] = {}
        # the reliability suite's fault plan (infra/local/faults.py) acts on posts
        # @connections checks SigV4 against these (default: this process's AWS credentials,
        # which the handlers it runs sign with)
        signing = credentials or LocalCredentials.from_environment(REGION)
        self._management = ManagementApi(self._clients, self.limits, faults, signing)
        self._faults = faults  # ... and on invocations: the "slow server" delay
        # Lambda's concurrency: invocations past the cap are shed (infra/local/concurrency.py)
        self.concurrency = Concurrency(concurrency or ConcurrencyLimits.from_env())
        self._pages = static_pages(web_root)
        self._handlers: set[asyncio.Task[Any]] = set()
        self._background: set[asyncio.Task[Any]] = set()
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
        app.router.add_get(f"/{self.stage}", self._websocket)
        self._management.add_routes(app, self.stage)
        app.router.add_get("/{path:.*}", self._pages)  # last: it matches every path
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
                close_client(client, WSCloseCode.GOING_AWAY, "Server shutting down")
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
            return json_response(426, {"message": "Upgrade Required: this is a WebSocket endpoint"})
        if self._closing:
            return json_response(503, {"message": "Service Unavailable"})
        # the URL as the client wrote it: ws[s]://host/stage?query
        url_length = len(f"ws{'s' if request.secure else ''}://{request.host}{request.raw_path}")
        if url_length > self.limits.max_url_characters:
            return json_response(414, {"message": "Request-URI Too Long"})
        if not self._bucket.take():
            return json_response(429, {"message": "Too Many Requests"})
        opened_ms = now_ms()
        info = ConnectionInfo(
            connection_id=new_connection_id(),
            stage=self.stage,
            domain_name=request.host,
            source_ip=request.remote or "127.0.0.1",
            user_agent=request.headers.get("User-Agent", ""),
            connected_at_ms=opened_ms,
        )
        handshake = UpgradeRequest(
            headers=list(request.headers.items()),
            query=list(request.query.items()),
            host_port=self.port,
        )
        connect = connect_event(info, handshake, now_ms=opened_ms)
        response = await self._invoke_within(CONNECT, connect)
        if response is _TIMED_OUT:
            return json_response(504, {"message": "Endpoint request timed out"})
        if isinstance(response, Exception):  # a failed Lambda: API Gateway answers 502
            return json_response(502, {"message": "Internal server error"})
        status = int(response.get("statusCode", 200)) if isinstance(response, dict) else 200
        if not 200 <= status < 300:
            return refusal(status, response)
        headers = (response.get("headers") or {}) if isinstance(response, dict) else {}
        chosen = {name.lower(): value for name, value in headers.items()}.get(
            "sec-websocket-protocol"
        )
        ws = GatewayWebSocket(
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
            gone = disconnect_event(
                info, status_code=1006, reason="Connection lost", now_ms=opened_ms
            )
            await self._invoke(DISCONNECT, gone)
            return ws
        client = Client(
            info=info,
            ws=ws,
            transport=request.transport,
            opened=time.monotonic(),
            last_active_ms=opened_ms,
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

    async def _serve(self, client: Client) -> None:
        """Read messages until the connection ends, routing each one concurrently."""
        ws = client.ws
        while True:
            message = await ws.receive()
            # Binary frames never get here: the frame guard closes with 1003 first.
            if message.type == WSMsgType.TEXT:
                client.last_active_ms = now_ms()
                routed = asyncio.create_task(self._route(client, message.data))
                client.tasks.add(routed)
                routed.add_done_callback(client.tasks.discard)
                continue
            refused = message.type == WSMsgType.ERROR and isinstance(message.data, WebSocketError)
            if refused and client.server_close is None:
                code = int(message.data.code)
                client.server_close = (code, _REFUSAL_REASONS.get(code, "Protocol error"))
            return

    async def _route(self, client: Client, data: str) -> None:
        route_key = self._select_route(data)
        if route_key is None:
            await self._reply(client, gateway_error("Forbidden", client.info.connection_id))
            return
        event = message_event(client.info, route_key, data, now_ms=now_ms())
        response = await self._invoke_within(route_key, event)
        if response is _TIMED_OUT:
            error = gateway_error("Endpoint request timed out", client.info.connection_id)
            await self._reply(client, error)
            return
        if self._after_message is not None:
            self._after_message()
        if isinstance(response, Exception):
            error = gateway_error("Internal server error", client.info.connection_id)
            await self._reply(client, error)
            return
        body = response.get("body") if isinstance(response, dict) else None
        if body is not None:
            await self._reply(client, body if isinstance(body, str | bytes) else json.dumps(body))

    async def _reply(self, client: Client, data: str | bytes) -> None:
        """A route's answer; lost, as on AWS, if the caller has gone meanwhile."""
        try:
            await send(client, data)
        except (ConnectionError, RuntimeError):
            logger.debug("reply to a closed connection", connection_id=client.info.connection_id)

    def _select_route(self, data: str) -> str | None:
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
        # $disconnect is never shed; $connect counts overall, a message per connection too
        capped = route_key != DISCONNECT
        per_connection = event["requestContext"]["connectionId"] if route_key != CONNECT else None
        if capped:
            try:
                self.concurrency.acquire(per_connection)
            except InvocationThrottled as throttled:
                logger.warning("invocation throttled", route=route_key, reason=str(throttled))
                return throttled
        try:
            response = await loop.run_in_executor(self._executor, handler, event, context)
            delay = self._faults.handler_delay() if self._faults is not None else 0.0
            if delay:
                await asyncio.sleep(delay)  # the fault plan's slow server: the slot stays held
            return response
        except Exception as error:
            logger.exception("handler failed", route=route_key, error=str(error))
            return error
        finally:
            if capped:
                self.concurrency.release(per_connection)

    async def _invoke_within(self, route_key: str, event: dict[str, Any]) -> Any:
        """`_invoke`, waiting no longer than API Gateway's integration timeout. Past it the
        handler runs on, as a Lambda does, its answer is dropped and _TIMED_OUT returned."""
        call = asyncio.ensure_future(self._invoke(route_key, event))
        done, _ = await asyncio.wait({call}, timeout=self.limits.integration_timeout_seconds)
        if call in done:
            return call.result()
        self._background.add(call)
        call.add_done_callback(self._background.discard)
        logger.warning(
            "integration timed out",
            route=route_key,
            timeout_s=self.limits.integration_timeout_seconds,
        )
        return _TIMED_OUT

    async def _fire_disconnect(self, client: Client, close: tuple[int, str]) -> None:
        code, reason = close
        event = disconnect_event(client.info, status_code=code, reason=reason, now_ms=now_ms())
        await self._invoke(DISCONNECT, event)

    async def _sweep(self) -> None:
        """Close connections past the idle timeout or the lifetime limit."""
        limits = self.limits
        interval = min(1.0, limits.idle_timeout_seconds / 4, limits.max_lifetime_seconds / 4)
        while True:
            await asyncio.sleep(interval)
            wall_ms, now = now_ms(), time.monotonic()
            for client in list(self._clients.values()):
                if client.server_close is not None:
                    continue
                if now - client.opened >= limits.max_lifetime_seconds:
                    reason = "Connection lifetime exceeded"
                elif wall_ms - client.last_active_ms >= limits.idle_timeout_seconds * 1000:
                    reason = "Idle timeout"
                else:
                    continue
                client.server_close = (int(WSCloseCode.GOING_AWAY), reason)  # once only
                closing = asyncio.create_task(close_client(client, WSCloseCode.GOING_AWAY, reason))
                self._background.add(closing)
                closing.add_done_callback(self._background.discard)
