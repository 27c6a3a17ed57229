"""The fault proxy itself, against an echo server: it forwards faithfully, delays in order,
resets without a goodbye, black-holes silently, and refuses during an outage."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from tests.support.faultproxy import FaultProxy

pytestmark = [pytest.mark.reliability]


@pytest.fixture
async def echo():
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


@pytest.fixture
async def proxy(echo):
    async with FaultProxy("127.0.0.1", echo) as proxy:
        yield proxy


async def open_through(proxy: FaultProxy):
    return await asyncio.open_connection("127.0.0.1", proxy.port)


async def test_bytes_go_through_both_ways_unchanged(proxy):
    reader, writer = await open_through(proxy)
    writer.write(b"hello " * 10_000)
    received = await asyncio.wait_for(reader.readexactly(60_000), 5)
    assert received == b"hello " * 10_000
    assert proxy.stats.accepted == 1
    writer.close()


async def test_delay_holds_every_chunk_back_and_keeps_the_order(proxy):
    proxy.delay, proxy.delay_jitter = 0.15, 0.05
    reader, writer = await open_through(proxy)
    started = time.monotonic()
    for n in range(5):
        writer.write(f"{n};".encode())
        await writer.drain()
        await asyncio.sleep(0.01)
    received = b""
    while len(received) < 10:
        received += await asyncio.wait_for(reader.read(100), 5)
    assert received == b"0;1;2;3;4;"
    assert time.monotonic() - started >= 0.3  # delayed on the way there and back
    writer.close()


async def test_drop_resets_the_connection_without_a_goodbye(proxy):
    reader, writer = await open_through(proxy)
    writer.write(b"ping")
    await asyncio.wait_for(reader.readexactly(4), 5)
    assert proxy.drop(1.0) == 1
    with pytest.raises((ConnectionResetError, asyncio.IncompleteReadError)):
        await asyncio.wait_for(reader.readexactly(1), 5)
    writer.close()


async def test_stall_swallows_bytes_silently_and_keeps_the_socket_open(proxy):
    reader, writer = await open_through(proxy)
    writer.write(b"ping")
    await asyncio.wait_for(reader.readexactly(4), 5)
    assert proxy.stall(1.0) == 1
    writer.write(b"anyone there?")
    await writer.drain()
    # nothing comes back, and nothing closes either
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.read(1), 0.5)
    assert not reader.at_eof()
    assert proxy.release_stalled() == 1
    writer.close()


async def test_an_outage_refuses_new_connections_until_it_ends(proxy):
    proxy.refuse_new = True
    reader, writer = await open_through(proxy)
    assert await asyncio.wait_for(reader.read(1), 5) == b""  # reset at once
    writer.close()
    proxy.refuse_new = False
    reader, writer = await open_through(proxy)
    writer.write(b"back")
    assert await asyncio.wait_for(reader.readexactly(4), 5) == b"back"
    assert proxy.stats.refused == 1
    writer.close()
