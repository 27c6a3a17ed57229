"""Steps the scenarios share: a fleet on a stack, producers' changes, waiting for acks."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from client.options import ClientOptions
from infra.local.runner import LocalStack
from tests.reliability.fleet import Fleet, token_maker, until_shown
from tests.reliability.ledger import Ledger
from tests.reliability.roster import STATIONS, TALENT, ensure_hot_slots
from tests.reliability.workload import Operations, Workload
from tests.support.convergence import (
    ConvergenceReport,
    TableReader,
    connected,
    missing_acks,
    wait_for_convergence,
)


@asynccontextmanager
async def connected_fleet(
    stack: LocalStack,
    *,
    clients: int,
    producers: int,
    options: ClientOptions,
    url: str | None = None,
    label: str = "rel",
    seed: int = 0,
) -> AsyncIterator[Fleet]:
    """`clients` clients (`producers` of them producers) connected, closed on exit."""
    fleet = Fleet(
        url or stack.ws_url, token_maker(stack, label), list(STATIONS), options=options, seed=seed
    )
    try:
        fleet.populate(clients, producers=producers)
        await fleet.connect()
        yield fleet
    finally:
        await fleet.close()


async def producers_workload(
    fleet: Fleet, changes: int, *, seed: int, per_writer: int = 2, hot_slots: int = 2
) -> Workload:
    """The fleet's producers making `changes` changes (hot slots included), not started."""
    producers = [m.client for m in fleet.of_role("producer")]
    hot = await ensure_hot_slots(producers[0], list(STATIONS), list(TALENT), hot_slots)
    await until_shown(producers, [("slot", i) for i in hot], within=20)
    operations = Operations(list(STATIONS), list(TALENT))
    writers = [(m.name, m.client, operations.producer_mix()) for m in fleet.of_role("producer")]
    return Workload(
        writers,
        changes=changes,
        per_writer=per_writer,
        seed=seed,
        fallback=operations.create_slot,
    )


async def acked(ledger: Ledger, count: int, within: float, fleet: Fleet | None = None) -> None:
    """Wait until the ledger holds `count` acks (AssertionError, saying where things stand,
    if that takes longer than `within`)."""
    deadline = time.monotonic() + within
    while len(ledger.acks) < count:
        if time.monotonic() > deadline:
            states = Counter(str(m.client.state) for m in fleet.members) if fleet else {}
            raise AssertionError(
                f"{len(ledger.acks)} of {count} acks after {within:g}s: {ledger.summary()}; "
                f"client states {dict(states)}; reconnect reasons "
                f"{dict(fleet.reasons()) if fleet else {}}"
            )
        await asyncio.sleep(0.02)


async def all_connected(fleet: Fleet, within: float) -> None:
    """Wait until every client of the fleet is connected (and so resubscribed)."""
    deadline = time.monotonic() + within
    while connected(m.client for m in fleet.members) < len(fleet.members):
        if time.monotonic() > deadline:
            states = Counter(str(m.client.state) for m in fleet.members)
            raise AssertionError(f"not all connected after {within:g}s: {dict(states)}")
        await asyncio.sleep(0.02)


async def converged(
    fleet: Fleet, ledger: Ledger, reader: TableReader, timeout: float, *, together: bool = True
) -> ConvergenceReport:
    """The check every scenario ends with: all clients converge on the table, no
    acknowledged write is missing from it, no two writers were told they wrote the same
    version, and no writer gave up."""
    report = await wait_for_convergence(fleet.clients, reader, timeout=timeout, together=together)
    assert ledger.gave_up == []
    assert missing_acks(ledger.acks, report.table) == []
    assert ledger.lost_updates() == []
    return report


def delivery_latency(fleet: Fleet, ledger: Ledger) -> dict[str, float]:
    """From a write's ack to its event at each client that applied the event (ms; an
    event can beat the ack, which travels back on another path). Changes a client got by
    sync first do not count: the event was then not news."""
    samples = sorted(
        seen - ack.acked_at
        for ack in ledger.applied
        for member in fleet.members
        if (seen := member.watch.event_at.get((ack.key[1], ack.version))) is not None
    )
    if not samples:
        return {"events": 0}

    def at(q: float) -> float:
        return round(1000 * samples[min(len(samples) - 1, int(q * len(samples)))], 1)

    return {"events": len(samples), "p50_ms": at(0.5), "p95_ms": at(0.95), "max_ms": at(1.0)}


@dataclass
class Stopwatch:
    started: float = 0.0

    def __post_init__(self) -> None:
        self.started = time.monotonic()

    @property
    def seconds(self) -> float:
        return round(time.monotonic() - self.started, 2)
