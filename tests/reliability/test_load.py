"""Load: many clients of every role on the local stack while several producers change the
day at once, fighting over the same slots. Conflicts are refused (never lost), every
acknowledged write is in the table, and every client converges on it."""

from __future__ import annotations

import time

import pytest

from tests.reliability.fleet import (
    Fleet,
    fast_options,
    heartbeat_for,
    token_maker,
    until_shown,
)
from tests.reliability.roster import STATIONS, TALENT, ensure_hot_slots
from tests.reliability.scenario import delivery_latency
from tests.reliability.workload import Operations, Workload
from tests.support.convergence import TableReader, missing_acks, wait_for_convergence

pytestmark = [pytest.mark.reliability, pytest.mark.e2e, pytest.mark.slow]


async def test_many_clients_and_concurrent_producers_converge_with_conflicts_refused_not_lost(
    stack, sizes, figures
):
    stations, talent = list(STATIONS), list(TALENT)
    reader = TableReader(lambda: stack.dynamodb_endpoint)
    options = fast_options(
        heartbeat=heartbeat_for(sizes.load_clients), pong_timeout=5.0, request_timeout=20.0
    )
    async with Fleet(stack.ws_url, token_maker(stack, "load"), stations, options=options) as fleet:
        # Given clients of every role, connected and holding their snapshots
        fleet.populate(sizes.load_clients, producers=sizes.load_producers)
        started = time.monotonic()
        await fleet.connect()
        connect_seconds = time.monotonic() - started
        producers = [m.client for m in fleet.of_role("producer")]
        hot = await ensure_hot_slots(producers[0], stations, talent, sizes.hot_slots)
        await until_shown(producers, [("slot", i) for i in hot], within=15)
        before = await reader.read()

        # When the producers (and some crews) make changes at once, all editing the hot slots
        operations = Operations(stations, talent)
        crews = fleet.of_role("crew")[: max(1, sizes.load_producers)]
        writers = [(m.name, m.client, operations.producer_mix()) for m in fleet.of_role("producer")]
        writers += [(m.name, m.client, operations.crew_mix()) for m in crews]
        workload = Workload(
            writers,
            changes=sizes.load_changes,
            per_writer=3,
            seed=10,
            fallback=operations.create_slot,
        )
        started = time.monotonic()
        ledger = await workload.run(within=sizes.converge_timeout * 4)
        write_seconds = time.monotonic() - started

        # Then every client converges on the table ...
        report = await wait_for_convergence(fleet.clients, reader, timeout=sizes.converge_timeout)
        # ... no acknowledged write is missing, no two writers were told they wrote the
        # same version, and conflicts happened and were refused
        assert ledger.gave_up == []
        assert missing_acks(ledger.acks, report.table) == []
        assert ledger.lost_updates() == []
        assert ledger.conflicts > 0
        for slot_id in hot:
            key = ("slot", slot_id)
            delta = report.table[key].version - before[key].version
            assert delta == ledger.applied_to(key), (slot_id, delta, ledger.applied_to(key))
        assert fleet.reconnects == 0, fleet.reasons()

        figures(
            clients=fleet.composition(),
            connect_s=round(connect_seconds, 2),
            changes=ledger.summary(),
            event_after_ack=delivery_latency(fleet, ledger),
            hot_slot_edits_applied=sum(ledger.applied_to(("slot", i)) for i in hot),
            write_s=round(write_seconds, 2),
            changes_lost=len(missing_acks(ledger.acks, report.table)),
            converge_s=round(report.seconds, 2),
            items_in_table=len(report.table),
            items_shown=report.items_shown,
        )
