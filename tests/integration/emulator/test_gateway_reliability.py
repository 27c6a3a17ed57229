"""What the reliability suite needs from the emulator: its @connections endpoint answering
the fault plan as API Gateway answers real faults (410 and a vanished socket, 429, 403 for
poison), and hostile input always routed to $default, never dropped."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from infra.local.faults import FaultPlan
from infra.local.gateway import WebSocketGateway
from infra.local.limits import GatewayLimits


class Handlers:
    def __init__(self) -> None:
        self.connected: list[str] = []
        self.disconnected: dict[str, int] = {}
        self._lock = threading.Lock()

    def on_connect(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self._lock:
            self.connected.append(event["requestContext"]["connectionId"])
        return {"statusCode": 200}

    def on_default(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200, "body": json.dumps({"route": "$default"})}

    def on_disconnect(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        context_ = event["requestContext"]
        with self._lock:
            self.disconnected[context_["connectionId"]] = context_["disconnectStatusCode"]
        return {"statusCode": 200}


def write_plan(path, **fields) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(fields))
    os.replace(temporary, path)


@pytest.fixture
def plan_path(tmp_path):
    return tmp_path / "faults.json"


@pytest.fixture
async def gateway(plan_path):
    handlers = Handlers()
    gateway = WebSocketGateway(
        {
            "$connect": handlers.on_connect,
            "$disconnect": handlers.on_disconnect,
            "$default": handlers.on_default,
        },
        limits=GatewayLimits(idle_timeout_seconds=60),
        faults=FaultPlan(plan_path, reload_interval=0),
    )
    port = await gateway.start("127.0.0.1", 0)
    gateway.url = f"ws://127.0.0.1:{port}/local"
    gateway.api = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"http://127.0.0.1:{port}/local",
        config=Config(retries={"max_attempts": 1}),
    )
    gateway.handlers = handlers
    yield gateway
    await gateway.close()


async def post(gateway, connection_id: str, data: bytes) -> None:
    await asyncio.to_thread(gateway.api.post_to_connection, ConnectionId=connection_id, Data=data)


async def test_a_gone_connection_answers_410_and_its_client_loses_the_link_without_a_close_frame(
    gateway, plan_path
):
    async with connect(gateway.url) as ws:
        connection_id = gateway.handlers.connected[-1]
        # Given a plan where every connection is gone
        write_plan(plan_path, gone_share=1.0)
        # When the broadcaster posts to it
        with pytest.raises(gateway.api.exceptions.GoneException):
            await post(gateway, connection_id, b"hello")
        # Then the client sees its link drop abnormally, and $disconnect runs with 1006
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code in (None, 1006)
    deadline = time.monotonic() + 5
    while connection_id not in gateway.handlers.disconnected and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert gateway.handlers.disconnected[connection_id] == 1006


async def test_a_throttle_storm_answers_429_and_ends_when_the_plan_is_emptied(gateway, plan_path):
    async with connect(gateway.url) as ws:
        connection_id = gateway.handlers.connected[-1]
        write_plan(plan_path, throttle_share=1.0)
        with pytest.raises(gateway.api.exceptions.LimitExceededException):
            await post(gateway, connection_id, b"during the storm")
        write_plan(plan_path)
        await post(gateway, connection_id, b"after the storm")
        assert await asyncio.wait_for(ws.recv(), 5) == "after the storm"


async def test_events_about_a_poisoned_item_are_refused_with_403_and_others_go_through(
    gateway, plan_path
):
    async with connect(gateway.url) as ws:
        connection_id = gateway.handlers.connected[-1]
        write_plan(plan_path, poison_items=["sl-bad"])
        poisoned = json.dumps({"type": "event", "item_id": "sl-bad"}).encode()
        with pytest.raises(gateway.api.exceptions.ForbiddenException):
            await post(gateway, connection_id, poisoned)
        fine = json.dumps({"type": "event", "item_id": "sl-good"})
        await post(gateway, connection_id, fine.encode())
        assert await asyncio.wait_for(ws.recv(), 5) == fine


@pytest.mark.parametrize("depth", [2_000, 14_000])
async def test_deeply_nested_json_is_routed_to_default_not_dropped(gateway, depth):
    # Given a message nested deeper than Python's json module can follow (one 28 KB frame)
    text = '{"action": "ping", "x": ' + "[" * depth + "]" * depth + "}"
    async with connect(gateway.url) as ws:
        # When it arrives, Then route selection falls back to $default, which answers
        await ws.send(text)
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"route": "$default"}
