"""Helpers for the browser tests: the Python client from synchronous code, screenshots.

Playwright's sync API and the asyncio Python client do not share a thread: the client
runs on its own event loop in a background thread and the test calls into it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from playwright.sync_api import Page

from client.connection import MediaDayClient
from client.events import ConnectionState
from client.options import ClientOptions
from mediaday.protocol import Ack
from tests.support.client_options import STACK
from tests.support.faultproxy import FaultProxy

T = TypeVar("T")
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"


class ThreadedClient:
    """A MediaDayClient running on a background event loop, called synchronously."""

    def __init__(self, url: str, token: str, topics: Iterable[str]) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        # Quick retries: the restart test waits for this client to come back.
        options = replace(ClientOptions(), backoff=STACK.backoff, pong_timeout=5.0)
        self.client = MediaDayClient(url, token, topics=topics, options=options)
        self.run(self.client.connect(), timeout=30)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def write(self, action: str, **fields: Any) -> Ack:
        return self.run(self.client.request(action, **fields))

    def item(self, item_type: str, item_id: str) -> Any:
        return self.run(_read(lambda: self.client.mirror.get(item_type, item_id)))

    def mirror(self, read: Callable[[Any], T]) -> T:
        """Read the mirror on the client's own loop (it is not thread-safe)."""
        return self.run(_read(lambda: read(self.client.mirror)))

    def wait_until(self, predicate: Callable[[Any], bool], within: float) -> None:
        mirror = self.client.mirror
        self.run(self.client.wait_until(lambda: predicate(mirror), within), timeout=within + 5)

    def wait_connected(self, within: float) -> None:
        client = self.client
        self.run(
            client.wait_until(lambda: client.state is ConnectionState.CONNECTED, within),
            timeout=within + 5,
        )

    def close(self) -> None:
        try:
            self.run(self.client.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._loop.close()


async def _read(read: Callable[[], T]) -> T:
    return read()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def save_screenshot(page: Page, name: str) -> Path:
    """A PNG under artifacts/screenshots/ (git-ignored; CI can keep it as an artifact)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


class ThreadedFaultProxy:
    """tests/support/faultproxy.py's TCP proxy on a background event loop: the pages load
    through it (HTTP and WebSocket share the stack's port), so a test can black-hole a
    page's socket the way venue Wi-Fi does, below anything the browser could notice."""

    def __init__(self, upstream_port: int) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.proxy = FaultProxy("127.0.0.1", upstream_port)
        self._call(self.proxy.start())

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.proxy.port}"

    def stall(self) -> int:
        """Black-hole every connection open now (new ones pass)."""
        return self._call(_read(lambda: self.proxy.stall(1.0)))

    def close(self) -> None:
        self._call(self.proxy.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
