"""One WebSocket client of the gateway: its socket, what API Gateway remembers about it,
and the three things done to it from anywhere (send, close, ask how it closed).

The WebSocket API (infra/local/gateway.py) opens and reads clients; the Management API
(infra/local/management.py) writes to and closes them. Both go through these functions, so
a send never interleaves with another and the close reason is recorded once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, web

from infra.local.events import ConnectionInfo
from infra.local.frames import BINARY, TEXT, FrameGuard, fragments


@dataclass
class Client:
    info: ConnectionInfo
    ws: GatewayWebSocket
    transport: asyncio.Transport | None
    opened: float  # monotonic
    last_active_ms: int
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Set when the server closes the connection, for the $disconnect event.
    server_close: tuple[int, str] | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


class GatewayWebSocket(web.WebSocketResponse):
    """aiohttp's WebSocket response with API Gateway's frame rules: a guard in front of the
    frame parser (32 KB frames, text only), and messages out in frames of 32 KB at most."""

    def __init__(self, *, max_frame_bytes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._max_frame_bytes = max_frame_bytes

    def _post_start(self, request: web.BaseRequest, protocol: str | None, writer: Any) -> None:
        super()._post_start(request, protocol, writer)
        # aiohttp has no per-frame limit: wrap the frame parser it just installed.
        # tests/integration/emulator/test_gateway_limits.py proves the 1009 and 1003
        # closes, so an aiohttp upgrade that moves these internals fails loudly.
        server_protocol: Any = request.protocol
        assert self._reader is not None  # set by super()._post_start
        server_protocol._payload_parser = FrameGuard(
            server_protocol._payload_parser, self._reader, self._max_frame_bytes
        )

    async def send_message(self, data: str | bytes) -> None:
        """One message; over the frame limit, in several frames, as API Gateway sends it."""
        payload = data.encode() if isinstance(data, str) else data
        if len(payload) <= self._max_frame_bytes:
            if isinstance(data, str):
                await self.send_str(data)
            else:
                await self.send_bytes(data)
            return
        # aiohttp's writer sets FIN on every frame, so the fragments are written here (no
        # compression is negotiated, so they need no other framing). All of them at once,
        # then one drain: a timeout cancelling the drain cannot leave half a message out.
        # The drain is shielded: aiohttp shares one drain waiter per connection, and a
        # cancelled waiter would fail every later send on this connection.
        writer = self._writer
        if writer is None:
            raise RuntimeError("Call .prepare() first")
        if self.closed or writer.transport.is_closing():
            raise ConnectionResetError("Cannot write to closing transport")
        opcode = TEXT if isinstance(data, str) else BINARY
        writer.transport.write(b"".join(fragments(payload, opcode, self._max_frame_bytes)))
        protocol: Any = writer.protocol
        if protocol._paused:
            drained = asyncio.ensure_future(protocol._drain_helper())
            drained.add_done_callback(_retrieve)  # a reset after we stopped waiting: no noise
            await asyncio.shield(drained)


def _retrieve(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()


async def send(client: Client, data: str | bytes) -> None:
    """One message, after any other send to this client has finished."""
    async with client.send_lock:
        await client.ws.send_message(data)


async def close_client(client: Client, code: int, reason: str) -> None:
    """Close from the server's side; the first reason given is the one $disconnect sees."""
    if client.server_close is None:
        client.server_close = (code, reason)
    with contextlib.suppress(Exception):
        await client.ws.close(code=code, message=reason.encode())


def live_client(clients: Mapping[str, Client], connection_id: str) -> Client | None:
    """The client, unless it is gone or on its way out (API Gateway answers 410 then)."""
    client = clients.get(connection_id)
    if client is None or client.server_close is not None or client.ws.closed:
        return None
    return client


def close_of(client: Client) -> tuple[int, str]:
    """The close code and reason for $disconnect: the server's, the client's, or 1006."""
    if client.server_close is not None:
        return client.server_close
    ws = client.ws
    if ws.close_code is not None and ws.close_code != WSCloseCode.ABNORMAL_CLOSURE:
        return int(ws.close_code), "Client closed the connection"
    return int(WSCloseCode.ABNORMAL_CLOSURE), "Connection lost"
