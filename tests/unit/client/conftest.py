"""Fixtures for the client's unit tests: a fake protocol server on a free loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from client.connection import Backoff, ClientOptions
from tests.unit.client.fake_server import FakeServer, roster

# Everything quick: retries within tens of milliseconds, heartbeats only when a test asks.
FAST = ClientOptions(
    backoff=Backoff(first=0.05, cap=0.2),
    heartbeat=(60.0, 60.0),
    pong_timeout=0.5,
    request_timeout=2.0,
    open_timeout=2.0,
    close_timeout=0.5,
    retry_initial=False,
)


def fast(**changes: object) -> ClientOptions:
    return replace(FAST, **changes)  # type: ignore[arg-type]


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    fake = FakeServer()
    await fake.start()
    for item in roster():
        fake.put(item, broadcast=False)
    yield fake
    await fake.stop()
