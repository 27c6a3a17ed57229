"""Planning rows against the mirror, and writing them with retries that keep the id."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from client import importer
from client.connection import MediaDayClient
from client.csvio import CsvInvalid, read_schedule, read_shots
from client.import_plan import plan_schedule, plan_shots
from client.importer import apply_plans, rate_limit_pause
from client.mirror import Mirror
from tests.support.client_options import FAST
from tests.unit.client.fake_server import PRODUCER_TOKEN, SLOT

HEADER = "id,station_id,talent_id,starts_at,ends_at,title\n"
ROW = "sl-1,st-1,t-12,2026-05-04T09:00:00Z,2026-05-04T09:15:00Z,Feature\n"


def mirror_with(*items: dict[str, Any]) -> Mirror:
    mirror = Mirror()
    mirror.add_topics(["schedule", "shots:st-1"])
    for rev, item in enumerate(items, 1):
        mirror.apply({"media_day": "md", "version": 3, "rev": rev, **item})
    return mirror


EXISTING = {**SLOT, "title": "Feature"}


def plans_for(text: str, mirror: Mirror):
    return plan_schedule(read_schedule(io.StringIO(HEADER + text), tz=UTC), mirror)


def test_a_row_matching_its_item_is_unchanged_and_a_new_id_is_a_create():
    mirror = mirror_with(EXISTING)
    same, new = plans_for(ROW + ROW.replace("sl-1", "sl-2"), mirror)
    assert (same.outcome, same.steps) == ("unchanged", ())
    assert new.outcome == "create" and new.steps[0].action == "slot.create"
    assert not new.steps[0].edits_item


def test_an_edited_row_becomes_the_smallest_update_with_the_current_version():
    (plan,) = plans_for(ROW.replace("Feature", "Portraits"), mirror_with(EXISTING))
    assert (plan.outcome, plan.item_id, plan.version) == ("update", "sl-1", 3)
    assert [(s.action, s.fields) for s in plan.steps] == [
        ("slot.update", {"changes": {"title": "Portraits"}})
    ]


def test_a_new_station_is_a_move_then_an_update_of_the_rest():
    (plan,) = plans_for(ROW.replace("st-1,t-12", "st-2,t-7"), mirror_with(EXISTING))
    assert [s.action for s in plan.steps] == ["slot.move", "slot.update"]
    assert plan.steps[0].fields["station_id"] == "st-2"
    assert plan.steps[1].fields == {"changes": {"talent_id": "t-7"}}


def test_a_shot_row_may_change_status_but_not_station():
    shot = {
        "type": "shot",
        "id": "sh-1",
        "station_id": "st-1",
        "talent_id": "t-12",
        "description": "Walk-in",
        "status": "pending",
    }
    text = "id,station_id,talent_id,description,status\n"
    rows = read_shots(io.StringIO(text + "sh-1,st-1,t-12,Walk-in,captured\n"))
    (plan,) = plan_shots(rows, mirror_with(shot))
    assert [(s.action, s.fields) for s in plan.steps] == [
        ("shot.set_status", {"status": "captured"})
    ]
    with pytest.raises(CsvInvalid, match="1 bad row"):
        plan_shots(read_shots(io.StringIO(text + "sh-1,st-2,t-12,Walk-in,\n")), mirror_with(shot))


def test_the_rate_limit_pause_lasts_until_the_next_server_minute():
    rng = random.Random(1)
    assert 15.0 <= rate_limit_pause(1_800_000_045.0, rng) <= 16.0
    assert 59.0 < rate_limit_pause(1_800_000_000.5, rng) <= 60.5


async def test_temporary_refusals_are_retried_with_the_same_request_id(server, monkeypatch):
    monkeypatch.setattr(importer, "rate_limit_pause", lambda _now, _rng: 0.01)
    plans = plans_for(ROW, Mirror())
    async with MediaDayClient(server.url, PRODUCER_TOKEN, options=FAST) as client:
        server.fail_next["slot.create"] = ("rate_limited", "600 messages a minute")
        result = await apply_plans(client, plans, batched=False)
        server.fail_next["slot.create"] = ("busy", "too many writers")
        again = await apply_plans(
            client, plans_for(ROW.replace("sl-1", "sl-2"), Mirror()), batched=False
        )
    creates = [r for r in server.requests if r["action"] == "slot.create"]
    assert [r["id"] for r in creates][:2] == [creates[0]["id"]] * 2
    assert (result.created, result.failures, again.created) == (1, [], 1)


async def test_a_refusal_stops_the_import_and_names_the_row(server):
    text = ROW + ROW.replace("sl-1", "sl-2").replace("t-12", "t-404")
    async with MediaDayClient(server.url, PRODUCER_TOKEN, options=FAST) as client:
        result = await apply_plans(client, plans_for(text, Mirror()), batched=False, concurrency=1)
    assert result.created == 1
    assert [str(f) for f in result.failures] == [
        "line 3: not_found: no talent 't-404' on the roster"
    ]


# -- through `batch` ------------------------------------------------------------------------
def day_rows(count: int, talent: str = "t-12") -> str:
    """`count` id-less back-to-back 5-minute rows at st-1 from 09:00."""
    start = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    rows = []
    for n in range(count):
        begins, ends = start + timedelta(minutes=5 * n), start + timedelta(minutes=5 * n + 5)
        rows.append(f",st-1,{talent},{begins.isoformat()},{ends.isoformat()},\n")
    return "".join(rows)


async def test_rows_go_in_as_few_batches_as_the_limits_allow_and_a_rerun_writes_nothing(server):
    plans = plans_for(day_rows(120), Mirror())
    async with MediaDayClient(server.url, PRODUCER_TOKEN, options=FAST) as client:
        result = await apply_plans(client, plans)
        again = await apply_plans(client, plans_for(day_rows(120), Mirror()))
    batches = [r for r in server.requests if r["action"] == "batch"]
    assert [len(b["writes"]) for b in batches] == [99, 21, 99, 21]
    assert (result.created, result.failures) == (120, [])
    # the re-run sends the same writes with the same ids: every one a duplicate
    assert (again.created, again.unchanged) == (0, 120)
    assert batches[0]["writes"] == batches[2]["writes"]
    assert len(server.live("slot")) == 120


async def test_a_batch_stays_within_one_frame():
    from client.importer import _MAX_BATCH_BYTES, _chunks
    from mediaday.protocol import encoded_size

    long_title = "x" * 400
    entries = [
        (n, {"action": "slot.create", "id": f"r-{n}", "title": long_title}) for n in range(99)
    ]
    chunks = _chunks(entries)
    assert len(chunks) > 1
    assert all(encoded_size([e for _, e in chunk]) <= _MAX_BATCH_BYTES for chunk in chunks)
    assert [n for chunk in chunks for n, _ in chunk] == list(range(99))


async def test_a_refused_batch_names_the_row_it_points_at_and_counts_nothing_of_it(server):
    text = ROW + ROW.replace("sl-1", "sl-2").replace("t-12", "t-404")
    async with MediaDayClient(server.url, PRODUCER_TOKEN, options=FAST) as client:
        result = await apply_plans(client, plans_for(text, Mirror()))
    assert (result.created, len(server.live("slot"))) == (0, 0)
    assert [str(f) for f in result.failures] == [
        "line 3: not_found: no talent 't-404' on the roster"
    ]


async def test_a_busy_batch_is_retried_with_the_same_id(server):
    plans = plans_for(day_rows(3), Mirror())
    async with MediaDayClient(server.url, PRODUCER_TOKEN, options=FAST) as client:
        server.fail_next["batch"] = ("busy", "too many writers")
        result = await apply_plans(client, plans, rng=random.Random(0))
    first, second = [r for r in server.requests if r["action"] == "batch"]
    assert first["id"] == second["id"] and result.created == 3


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("lost", ["busy_after_write", "drop_after_write"])
async def test_a_write_whose_answer_was_lost_counts_as_written_when_its_retry_is_a_duplicate(
    server, batched, lost
):
    # Given a server that applies the first write but loses its answer: it answers `busy`
    # (the importer retries), or drops the link (the client resends after reconnecting)
    setattr(server, lost, 1)
    async with MediaDayClient(server.url, PRODUCER_TOKEN, options=FAST) as client:
        result = await apply_plans(client, plans_for(day_rows(3), Mirror()), batched=batched)
    # Then the retry is acked as a duplicate of that write, and the rows still count created
    ids = [r["id"] for r in server.requests if r["action"] in ("batch", "slot.create")]
    assert len(ids) > len(set(ids)) == (1 if batched else 3)  # some went out twice, same id
    assert (result.created, result.unchanged, result.failures) == (3, 0, [])
    assert len(server.live("slot")) == 3


async def test_a_row_with_two_steps_sends_its_second_step_in_a_second_batch(server):
    stored = server.put({"type": "slot", **EXISTING}, broadcast=False)
    mirror = Mirror()
    mirror.add_topics(["schedule"])
    mirror.apply(stored)
    plans = plans_for(ROW.replace("st-1,t-12", "st-2,t-7"), mirror)
    async with MediaDayClient(server.url, PRODUCER_TOKEN, options=FAST) as client:
        result = await apply_plans(client, plans)
    batches = [r for r in server.requests if r["action"] == "batch"]
    assert [[w["action"] for w in b["writes"]] for b in batches] == [["slot.move"], ["slot.update"]]
    assert batches[1]["writes"][0]["version"] == batches[0]["writes"][0]["version"] + 1
    assert result.updated == 1


async def test_a_batch_carries_one_athletes_rows_side_by_side_and_a_refusal_keeps_its_line(server):
    # Given rows in station order that alternate between two athletes
    rows = day_rows(6).splitlines(keepends=True)
    text = "".join(r.replace("t-12", "t-7") if n % 2 else r for n, r in enumerate(rows))
    plans = plans_for(text, Mirror())
    async with MediaDayClient(server.url, PRODUCER_TOKEN, options=FAST) as client:
        result = await apply_plans(client, plans)
        (batch,) = [r for r in server.requests if r["action"] == "batch"]
        # Then the server reads each athlete once: their writes arrive grouped
        athletes = [w["slot"]["talent_id"] for w in batch["writes"]]
        assert athletes == ["t-12"] * 3 + ["t-7"] * 3 and result.created == 6
        # And a refused write still names the line of its own row (sorted first here)
        bad = plans_for(
            ROW.replace("sl-1", "sl-9") + ROW.replace("sl-1", "sl-8").replace("t-12", "t-000"),
            Mirror(),
        )
        refused = await apply_plans(client, bad)
    assert [str(f) for f in refused.failures] == [
        "line 3: not_found: no talent 't-000' on the roster"
    ]


def rows_for(*talents: str) -> str:
    """One id-less 5-minute row at st-1 per athlete named, back to back from 09:00."""
    return day_rows(len(talents)).replace(",t-12,", ",{},").format(*talents)


async def test_a_refusal_after_an_applied_batch_counts_the_rows_that_batch_wrote(
    server, monkeypatch
):
    monkeypatch.setattr(importer, "MAX_BATCH_WRITES", 2)
    # t-12 twice (the first batch), then t-3 with the unknown t-404 (refused), then t-7
    plans = plans_for(rows_for("t-12", "t-12", "t-3", "t-404", "t-7"), Mirror())
    async with MediaDayClient(server.url, PRODUCER_TOKEN, options=FAST) as client:
        result = await apply_plans(client, plans)
    assert [str(f) for f in result.failures] == [
        "line 5: not_found: no talent 't-404' on the roster"
    ]
    assert sorted(slot["talent_id"] for slot in server.live("slot")) == ["t-12", "t-12"]
    assert (result.created, result.unchanged) == (2, 0)  # what the first batch wrote
