"""The emulator's invocation path under load: a concurrency cap overall and per connection
that sheds at once (as a throttled Lambda integration does), and the fault plan's slow
server, which holds every invocation's slot and answer."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from typing import Any

import pytest
from websockets.asyncio.client import connect

from infra.local.concurrency import ConcurrencyLimits
from infra.local.faults import FaultPlan
from infra.local.gateway import WebSocketGateway
from infra.local.limits import GatewayLimits


class Blocking:
    """$default answers only once `release` is set (a handler that is busy)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = 0
        self.disconnects = 0
        self._lock = threading.Lock()

    def on_default(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self._lock:
            self.started += 1
        self.release.wait(10)
        return {"statusCode": 200, "body": json.dumps({"echo": json.loads(event["body"])["n"]})}

    def on_disconnect(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self._lock:
            self.disconnects += 1
        return {"statusCode": 200}


@pytest.fixture
async def gateway(tmp_path):
    handlers = Blocking()
    plan_path = tmp_path / "faults.json"
    gateway = WebSocketGateway(
        {"$default": handlers.on_default, "$disconnect": handlers.on_disconnect},
        limits=GatewayLimits(idle_timeout_seconds=60),
        faults=FaultPlan(plan_path, reload_interval=0),
        concurrency=ConcurrencyLimits(overall=3, per_connection=2),
    )
    port = await gateway.start("127.0.0.1", 0)
    gateway.url = f"ws://127.0.0.1:{port}/local"
    gateway.handlers = handlers
    gateway.plan_path = plan_path
    yield gateway
    handlers.release.set()
    await gateway.close()


async def test_messages_past_a_connections_cap_are_shed_at_once_with_an_integration_error(
    gateway,
):
    async with connect(gateway.url) as ws:
        # Given two messages of this connection running (its cap)
        for n in range(2):
            await ws.send(json.dumps({"n": n}))
        # When a third arrives
        started = time.monotonic()
        await ws.send(json.dumps({"n": 2}))
        # Then it is refused at once, as API Gateway answers a throttled integration
        shed = json.loads(await asyncio.wait_for(ws.recv(), 2))
        assert shed["message"] == "Internal server error" and "connectionId" in shed
        assert time.monotonic() - started < 1.0
        assert gateway.concurrency.shed["per_connection"] == 1
        # ... and the two running ones still answer once their handler ends
        gateway.handlers.release.set()
        answers = sorted([json.loads(await asyncio.wait_for(ws.recv(), 5))["echo"] for _ in "ab"])
        assert answers == [0, 1]
    assert gateway.handlers.started == 2


async def test_the_overall_cap_sheds_other_connections_and_frees_up_when_handlers_end(gateway):
    async with connect(gateway.url) as first, connect(gateway.url) as second:
        await first.send(json.dumps({"n": 1}))
        await first.send(json.dumps({"n": 2}))
        await second.send(json.dumps({"n": 3}))  # three running: the function's cap
        await second.send(json.dumps({"n": 4}))
        shed = json.loads(await asyncio.wait_for(second.recv(), 2))
        assert shed["message"] == "Internal server error"
        assert gateway.concurrency.shed["overall"] == 1
        gateway.handlers.release.set()
        assert json.loads(await asyncio.wait_for(second.recv(), 5))["echo"] == 3
        await second.send(json.dumps({"n": 5}))  # slots free again: served
        assert json.loads(await asyncio.wait_for(second.recv(), 5))["echo"] == 5


async def test_a_slow_server_holds_every_answer_for_the_planned_delay(gateway):
    gateway.handlers.release.set()
    async with connect(gateway.url) as ws:
        temporary = gateway.plan_path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"slow_seconds": 0.5}))
        os.replace(temporary, gateway.plan_path)
        started = time.monotonic()
        await ws.send(json.dumps({"n": 1}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["echo"] == 1
        slowed = time.monotonic() - started
        gateway.plan_path.write_text("{}")
        started = time.monotonic()
        await ws.send(json.dumps({"n": 2}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["echo"] == 2
        assert slowed >= 0.5 > time.monotonic() - started
