"""Lifetime limits: a stack whose idle timeout and 2-hour connection limit are cut to a few
seconds, so a test sees dozens of forced reconnects. Clients that renew before the limit
(make before break), clients the server closes at the limit, and clients too quiet for the
idle timeout all keep converging, round after round, while producers write."""

from __future__ import annotations

import asyncio
import time

import pytest

from client.connection import MediaDayClient
from infra.local.runner import LocalStack
from tests.reliability.conftest import seed as seed_roster_of
from tests.reliability.fleet import Fleet, fault_options, token_maker
from tests.reliability.ledger import Ledger
from tests.reliability.roster import STATIONS
from tests.reliability.scenario import converged, producers_workload
from tests.support.convergence import TableReader

pytestmark = [pytest.mark.reliability, pytest.mark.e2e, pytest.mark.slow]

LIFETIME_CLOSE = "closed (1001 Connection lifetime exceeded)"
IDLE_CLOSE = "closed (1001 Idle timeout)"


@pytest.fixture(scope="module")
def short_lived_stack(tmp_path_factory, sizes):
    stack = LocalStack(
        tmp_path_factory.mktemp("lifetime"),
        demo=False,
        args=[
            "--idle-timeout",
            str(sizes.idle_timeout),
            "--max-lifetime",
            str(sizes.lifetime_limit),
        ],
    ).start()
    try:
        yield stack
    finally:
        if stack.running:
            stack.stop()


async def test_clients_renew_or_reconnect_through_many_forced_closes_and_keep_converging(
    short_lived_stack, sizes, figures
):
    stack = short_lived_stack
    limit, idle = sizes.lifetime_limit, sizes.idle_timeout
    reader = TableReader(lambda: stack.dynamodb_endpoint)
    chatty = (0.25 * idle, 0.45 * idle)  # heartbeats well inside the idle timeout
    # Renewers open their next connection at 45-60% of the server's limit; the others
    # believe connections last for hours, as a client with the wrong limit would
    common = {"pong_timeout": 3.0, "request_timeout": 8.0}
    renewing = fault_options(
        sizes.lifetime_clients,
        heartbeat=chatty,
        max_lifetime=0.6 * limit,
        lifetime_jitter=0.25,
        **common,
    )
    unaware = fault_options(sizes.lifetime_clients, heartbeat=chatty, max_lifetime=3600.0, **common)
    quiet = fault_options(
        sizes.lifetime_clients, heartbeat=(1.5 * idle, 2.0 * idle), max_lifetime=3600.0, **common
    )
    fleet = Fleet(stack.ws_url, token_maker(stack, "life"), list(STATIONS), options=renewing)
    try:
        # Given producers, and crews and kiosks of three kinds: renewing, unaware, quiet
        # The stations first: clients may only subscribe to stations on the roster
        await seed_roster_of(stack)
        fleet.add("producer")
        fleet.add("producer")
        kinds = {"renewing": renewing, "unaware": unaware, "quiet": quiet}
        groups: dict[str, list[MediaDayClient]] = {kind: [] for kind in kinds}
        for n in range(max(3, sizes.lifetime_clients - 2)):
            kind = list(kinds)[n % 3]
            role, station = ("crew", STATIONS[n % len(STATIONS)]) if n % 2 else ("kiosk", None)
            member = fleet.add(role, station, options=kinds[kind])
            groups[kind].append(member.client)
        await fleet.connect()

        # When producers write round after round for a while
        ledger = Ledger()
        rounds: list[float] = []
        started = time.monotonic()
        seed = 50
        while time.monotonic() - started < sizes.lifetime_seconds:
            seed += 1
            workload = await producers_workload(fleet, changes=6, seed=seed, per_writer=1)
            workload.ledger = ledger
            await workload.run(within=sizes.converge_timeout)
            # Then after every round, every client converges on the table (each at its own
            # moment: with connections forcibly closed every few seconds, some client is
            # nearly always reconnecting)
            report = await converged(fleet, ledger, reader, sizes.converge_timeout, together=False)
            rounds.append(report.seconds)
            await asyncio.sleep(0.5)
        elapsed = time.monotonic() - started

        renewals = sum(c.renewals for c in groups["renewing"])
        lifetime_closes = {
            kind: sum(m.watch.reasons[LIFETIME_CLOSE] for m in fleet.members if m.client in cs)
            for kind, cs in groups.items()
        }
        idle_closes = sum(m.watch.reasons[IDLE_CLOSE] for m in fleet.members)
        # Renewers renewed before the limit (a renewal that fails, e.g. on a machine too
        # busy to subscribe within the idle timeout, leaves the old link to age out)
        assert all(c.renewals >= 1 for c in groups["renewing"])
        assert lifetime_closes["renewing"] < renewals
        # the others were closed at the limit or for idling, and came back
        assert all(c.reconnects >= 1 for c in groups["unaware"] + groups["quiet"])
        assert lifetime_closes["unaware"] >= len(groups["unaware"])
        assert idle_closes >= len(groups["quiet"])
        figures(
            clients=fleet.composition(),
            limits_s={"lifetime": limit, "idle": idle},
            run_s=round(elapsed, 1),
            rounds=len(rounds),
            renewals=renewals,
            closed_at_lifetime_limit=lifetime_closes,
            closed_idle=idle_closes,
            reconnects=fleet.reconnects,
            changes=ledger.summary(),
            changes_lost=0,
            converge_s_max=round(max(rounds), 2),
            converge_s_mean=round(sum(rounds) / len(rounds), 2),
        )
    finally:
        await fleet.close()
