"""Broadcaster faults, injected through the stack's fault plan (infra/local/faults.py):
Gone for a share of connections, a 429 storm, crashes after k of n records, and a poison
record that always fails. The broadcaster's own retry, Gone cleanup and partial-batch
logic meet them; the stream poller retries and dead-letters; clients converge through
reconnects and `sync`."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import pytest

from tests.reliability.fleet import fault_options
from tests.reliability.roster import POISON_PREFIX, STATIONS, TALENT
from tests.reliability.scenario import (
    acked,
    connected_fleet,
    converged,
    delivery_latency,
    producers_workload,
)
from tests.support.convergence import TableReader
from tests.support.wsclient import ProtocolClient

pytestmark = [pytest.mark.reliability, pytest.mark.e2e, pytest.mark.slow]


def dead_letters(stack) -> list[dict[str, Any]]:
    path = stack.data_dir / "dead-letters.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def poison_slot(slot_id: str) -> dict[str, Any]:
    """Before BASE_TIME (08:00): no workload shift (`starting_at` >= BASE_TIME) moves it."""
    return {
        "id": slot_id,
        "station_id": STATIONS[0],
        "talent_id": TALENT[0],
        "starts_at": "2026-11-25T07:00:00+00:00",
        "ends_at": "2026-11-25T07:10:00+00:00",
        "title": "poison",
    }


async def dead_lettered(stack, before: int, *, count: int, within: float) -> list[dict[str, Any]]:
    """The dead letters written since `before`, once there are `count` of them."""
    deadline = time.monotonic() + within
    while len(letters := dead_letters(stack)[before:]) < count:
        assert time.monotonic() < deadline, f"{len(letters)} of {count} dead letters: {letters}"
        await asyncio.sleep(0.1)
    return letters


async def events_about(observer: ProtocolClient, item_ids: set[str], *, within: float):
    """Which of `item_ids` the observer got an event about, and every frame it got."""
    seen: set[str] = set()
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + within
    while seen != item_ids and (remaining := deadline - time.monotonic()) > 0:
        try:
            frame = await asyncio.wait_for(observer.events.get(), remaining)
        except TimeoutError:
            break
        frames.append(frame)
        if frame.get("type") == "event" and frame["item_id"] in item_ids:
            seen.add(frame["item_id"])
    while not observer.events.empty():
        frames.append(observer.events.get_nowait())
    return seen, frames


def fleet_for(stack, sizes, label):
    clients = sizes.broadcaster_clients
    return connected_fleet(
        stack, clients=clients, producers=2, options=fault_options(clients), label=label
    )


async def test_gone_connections_are_dropped_and_their_clients_come_back_and_converge(
    stack, fault_plan, sizes, figures
):
    reader = TableReader(lambda: stack.dynamodb_endpoint)
    async with fleet_for(stack, sizes, "gone") as fleet:
        workload = await producers_workload(fleet, sizes.broadcaster_changes, seed=31)
        writing = fleet.background(workload.run(within=sizes.converge_timeout * 3))
        # When 60% of the connections turn out gone while the changes go out (new ones too:
        # a client that comes back may be unlucky again)
        await acked(
            workload.ledger,
            sizes.broadcaster_changes // 4,
            within=sizes.converge_timeout,
            fleet=fleet,
        )
        fault_plan.set(gone_share=0.6, seed=3)
        await acked(
            workload.ledger,
            3 * sizes.broadcaster_changes // 4,
            within=sizes.converge_timeout,
            fleet=fleet,
        )
        fault_plan.clear()
        await writing
        injected = fault_plan.injected()
        # Then those clients lost their link, came back, and everyone converges
        report = await converged(fleet, workload.ledger, reader, sizes.converge_timeout)
        assert injected.get("gone_connections", 0) >= 1
        assert fleet.reconnects >= 1
        figures(
            clients=fleet.composition(),
            fault="60% of connections gone (410, socket aborted)",
            gone_connections=injected.get("gone_connections", 0),
            gone_answers=injected.get("gone_answers", 0),
            reconnects=fleet.reconnects,
            changes=workload.ledger.summary(),
            changes_lost=0,
            converge_s=round(report.seconds, 2),
        )


async def test_a_429_storm_is_retried_through_and_everyone_converges(
    stack, fault_plan, sizes, figures
):
    reader = TableReader(lambda: stack.dynamodb_endpoint)
    letters_before = len(dead_letters(stack))
    async with fleet_for(stack, sizes, "storm") as fleet:
        workload = await producers_workload(fleet, sizes.broadcaster_changes, seed=32)
        # Given a storm: 40% of all posts to connections answered 429
        fault_plan.set(throttle_share=0.4, seed=5)
        # When the producers make their changes through it
        await workload.run(within=sizes.converge_timeout * 3)
        # Then every client converges while the storm still rages: the broadcaster's
        # retries (and, for whatever still failed, the clients' periodic sync) get through
        report = await converged(fleet, workload.ledger, reader, sizes.converge_timeout)
        fault_plan.clear()
        injected = fault_plan.injected()
        assert injected.get("throttled", 0) > 0
        figures(
            clients=fleet.composition(),
            fault="429 on 40% of posts",
            throttled_posts=injected.get("throttled", 0),
            event_after_ack=delivery_latency(fleet, workload.ledger),
            dead_lettered=len(dead_letters(stack)) - letters_before,
            reconnects=fleet.reconnects,
            changes=workload.ledger.summary(),
            changes_lost=0,
            converge_s=round(report.seconds, 2),
        )


async def test_broadcaster_crashes_mid_batch_redeliver_and_lose_nothing(
    stack, fault_plan, sizes, figures
):
    reader = TableReader(lambda: stack.dynamodb_endpoint)
    letters_before = len(dead_letters(stack))
    async with fleet_for(stack, sizes, "crash") as fleet:
        workload = await producers_workload(fleet, sizes.broadcaster_changes, seed=33)
        # Given a broadcaster that crashes after every 5 records it is handed, 3 times
        # (fewer than the poller's 5 attempts: no record is dead-lettered)
        fault_plan.set(crash_every=5, crashes=3)
        # When the producers make their changes
        await workload.run(within=sizes.converge_timeout * 3)
        # Then the crashed batches are retried whole and everyone converges
        report = await converged(fleet, workload.ledger, reader, sizes.converge_timeout)
        injected = fault_plan.injected()
        assert injected.get("crashes", 0) == 3
        assert len(dead_letters(stack)) == letters_before
        figures(
            clients=fleet.composition(),
            fault="broadcaster crash after every 5 records, 3 times",
            crashes=injected.get("crashes", 0),
            dead_lettered=0,
            changes=workload.ledger.summary(),
            changes_lost=0,
            converge_s=round(report.seconds, 2),
        )


async def test_a_poison_record_is_dead_lettered_later_records_flow_and_sync_repairs_it(
    stack, fault_plan, sizes, figures
):
    reader = TableReader(lambda: stack.dynamodb_endpoint)
    letters_before = len(dead_letters(stack))
    poison = f"{POISON_PREFIX}{uuid.uuid4().hex[:8]}"
    observer = await ProtocolClient.open(stack.url_for("kiosk"))  # raw frames, no sync
    try:
        await observer.subscribe("schedule")
        async with fleet_for(stack, sizes, "poison") as fleet:
            workload = await producers_workload(fleet, sizes.broadcaster_changes, seed=34)
            producer = fleet.of_role("producer")[0].client
            # Given a slot whose events can never be delivered (every post refused, 403)
            fault_plan.set(poison_items=[poison])
            created = await producer.request(
                "slot.create", slot=poison_slot(poison), allow_overlap=True
            )  # every poison slot is TALENT[0] at 07:00: overlapping on purpose
            updated = await producer.request(
                "slot.update", slot_id=poison, version=created.version, changes={"title": "p2"}
            )
            # When the producers go on changing other things
            ledger = await workload.run(within=sizes.converge_timeout * 3)
            # Then both of the poison's records are dead-lettered after bounded retries ...
            letters = await dead_lettered(stack, letters_before, count=2, within=60)
            keys = [letter["record"]["dynamodb"]["Keys"]["sk"]["S"] for letter in letters]
            assert keys == [f"slot#{poison}", f"slot#{poison}"], keys
            assert all(letter["attempts"] == 5 for letter in letters)
            # ... every client converges, the poison slot at its last version included,
            # which only snapshots and syncs can have brought ...
            report = await converged(fleet, ledger, reader, sizes.converge_timeout)
            holders = [m for m in fleet.members if m.client.mirror.get("slot", poison)]
            assert holders
            for member in holders:
                assert member.client.mirror.get("slot", poison).version == updated.version
                assert member.watch.via_event[poison] == 0
                assert member.watch.via_resync[poison] >= 1
            # ... and later changes still flowed as events
            later = {ack.key[1] for ack in ledger.applied if ack.key[0] == "slot"}
            seen, frames = await events_about(observer, later, within=sizes.converge_timeout)
            assert seen == later
            assert poison not in {frame.get("item_id") for frame in frames}
            figures(
                clients=fleet.composition(),
                fault="poison slot: every event about it refused (403)",
                poisoned_posts=fault_plan.injected().get("poisoned", 0),
                dead_lettered=len(letters),
                poison_repaired_by_sync=len(holders),
                later_slot_changes_by_event=len(seen),
                changes=ledger.summary(),
                changes_lost=0,
                converge_s=round(report.seconds, 2),
            )
    finally:
        await observer.close()
