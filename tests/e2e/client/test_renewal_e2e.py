"""Connection renewal against a local stack whose gateway closes connections after 2 s
(API Gateway: 2 h): the client renews before the limit, make before break, and never
goes through a reconnect."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace

import pytest

from client.connection import MediaDayClient
from client.events import ConnectionState, StateChanged
from infra.local.runner import LocalStack
from tests.support.client_options import STACK

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GATEWAY_LIFETIME = 2.0


@pytest.fixture(scope="module")
def short_lived_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    stack = LocalStack(
        tmp_path_factory.mktemp("short-lived"), args=["--max-lifetime", str(GATEWAY_LIFETIME)]
    ).start()
    try:
        yield stack
    finally:
        if stack.running:
            stack.stop()


async def test_connections_are_renewed_before_the_gateway_closes_them(short_lived_stack):
    renewing = replace(STACK, max_lifetime=GATEWAY_LIFETIME * 0.6, lifetime_jitter=0.2)
    stack = short_lived_stack
    watcher = MediaDayClient(stack.ws_url, stack.token("kiosk"), topics=["calls"], options=renewing)
    producer = MediaDayClient(stack.ws_url, stack.token("producer"), options=renewing)
    async with watcher, producer:
        states: list[ConnectionState] = []
        watcher.add_listener(
            lambda e: states.append(e.state) if isinstance(e, StateChanged) else None
        )
        # Over more than two gateway lifetimes, changes keep flowing to the watcher
        for n in range(6):
            ack = await producer.push_call("t-1", "st-1", note=f"renewal {n}")
            call_id = ack.item["id"]
            await watcher.wait_until(
                lambda call_id=call_id: watcher.mirror.get("call", call_id) is not None, 5
            )
            await asyncio.sleep(GATEWAY_LIFETIME / 2.5)
        # Then both renewed again and again and never had to reconnect
        assert watcher.renewals >= 2 and producer.renewals >= 2
        assert watcher.reconnects == 0 and producer.reconnects == 0
        assert ConnectionState.RECONNECTING not in states


async def test_without_renewal_the_gateway_limit_forces_a_reconnect(short_lived_stack):
    stack = short_lived_stack
    async with MediaDayClient(stack.ws_url, stack.token("kiosk"), options=STACK) as watcher:
        await watcher.wait_until(lambda: watcher.reconnects >= 1, GATEWAY_LIFETIME + 3)
        await watcher.wait_until(lambda: watcher.state is ConnectionState.CONNECTED, 5)
