"""The clients of a fan-out measurement, all in the benchmark's process: N bare `websockets`
connections that note when the last of them has a frame holding a marker, and the few
protocol calls (connect, request, reply) the benchmark makes with them. They do the same
cheap work for the local stack and for the reference server, so the two compare."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

CONNECT_CONCURRENCY = 50
SETUP_TIMEOUT = 300.0


@dataclass
class Expected:
    """One write awaited by every client: `done` resolves with the time the last has it."""

    marker: str
    remaining: int
    first: float = 0.0
    seen: set[int] = field(default_factory=set)  # clients that have it (a retry may repeat)
    done: asyncio.Future[float] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Audience:
    """N client connections in this process; `expect(marker).done` resolves with the time
    (perf_counter) the last of them received a frame holding the marker."""

    def __init__(self) -> None:
        self.clients: list[ClientConnection] = []
        self._readers: list[asyncio.Task[None]] = []
        self._expected: Expected | None = None
        self.sample: str | None = None  # one frame as received, for the reference

    async def open(self, url: str, count: int, *, topic: str | None) -> None:
        """Open `count` clients (subscribed to `topic` unless None) and start reading."""
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one() -> ClientConnection:
            async with gate:
                ws = await connect_client(url)
                if topic is not None:
                    await request_ack(ws, "subscribe", topics=[topic])
                return ws

        tasks = [asyncio.create_task(one()) for _ in range(count)]
        try:
            self.clients = list(await asyncio.wait_for(asyncio.gather(*tasks), SETUP_TIMEOUT))
        except BaseException:
            for task in tasks:
                task.cancel()
            opened = await asyncio.gather(*tasks, return_exceptions=True)
            for ws in opened:
                if isinstance(ws, ClientConnection):
                    ws.transport.abort()
            raise
        self._readers = [asyncio.create_task(self._read(ws)) for ws in self.clients]

    def expect(self, marker: str) -> Expected:
        self._expected = Expected(marker, len(self.clients))
        return self._expected

    async def _read(self, ws: ClientConnection) -> None:
        async for message in ws:
            expected = self._expected
            if expected is None or not isinstance(message, str) or expected.marker not in message:
                continue
            now = time.perf_counter()
            if id(ws) in expected.seen:
                continue
            expected.seen.add(id(ws))
            expected.remaining -= 1
            if not expected.first:
                expected.first = now
                self.sample = message
            if expected.remaining == 0 and not expected.done.done():
                expected.done.set_result(now)

    async def close(self) -> None:
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*(ws.close() for ws in self.clients), return_exceptions=True)
        await asyncio.gather(*self._readers, return_exceptions=True)


async def connect_client(url: str) -> ClientConnection:
    # No compression and no keepalive pings: API Gateway offers neither.
    return await connect(url, compression=None, ping_interval=None, max_size=None, open_timeout=30)


async def reply(ws: ClientConnection, request_id: str) -> dict[str, Any]:
    """The next frame answering `request_id`: events for the connection's own
    subscriptions (the demo seed may still be broadcasting) can arrive in between."""
    while True:
        frame: dict[str, Any] = json.loads(await ws.recv())
        if frame.get("id") == request_id:
            return frame


async def request_ack(ws: ClientConnection, action: str, **fields: Any) -> dict[str, Any]:
    """Send a request and read until its ack (snapshot pages may come first)."""
    request_id = uuid.uuid4().hex
    await ws.send(json.dumps({"action": action, "id": request_id, **fields}))
    async with asyncio.timeout(60):
        pages: list[dict[str, Any]] = []
        while True:
            frame = await reply(ws, request_id)
            if frame["type"] in ("snapshot", "sync"):
                pages.append(frame)
            elif frame["type"] == "ack":
                frame["pages_received"] = pages
                return frame
            else:
                raise RuntimeError(f"{action} refused: {frame}")
