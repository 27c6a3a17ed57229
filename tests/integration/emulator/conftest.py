"""The gateway tests' handlers: a Recorder, and a gateway on a free port around it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from infra.local.limits import GatewayLimits
from tests.support.gateway import Recorder, start_gateway


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def gateway(recorder: Recorder) -> AsyncIterator[Any]:
    gateway: Any
    gateway, url = await start_gateway(recorder, GatewayLimits(idle_timeout_seconds=60))
    gateway.url = url
    yield gateway
    await gateway.close()
