"""Matching answers to requests: pages by request id, ids kept across links, typed errors."""

from __future__ import annotations

import asyncio

import pytest

from client.errors import (
    ConflictError,
    ForbiddenError,
    InvalidStateError,
    RequestTimeout,
    ServerError,
)
from client.events import Resynced
from client.pacing import RetryQuota, TimeoutPolicy
from mediaday.backoff import Backoff
from tests.support.client_options import fast
from tests.unit.client.fake_server import KIOSK_TOKEN, client_for


@pytest.mark.parametrize("ack_first", [False, True])
async def test_pages_are_collected_by_request_id_whether_the_ack_comes_first_or_last(
    server, ack_first
):
    server.ack_before_pages = ack_first
    async with client_for(server) as client:
        ack = await client.subscribe("roster")
        assert ack.pages == 3
        assert len(client.mirror.items()) == 6


async def test_subscribe_reports_the_snapshot_as_a_resync_event(server):
    async with client_for(server) as client:
        events: list[object] = []
        client.add_listener(events.append)
        await client.subscribe("roster")
        resync = next(e for e in events if isinstance(e, Resynced))
        assert (resync.via, resync.topics, resync.rev, resync.items) == (
            "snapshot",
            ["roster"],
            server.rev,
            6,
        )


async def test_a_write_retried_after_a_reconnect_keeps_its_id_and_is_applied_once(server):
    async with client_for(server) as client:
        # Given the server applies the push but the link drops before the ack
        server.drop_after_write = 1
        ack = await client.push_call("t-12", "st-1", note="now please")
        # Then the client resent it with the same id and got the duplicate ack
        pushes = [r for r in server.requests if r["action"] == "call.push"]
        assert len(pushes) == 2
        assert pushes[0]["id"] == pushes[1]["id"]
        assert ack.duplicate is True
        assert len(server.live("call")) == 1


async def test_a_request_sent_while_disconnected_waits_for_the_next_link(server):
    async with client_for(server) as client:
        server.answer_pings = False  # the next link's resume stalls until pings work again
        await server.drop_all()
        push = asyncio.create_task(client.push_call("t-12", "st-1"))
        await asyncio.sleep(0.2)
        assert not push.done()
        server.answer_pings = True
        ack = await asyncio.wait_for(push, 3)
        assert ack.item["talent_id"] == "t-12"


async def test_an_unauthorized_answer_reconnects_and_retries_with_the_same_id(server):
    async with client_for(server) as client:
        server.fail_next["call.push"] = ("unauthorized", "no connection record")
        ack = await client.push_call("t-12", "st-1")
        pushes = [r for r in server.requests if r["action"] == "call.push"]
        assert len(pushes) == 2 and pushes[0]["id"] == pushes[1]["id"] == ack.id
        assert client.reconnects == 1


async def test_a_stale_version_raises_conflict_with_the_current_item(server):
    async with client_for(server) as client:
        pushed = await client.push_call("t-12", "st-1")
        call_id = pushed.item["id"]
        await client.ack_call(call_id, 1, "en-route")
        with pytest.raises(ConflictError) as conflict:
            await client.ack_call(call_id, 1, "arrived")
        assert conflict.value.code == "conflict"
        assert conflict.value.current["state"] == "en-route"
        assert conflict.value.current["version"] == 2


async def test_refusals_map_to_their_typed_errors(server):
    async with client_for(server, token=KIOSK_TOKEN) as kiosk:
        with pytest.raises(ForbiddenError):
            await kiosk.push_call("t-12", "st-1")
    async with client_for(server) as producer:
        pushed = await producer.push_call("t-12", "st-1")
        await producer.cancel_call(pushed.item["id"], 1)
        with pytest.raises(InvalidStateError):
            await producer.ack_call(pushed.item["id"], 2, "done")
    # (busy is retried while the retry budget lasts: here there is none)
    async with client_for(server, options=fast(retry_quota=RetryQuota(capacity=0))) as broke:
        server.fail_next["call.push"] = ("busy", "too many writers")
        with pytest.raises(ServerError) as busy:
            await broke.push_call("t-12", "st-1")
        assert busy.value.code == "busy"


async def test_no_answer_is_a_request_timeout_naming_the_action(server):
    async with client_for(server, options=fast(request_timeout=0.2)) as client:
        server.answer_requests = False
        with pytest.raises(RequestTimeout, match=r"call\.push") as timeout:
            await client.push_call("t-12", "st-1")
        assert timeout.value.request_id


# -- slow answers on a live link: resent there, never a reconnect ---------------------------
def _patient(**changes):
    """Attempts of 0.2 s within a 3 s deadline, resends 50 ms apart."""
    return fast(
        request_timeout=3.0,
        timeouts=TimeoutPolicy(floor=0.2, margin=1.0),
        resend_backoff=Backoff(base=0.05, cap=0.05),
        **changes,
    )


async def test_an_unanswered_write_is_resent_on_the_same_link_with_the_same_id(server):
    async with client_for(server, options=_patient()) as client:
        # Given a server that lets the first two sends of a write go unanswered
        server.ignore_next = 2
        ack = await client.push_call("t-12", "st-1")
        # Then the client resent it on the same link (no reconnect) with the same id
        pushes = [r for r in server.requests if r["action"] == "call.push"]
        assert len(pushes) == 3
        assert len({p["id"] for p in pushes}) == 1
        assert client.reconnects == 0 and server.handshakes == 1
        assert ack.item["talent_id"] == "t-12"
        assert len(server.live("call")) == 1


async def test_resends_stop_at_the_per_request_limit_and_the_deadline_still_holds(server):
    quota = RetryQuota(max_resends=2)
    async with client_for(server, options=_patient(retry_quota=quota)) as client:
        server.ignore_next = 100
        with pytest.raises(RequestTimeout):
            await client.push_call("t-12", "st-1")
        pushes = [r for r in server.requests if r["action"] == "call.push"]
        assert len(pushes) == 3  # the send and two resends, however long the deadline
        assert client.reconnects == 0


async def test_an_empty_retry_budget_stops_resending(server):
    # Given a bucket that pays for one timeout retry
    quota = RetryQuota(capacity=10, timeout_cost=10, max_resends=5)
    async with client_for(server, options=_patient(retry_quota=quota)) as client:
        server.ignore_next = 100
        with pytest.raises(RequestTimeout):
            await client.push_call("t-12", "st-1")
        pushes = [r for r in server.requests if r["action"] == "call.push"]
        assert len(pushes) == 2  # the send and the one resend the budget paid for


async def test_a_busy_answer_is_retried_after_the_hint_with_the_same_id(server):
    async with client_for(server, options=_patient()) as client:
        server.fail_next["call.push"] = ("busy", "overloaded: retry shortly")
        ack = await client.push_call("t-12", "st-1")
        pushes = [r for r in server.requests if r["action"] == "call.push"]
        assert len(pushes) == 2 and pushes[0]["id"] == pushes[1]["id"]
        assert ack.item["talent_id"] == "t-12"
        assert client.reconnects == 0


async def test_a_slow_subscribe_is_waited_for_not_resent(server):
    async with client_for(server, options=_patient()) as client:
        server.ignore_next = 1  # the first answer never comes: it waits, no resend
        with pytest.raises(RequestTimeout):
            await client.subscribe("calls")
        subscribes = [r for r in server.requests if r["action"] == "subscribe"]
        assert len(subscribes) == 1  # sent once: a second answer's pages would mix in
