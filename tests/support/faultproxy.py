"""A TCP proxy of our own between clients and the local stack, with network faults on demand.

    proxy = await FaultProxy("127.0.0.1", stack.port).start()
    url = proxy.rewrite(stack.ws_url)        # ws://127.0.0.1:<proxy port>/local
    proxy.delay = 0.2                        # every chunk, both ways, 200 ms late (in order)
    proxy.drop(share=0.5)                    # abort half the connections: RST, no close frame
    proxy.stall(share=0.3)                   # black-hole 30%: sockets stay open, bytes vanish
    proxy.refuse_new = True                  # an outage: new connections are reset at once
    await proxy.stop()

It works on bytes, below WebSocket: neither side can tell it from a bad network. A stalled
connection keeps both sockets open and silently discards what either side sends, as a dead
Wi-Fi link does; the server learns about it only from its idle timeout (or `stop()`), the
client only from its heartbeat. Everything listens on 127.0.0.1; `stop()` closes every
socket and task it opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

_CHUNK = 64 * 1024


@dataclass(eq=False)
class ProxiedConnection:
    number: int
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter
    opened: float = field(default_factory=time.monotonic)
    stalled: bool = False
    closed: bool = False
    bytes_up: int = 0
    bytes_down: int = 0
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def abort(self) -> None:
        """Reset both sockets (no FIN, no close frame)."""
        self.closed = True
        for writer in (self.client, self.upstream):
            writer.transport.abort()


@dataclass
class ProxyStats:
    accepted: int = 0
    refused: int = 0  # reset at once during an outage
    dropped: int = 0
    stalled: int = 0
    delayed_chunks: int = 0
    upstream_failures: int = 0


class FaultProxy:
    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.rng = rng or random.Random(0)
        self.delay = 0.0  # seconds added to every chunk read from now on, both directions
        self.delay_jitter = 0.0  # plus uniform(0, jitter); order is kept all the same
        self.refuse_new = False
        self.stats = ProxyStats()
        self.connections: list[ProxiedConnection] = []
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._numbers = 0
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        """Stop listening and reset every connection, stalled ones included."""
        self.refuse_new = True
        if self._server is not None:
            self._server.close()
        for connection in list(self.connections):
            connection.abort()
        if self._handlers:  # a reset socket ends its pumps: the handlers return
            await asyncio.wait(list(self._handlers), timeout=5)
        for task in list(self._handlers):
            task.cancel()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None
        self.connections.clear()

    async def __aenter__(self) -> FaultProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def rewrite(self, url: str) -> str:
        """The same URL, through this proxy."""
        parts = urlsplit(url)
        return urlunsplit(parts._replace(netloc=f"127.0.0.1:{self.port}"))

    # -- faults ----------------------------------------------------------------------------
    @property
    def live(self) -> list[ProxiedConnection]:
        return [c for c in self.connections if not c.closed and not c.stalled]

    def _pick(self, share: float, count: int | None) -> list[ProxiedConnection]:
        live = self.live
        wanted = count if count is not None else round(share * len(live))
        return self.rng.sample(live, min(len(live), wanted))

    def drop(self, share: float = 1.0, *, count: int | None = None) -> int:
        """Reset a share (or a count) of the live connections; returns how many."""
        chosen = self._pick(share, count)
        for connection in chosen:
            connection.abort()
        self.stats.dropped += len(chosen)
        return len(chosen)

    def stall(self, share: float = 1.0, *, count: int | None = None) -> int:
        """Black-hole a share (or a count) of the live connections; returns how many."""
        chosen = self._pick(share, count)
        for connection in chosen:
            connection.stalled = True
        self.stats.stalled += len(chosen)
        return len(chosen)

    def release_stalled(self) -> int:
        """Reset the stalled connections (what the server's idle timeout would do later)."""
        stalled = [c for c in self.connections if c.stalled and not c.closed]
        for connection in stalled:
            connection.abort()
        return len(stalled)

    # -- plumbing --------------------------------------------------------------------------
    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._serve(reader, writer)
        finally:
            self._handlers.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refuse_new:
            self.stats.refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(*self.upstream), 5
            )
        except (OSError, TimeoutError):
            self.stats.upstream_failures += 1
            writer.transport.abort()
            return
        self.stats.accepted += 1
        self._numbers += 1
        connection = ProxiedConnection(self._numbers, writer, up_writer)
        self.connections.append(connection)
        connection.tasks = [
            asyncio.create_task(self._pump(connection, reader, up_writer, upward=True)),
            asyncio.create_task(self._pump(connection, up_reader, writer, upward=False)),
        ]
        try:
            await asyncio.gather(*connection.tasks, return_exceptions=True)
        finally:
            connection.abort()
            if connection in self.connections:
                self.connections.remove(connection)

    async def _pump(
        self,
        connection: ProxiedConnection,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        *,
        upward: bool,
    ) -> None:
        """Copy one direction; chunks are delayed in order, discarded while stalled."""
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
        writer = asyncio.create_task(self._deliver(connection, queue, sink))
        try:
            while not connection.closed:
                try:
                    data = await source.read(_CHUNK)
                except OSError:
                    break
                if not data:
                    break
                if connection.stalled:
                    continue  # into the black hole
                if upward:
                    connection.bytes_up += len(data)
                else:
                    connection.bytes_down += len(data)
                delay = self.delay
                if self.delay_jitter:
                    delay += self.rng.uniform(0, self.delay_jitter)
                if delay > 0:
                    self.stats.delayed_chunks += 1
                queue.put_nowait((time.monotonic() + delay, data))
        finally:
            queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await writer
            if connection.stalled and upward:
                # the client gave up on the black hole; the server's end stays open (and
                # drained) until the server closes it or the proxy stops
                connection.client.transport.abort()
            else:
                connection.abort()

    async def _deliver(
        self,
        connection: ProxiedConnection,
        queue: asyncio.Queue[tuple[float, bytes] | None],
        sink: asyncio.StreamWriter,
    ) -> None:
        while (entry := await queue.get()) is not None:
            due, data = entry
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if connection.closed or connection.stalled:
                continue
            try:
                sink.write(data)
                await sink.drain()
            except (OSError, RuntimeError):
                connection.abort()
                return
