"""The reference servers: a bare WebSocket server with no API Gateway, no Lambda and no
database, run as its own process like the local stack.

Every text message a client sends is broadcast to every other connected client, as is:
the fan-out benchmark's producer sends the event frame and the subscribers receive it.

    python -m bench.reference_server --kind websockets   # websockets' own broadcast()
    python -m bench.reference_server --kind aiohttp      # what the emulator is built on

Prints `READY <port>` when listening; SIGTERM or SIGINT stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from aiohttp import WSMsgType, web
from websockets.asyncio.server import ServerConnection, broadcast, serve

from bench.common import raise_fd_limit


async def _websockets(port: int, stopping: asyncio.Event) -> None:
    clients: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        clients.add(ws)
        try:
            async for message in ws:
                broadcast(clients - {ws}, message)
        finally:
            clients.discard(ws)

    # No compression and no keepalive pings: API Gateway sends neither.
    async with serve(
        handler,
        "127.0.0.1",
        port,
        compression=None,
        ping_interval=None,
        max_size=None,
        backlog=4096,
    ) as server:
        bound = next(iter(server.sockets)).getsockname()[1]
        print(f"READY {bound}", flush=True)
        await stopping.wait()


async def _aiohttp(port: int, stopping: asyncio.Event) -> None:
    clients: set[web.WebSocketResponse] = set()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False, autoping=True, max_msg_size=0)
        await ws.prepare(request)
        clients.add(ws)
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    for other in list(clients):
                        if other is not ws and not other.closed:
                            await other.send_str(message.data)
        finally:
            clients.discard(ws)
        return ws

    app = web.Application()
    app.router.add_get("/{path:.*}", handler)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=4096)
    await site.start()
    server = site._server  # the asyncio server, for the port actually bound
    assert server is not None
    bound = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    print(f"READY {bound}", flush=True)
    try:
        await stopping.wait()
    finally:
        for ws in list(clients):
            await ws.close()
        await runner.cleanup()


async def _main(kind: str, port: int) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await (_websockets if kind == "websockets" else _aiohttp)(port, stopping)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=["websockets", "aiohttp"], default="websockets")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    raise_fd_limit()
    asyncio.run(_main(args.kind, args.port))


if __name__ == "__main__":
    main()
