"""Kiosks in a process of their own, as a venue's TVs are machines of their own.

K clients of the Python library, subscribed to the schedule, run in a spawned process and
report when every one of them holds a set of slots. The benchmark's process keeps only
the producer: with the kiosks in its event loop, the producer's acks waited behind ~1.8 ms
of kiosk work per `events` frame (bench/README.md, 12), which no real producer pays.
Times are `time.monotonic()`, one clock for every process on the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import time
from collections.abc import AsyncIterator
from multiprocessing.connection import Connection
from typing import Any

from client.connection import MediaDayClient
from client.options import ClientOptions

POLL_SECONDS = 0.02
START_TIMEOUT = 120.0


class FleetFailed(RuntimeError):
    """The kiosks' process could not connect, or did not converge in time."""


def _run(url: str, token: str, count: int, port: Connection) -> None:
    try:
        asyncio.run(_serve(url, token, count, port))
    except Exception as error:  # reported to the benchmark, which raises it
        port.send(("error", f"{type(error).__name__}: {error}"))


async def _serve(url: str, token: str, count: int, port: Connection) -> None:
    options = ClientOptions(request_timeout=60.0)
    loop = asyncio.get_running_loop()
    async with contextlib.AsyncExitStack() as opened:
        kiosks = [
            await opened.enter_async_context(
                MediaDayClient(url, token, topics=["schedule"], options=options)
            )
            for _ in range(count)
        ]
        port.send(("ready", len(kiosks)))
        while True:
            command = await loop.run_in_executor(None, port.recv)
            if command[0] == "stop":
                return
            _, wanted, timeout = command
            port.send(await _converged(kiosks, set(wanted), timeout))


async def _converged(
    kiosks: list[MediaDayClient], wanted: set[str], seconds: float
) -> tuple[str, float]:
    """("converged", when the last kiosk held every slot) or ("timeout", kiosks behind);
    each kiosk is checked until it holds all, every 20 ms (cheap beside the kiosks' work)."""
    pending = list(kiosks)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                pending = [k for k in pending if not all(k.mirror.get("slot", i) for i in wanted)]
                if not pending:
                    return "converged", time.monotonic()
                await asyncio.sleep(POLL_SECONDS)
    return "timeout", float(len(pending))


class KioskFleet:
    """The benchmark's end of the pipe: `watch` before a write, then `converged`."""

    def __init__(self, port: Connection) -> None:
        self._port = port

    async def ready(self) -> None:
        """Once every kiosk is connected and holds its snapshot."""
        await self._receive()

    async def _receive(self) -> Any:
        answer = await asyncio.get_running_loop().run_in_executor(None, self._port.recv)
        if answer[0] == "error":
            raise FleetFailed(f"the kiosks' process failed: {answer[1]}")
        return answer

    def watch(self, slot_ids: set[str], timeout: float) -> None:
        self._port.send(("watch", sorted(slot_ids), timeout))

    async def converged(self) -> float:
        """When (monotonic) the last kiosk held every watched slot."""
        state, value = await self._receive()
        if state != "converged":
            raise FleetFailed(f"{value:.0f} kiosks did not converge")
        return float(value)


@contextlib.asynccontextmanager
async def kiosk_fleet(url: str, token: str, count: int) -> AsyncIterator[KioskFleet]:
    """`count` connected kiosks in a spawned process, stopped (their sockets closed) on exit."""
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=_run, args=(url, token, count, theirs), daemon=True
    )
    process.start()
    fleet = KioskFleet(ours)
    try:
        async with asyncio.timeout(START_TIMEOUT):
            await fleet.ready()
        yield fleet
    finally:
        with contextlib.suppress(OSError):
            ours.send(("stop",))
        await asyncio.get_running_loop().run_in_executor(None, process.join, 30)
        if process.is_alive():
            process.terminate()
            process.join(5)
