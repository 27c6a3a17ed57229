"""Fixtures for the client's unit tests: a fake protocol server on a free loopback port."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from tests.unit.client.fake_server import PRODUCER_TOKEN, FakeServer, roster


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    fake = FakeServer()
    await fake.start()
    for item in roster():
        fake.put(item, broadcast=False)
    yield fake
    await fake.stop()


class ThreadedServer:
    """The fake server on its own loop in a thread, for CLI tests (the CLI runs its own
    event loop with asyncio.run)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.fake = FakeServer()

    def start(self) -> None:
        self.thread.start()
        self.call(self.fake.start)
        for item in roster():
            self.call(self.fake.put, item, broadcast=False)

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run fn (sync or async) on the server's loop and return its result."""

        async def invoke() -> Any:
            result = fn(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result

        return asyncio.run_coroutine_threadsafe(invoke(), self.loop).result(timeout=10)

    def stop(self) -> None:
        self.call(self.fake.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


@pytest.fixture
def threaded_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadedServer]:
    server = ThreadedServer()
    server.start()
    monkeypatch.setenv("MEDIADAY_URL", server.fake.url)
    monkeypatch.setenv("MEDIADAY_TOKEN", PRODUCER_TOKEN)
    yield server
    server.stop()
