"""Process faults: `kill -9` of the whole local stack (its process group: the gateway, the
handlers, the stream poller, DynamoDB Local) in the middle of a burst of writes, then a
restart on the same data directory and port. No acknowledged write is lost; writes caught
in flight are retried with their ids and applied once; every client reconnects by itself
and converges."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.reliability.fleet import fault_options
from tests.reliability.scenario import acked, connected_fleet, converged, producers_workload
from tests.support.convergence import TableReader

pytestmark = [pytest.mark.reliability, pytest.mark.e2e, pytest.mark.slow]


async def test_kill_9_during_a_burst_of_writes_loses_no_acknowledged_write(stack, sizes, figures):
    reader = TableReader(lambda: stack.dynamodb_endpoint)  # a new port after the restart
    clients = sizes.process_clients
    options = fault_options(clients, request_timeout=6.0)
    async with connected_fleet(
        stack, clients=clients, producers=3, options=options, label="kill"
    ) as fleet:
        workload = await producers_workload(fleet, sizes.process_changes, seed=41, per_writer=3)
        writing = fleet.background(workload.run(within=sizes.converge_timeout * 4))
        # When the stack is killed with SIGKILL while writes are in flight ...
        await acked(
            workload.ledger, sizes.kill_after_acks, within=sizes.converge_timeout, fleet=fleet
        )
        await asyncio.to_thread(stack.kill)
        killed_at = time.monotonic()
        acked_before_kill = len(workload.ledger.acks)
        # ... and started again on the same data directory and port
        await asyncio.to_thread(stack.start)
        downtime = time.monotonic() - killed_at
        await writing
        # Then every acknowledged write is in the table, nothing was applied twice, and
        # every client came back by itself and converged
        ledger = workload.ledger
        report = await converged(fleet, ledger, reader, sizes.converge_timeout)
        assert all(m.client.reconnects >= 1 for m in fleet.members)
        assert len(ledger.applied) > acked_before_kill  # writes went on after the restart
        figures(
            clients=fleet.composition(),
            fault="kill -9 of the stack's process group mid-burst, restart",
            killed_after_acks=acked_before_kill,
            downtime_s=round(downtime, 2),
            reconnects=fleet.reconnects,
            changes=ledger.summary(),
            changes_lost=0,
            converge_s=round(report.seconds, 2),
        )
