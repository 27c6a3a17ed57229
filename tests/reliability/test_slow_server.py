"""A slow server, not a dead one: every handler invocation held for longer than the clients'
request timeout, for a while, then recovery. The failure this guards against is the retry
storm of a metastable failure (Bronson et al.): clients taking late answers for dead links,
reconnecting, and so loading the server with `$connect`s and snapshots until it never
recovers. Here links stay up (liveness is any frame, or the gateway's WebSocket pong),
unanswered writes are resent on the same link within each client's retry budget, the
stack sheds what its concurrency cannot take, and everyone converges soon after."""

from __future__ import annotations

import asyncio
import time

import pytest

from client.pacing import TimeoutPolicy
from infra.local.layout import serve_log
from tests.reliability.fleet import fault_options
from tests.reliability.scenario import connected_fleet, converged, producers_workload
from tests.support.convergence import TableReader

pytestmark = [pytest.mark.reliability, pytest.mark.e2e, pytest.mark.slow]

# The clients give up on an answer after 2 s; the slow server answers after `slow_delay`.
REQUEST_TIMEOUT = 2.0
RECONNECTS_ALLOWED = 2  # per client, during the slow phase
CONVERGE_AFTER_RECOVERY = 15.0


def goodput(acked_at: list[float], start: float, end: float) -> float:
    """Writes acknowledged per second between `start` and `end` (monotonic)."""
    count = sum(1 for moment in acked_at if start <= moment < end)
    return round(count / max(end - start, 1e-9), 2)


async def test_a_slow_server_is_waited_out_without_a_reconnect_storm(
    stack, fault_plan, sizes, figures
):
    assert sizes.slow_delay > REQUEST_TIMEOUT
    reader = TableReader(lambda: stack.dynamodb_endpoint)
    clients = sizes.slow_clients
    options = fault_options(
        clients, request_timeout=REQUEST_TIMEOUT, timeouts=TimeoutPolicy(floor=0.5)
    )
    async with connected_fleet(
        stack, clients=clients, producers=3, options=options, label="slow"
    ) as fleet:
        workload = await producers_workload(fleet, 10_000, seed=51)
        workload.pace = 0.2
        writing = fleet.background(workload.run(within=sizes.converge_timeout * 10))
        # Given writes going on at the usual pace
        before = time.monotonic()
        await asyncio.sleep(sizes.slow_before)
        # When every handler invocation is held for longer than the clients wait
        reconnects_before = {m.name: m.client.reconnects for m in fleet.members}
        log_mark = log_size(stack)
        fault_plan.set(slow_seconds=sizes.slow_delay)
        slow = time.monotonic()
        await asyncio.sleep(sizes.slow_seconds)
        reconnects_slow = {
            m.name: m.client.reconnects - reconnects_before[m.name] for m in fleet.members
        }
        # ... and then the server recovers
        fault_plan.clear()
        recovered = time.monotonic()
        injected = fault_plan.injected()
        workload.stop()
        await writing
        report = await converged(fleet, workload.ledger, reader, CONVERGE_AFTER_RECOVERY)
        converged_after = time.monotonic() - recovered
        # Then writes go on at the usual pace again
        after = time.monotonic()
        again = await producers_workload(fleet, 10_000, seed=52)
        again.pace = 0.2
        writing_again = fleet.background(again.run(within=sizes.converge_timeout * 3))
        await asyncio.sleep(sizes.slow_after)
        again.stop()
        await writing_again
        ended = time.monotonic()
        final = await converged(fleet, again.ledger, reader, sizes.converge_timeout)

        # Then: no reconnect storm while it was slow ...
        assert max(reconnects_slow.values()) <= RECONNECTS_ALLOWED, (
            reconnects_slow,
            fleet.reasons(),
        )
        # ... every client converged within 15 s of the recovery, nothing acknowledged lost
        # (converged() checks the ledger against the table) ...
        assert converged_after <= CONVERGE_AFTER_RECOVERY
        # ... and no request resent on its link more often than the retry budget allows
        retries = [m.client.retries for m in fleet.members]
        quota = options.retry_quota
        assert all(r["most_resends"] <= quota.max_resends for r in retries), retries
        assert all(0 <= r["tokens"] <= quota.capacity for r in retries), retries
        # (and writes were acknowledged during the slow phase too, not only after it)
        acked = [a.acked_at for a in workload.ledger.acks]
        assert goodput(acked, slow, recovered) > 0
        acked_again = [a.acked_at for a in again.ledger.acks]
        figures(
            clients=fleet.composition(),
            fault=(
                f"every invocation held {sizes.slow_delay:g} s for {sizes.slow_seconds:g} s "
                f"(request timeout {REQUEST_TIMEOUT:g} s)"
            ),
            slowed_invocations=injected.get("slowed_invocations", 0),
            invocations_shed=throttled_since(stack, log_mark),
            reconnects_during_slow=sum(reconnects_slow.values()),
            reconnects_max_per_client=max(reconnects_slow.values()),
            reasons=dict(fleet.reasons()),
            goodput_per_s={
                "before": goodput(acked, before, slow),
                "during": goodput(acked, slow, recovered),
                "after": goodput(acked_again, after, ended),
            },
            resends=sum(r["resends"] for r in retries),
            most_resends=max(r["most_resends"] for r in retries),
            budget_refused=sum(r["refused"] for r in retries),
            same_id_retries=dict(workload.ledger.retried),
            changes=workload.ledger.summary(),
            changes_after=again.ledger.summary(),
            changes_lost=0,
            converged_after_recovery_s=round(converged_after, 2),
            converge_s=round(report.seconds, 2),
            final_converge_s=round(final.seconds, 2),
        )


def log_size(stack) -> int:
    path = serve_log(stack.data_dir)
    return path.stat().st_size if path.exists() else 0


def throttled_since(stack, offset: int) -> int:
    """Invocations the stack shed past its concurrency cap since `offset` of its log (the
    stack runs in a process of its own; it logs each one)."""
    with serve_log(stack.data_dir).open("rb") as log:
        log.seek(offset)
        return log.read().count(b"invocation throttled")
