"""`mediaday watch [--station ID]`: the live crew dashboard in a terminal.

It subscribes to the roster (talent names) and the station's topics (or, without a
station, to the whole schedule and every call), then redraws `client.dashboard.render` on
every change and once a second for the clock. The client reconnects on its own; the
dashboard shows the connection state meanwhile and carries on. Ctrl-C closes it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from rich.console import Console
from rich.live import Live

from client.commands.common import (
    EXIT_OK,
    add_connection_arguments,
    command,
    open_client,
    token_station,
)
from client.connection import MediaDayClient
from client.dashboard import DashboardView, render


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "watch", help="live dashboard: now/next/later, shot list, calls, connection state"
    )
    parser.add_argument(
        "--station",
        help="the station to watch (default: a crew token's station; none: all stations)",
    )
    parser.add_argument("--once", action="store_true", help="print the dashboard once and exit")
    add_connection_arguments(parser)
    parser.set_defaults(handler=run_watch)


def topics_for(station: str | None) -> list[str]:
    if station is None:
        return ["roster", "schedule", "calls", "notices"]
    return ["roster", f"station:{station}", f"shots:{station}", "notices"]


def view_of(client: MediaDayClient, station: str | None) -> DashboardView:
    return DashboardView(
        station=station,
        now=client.server_time(),
        state=client.state,
        state_reason=client.state_reason,
        clock_offset=client.clock_offset,
    )


async def watch(
    client: MediaDayClient,
    console: Console,
    station: str | None,
    stop: asyncio.Event,
    *,
    refresh: float = 1.0,
) -> None:
    """Redraw on every client event and every `refresh` seconds until `stop` or a failure."""
    dirty = asyncio.Event()
    remove = client.add_listener(lambda _event: dirty.set())
    try:
        with Live(
            render(client.mirror, view_of(client, station)), console=console, auto_refresh=False
        ) as live:
            while not stop.is_set() and client.failure is None:
                live.update(render(client.mirror, view_of(client, station)), refresh=True)
                dirty.clear()
                waiters = [asyncio.ensure_future(e.wait()) for e in (dirty, stop)]
                try:
                    await asyncio.wait(waiters, timeout=refresh, return_when="FIRST_COMPLETED")
                finally:
                    for waiter in waiters:
                        waiter.cancel()
            live.update(render(client.mirror, view_of(client, station)), refresh=True)
    finally:
        remove()
    if client.failure is not None:
        raise client.failure


@command("watch")
async def run_watch(args: argparse.Namespace) -> int:
    station = args.station or token_station(args)
    console = Console()
    async with open_client(args, topics_for(station)) as client:
        if args.once:
            console.print(render(client.mirror, view_of(client, station)))
            return EXIT_OK
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await watch(client, console, station, stop)
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(ValueError, RuntimeError):
                    loop.remove_signal_handler(signum)
    return EXIT_OK
