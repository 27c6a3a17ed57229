"""Network faults between the clients and the gateway, from our own TCP proxy: delayed
bytes, connections dropped without a close frame, connections stalled silently, and an
outage. Clients detect each, reconnect with backoff, resume, and converge; nothing
acknowledged is lost, and requests caught in the fault are answered once."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.reliability.fleet import BACKOFF, PONG_TIMEOUT, REQUEST_TIMEOUT
from tests.reliability.fleet import fault_options as options_for
from tests.reliability.scenario import (
    Stopwatch,
    acked,
    all_connected,
    connected_fleet,
    converged,
    producers_workload,
)
from tests.support.convergence import TableReader, wait_for_convergence
from tests.support.faultproxy import FaultProxy

pytestmark = [pytest.mark.reliability, pytest.mark.e2e, pytest.mark.slow]


def proxied_fleet(stack, proxy, clients, options=None):
    """Every client (producers included) connected through the proxy."""
    return connected_fleet(
        stack,
        clients=clients,
        producers=2,
        options=options or options_for(clients),
        url=proxy.rewrite(stack.ws_url),
    )


@pytest.fixture
async def proxy(stack):
    async with FaultProxy("127.0.0.1", stack.port) as proxy:
        yield proxy


async def test_delayed_bytes_slow_delivery_down_but_lose_nothing(stack, proxy, sizes, figures):
    reader = TableReader(lambda: stack.dynamodb_endpoint)
    clients = sizes.network_clients
    async with proxied_fleet(stack, proxy, clients) as fleet:
        workload = await producers_workload(fleet, sizes.network_changes, seed=21)
        # Given every byte, both ways, 100-200 ms late (in order)
        proxy.delay, proxy.delay_jitter = 0.1, 0.1
        # When the producers make their changes
        await workload.run(within=sizes.converge_timeout * 3)
        # Then every client converges and none had to reconnect (the delay < pong timeout)
        report = await converged(fleet, workload.ledger, reader, sizes.converge_timeout)
        assert fleet.reconnects == 0, fleet.reasons()
        figures(
            clients=fleet.composition(),
            fault="every chunk delayed 100-200 ms, both ways",
            delayed_chunks=proxy.stats.delayed_chunks,
            changes=workload.ledger.summary(),
            changes_lost=0,
            reconnects=fleet.reconnects,
            converge_s=round(report.seconds, 2),
        )


async def test_connections_dropped_without_a_close_frame_reconnect_resume_and_converge(
    stack, proxy, sizes, figures
):
    reader = TableReader(lambda: stack.dynamodb_endpoint)
    clients = sizes.network_clients
    async with proxied_fleet(stack, proxy, clients) as fleet:
        workload = await producers_workload(fleet, sizes.network_changes, seed=22)
        writing = fleet.background(workload.run(within=sizes.converge_timeout * 3))
        # When every connection is reset (RST, no close frame) a quarter of the way in,
        # and half of them again halfway
        await acked(
            workload.ledger, sizes.network_changes // 4, within=sizes.converge_timeout, fleet=fleet
        )
        dropped = proxy.drop(1.0)
        await acked(
            workload.ledger, sizes.network_changes // 2, within=sizes.converge_timeout, fleet=fleet
        )
        # (every client back first: a reset during a reconnect is a failed attempt of that
        # same reconnect, not a new one)
        await all_connected(fleet, within=sizes.converge_timeout)
        dropped += proxy.drop(0.5)
        await writing
        # Then every client reconnected (with backoff), resumed and converged
        report = await converged(fleet, workload.ledger, reader, sizes.converge_timeout)
        assert fleet.reconnects >= dropped
        for member in fleet.members:
            for attempt, delay in member.watch.retry_delays:
                assert 0 <= delay <= BACKOFF.window(attempt)
        figures(
            clients=fleet.composition(),
            fault="connections reset without a close frame",
            connections_dropped=dropped,
            reconnects=fleet.reconnects,
            reasons=dict(fleet.reasons()),
            changes=workload.ledger.summary(),
            changes_lost=0,
            converge_s=round(report.seconds, 2),
        )


async def test_silently_stalled_connections_are_noticed_by_the_heartbeat_and_replaced(
    stack, proxy, sizes, figures
):
    reader = TableReader(lambda: stack.dynamodb_endpoint)
    clients = sizes.network_clients
    options = options_for(clients)
    async with proxied_fleet(stack, proxy, clients, options) as fleet:
        workload = await producers_workload(fleet, sizes.network_changes, seed=23)
        writing = fleet.background(workload.run(within=sizes.converge_timeout * 3))
        # When half the connections become black holes (open sockets, bytes vanish)
        await acked(
            workload.ledger, sizes.network_changes // 4, within=sizes.converge_timeout, fleet=fleet
        )
        stalled_at = time.monotonic()
        noticed: dict[str, float] = {}  # client -> seconds from the stall to "no pong"

        def watch(name: str):
            def listener(event) -> None:
                if getattr(event, "reason", "").startswith("no pong"):
                    noticed.setdefault(name, time.monotonic() - stalled_at)

            return listener

        for member in fleet.members:
            member.client.add_listener(watch(member.name))
        stalled = proxy.stall(0.5)
        await writing
        # Then each stalled client notices within a heartbeat and a pong timeout (plus a
        # request timeout: the heartbeat waits for a periodic sync in flight when the link
        # died before it pings again), reconnects, resumes and converges
        report = await converged(fleet, workload.ledger, reader, sizes.converge_timeout)
        # (a client whose pong was merely slow on a busy machine reconnects too: counted)
        detected = sorted(noticed.values())
        assert len(detected) >= stalled, (noticed, stalled, fleet.reasons())
        limit = options.heartbeat[1] + REQUEST_TIMEOUT + PONG_TIMEOUT + 1.0
        assert detected[stalled - 1] <= limit, detected
        released = proxy.release_stalled()  # what the server's idle timeout does later
        figures(
            clients=fleet.composition(),
            fault="connections stalled silently (black hole)",
            connections_stalled=stalled,
            noticed_by_heartbeat=len(detected),
            detected_max_s=round(detected[stalled - 1], 2),
            detect_limit_s=limit,
            zombies_released=released,
            reconnects=fleet.reconnects,
            changes=workload.ledger.summary(),
            changes_lost=0,
            converge_s=round(report.seconds, 2),
        )


async def test_after_an_outage_clients_come_back_spread_out_by_backoff(
    stack, proxy, sizes, figures
):
    reader = TableReader(lambda: stack.dynamodb_endpoint)
    clients = sizes.network_clients
    async with proxied_fleet(stack, proxy, clients) as fleet:
        # Given an outage: every connection reset and new ones refused for a while
        proxy.refuse_new = True
        proxy.drop(1.0)
        outage = Stopwatch()
        await asyncio.sleep(sizes.outage_seconds)
        outage_seconds = outage.seconds
        refused = proxy.stats.refused
        # When the network comes back
        proxy.refuse_new = False
        back = Stopwatch()
        await all_connected(fleet, within=sizes.converge_timeout)
        reconnected_seconds = back.seconds
        first = await wait_for_convergence(fleet.clients, reader, timeout=sizes.converge_timeout)
        # ... and the producers make changes
        workload = await producers_workload(fleet, sizes.network_changes, seed=24)
        await workload.run(within=sizes.converge_timeout * 3)
        report = await converged(fleet, workload.ledger, reader, sizes.converge_timeout)
        # Then nobody hammered the door: attempts per client stay within what the backoff
        # allows (a tight loop would make hundreds), and each delay was inside its window
        per_client = refused / len(fleet.members)
        ceiling = 2 + sizes.outage_seconds / (BACKOFF.base / 2)
        assert per_client <= ceiling, (refused, len(fleet.members))
        delays = [d for m in fleet.members for _, d in m.watch.retry_delays]
        for member in fleet.members:
            for attempt, delay in member.watch.retry_delays:
                assert 0 <= delay <= BACKOFF.window(attempt)
        figures(
            clients=fleet.composition(),
            fault=f"outage of {sizes.outage_seconds:g} s (all reset, new refused)",
            outage_s=outage_seconds,
            attempts_refused=refused,
            attempts_per_client=round(per_client, 1),
            retry_delay_max_s=round(max(delays), 2),
            reconnects=fleet.reconnects,
            changes=workload.ledger.summary(),
            changes_lost=0,
            all_reconnected_s=reconnected_seconds,
            reconnected_to_converged_s=round(first.seconds, 2),
            converge_s=round(report.seconds, 2),
        )
