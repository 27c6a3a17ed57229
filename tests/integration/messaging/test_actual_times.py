"""Actual times: a crew marks the athlete in front of it arrived and done (own station only);
a producer corrects them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.messaging.conftest import MEDIA_DAY


def test_a_crew_marks_arrived_then_done_at_its_own_station(roster, clients, coordination_store):
    crew = clients["crew"]  # crew of st-1
    before = datetime.now(UTC)
    arrived = crew.request("slot.arrive", slot_id="sl-1", version=1)
    done = crew.request("slot.done", slot_id="sl-1", version=2)
    assert arrived["type"] == done["type"] == "ack", (arrived, done)
    slot = coordination_store.get(MEDIA_DAY, "slot", "sl-1")
    assert before <= slot.actual_start <= slot.actual_end <= datetime.now(UTC)
    assert slot.updated_by == "crew-subject"


def test_a_crew_may_not_mark_another_stations_slot(roster, clients, coordination_rows):
    before = coordination_rows()
    reply = clients["crew"].request("slot.arrive", slot_id="sl-2", version=1)
    assert reply["code"] == "forbidden" and "st-2" in reply["message"]
    assert coordination_rows() == before


def test_done_before_arrived_and_marking_twice_are_invalid_state(
    roster, clients, coordination_rows
):
    crew = clients["crew"]
    before = coordination_rows()
    not_yet = crew.request("slot.done", slot_id="sl-1", version=1)
    assert not_yet["code"] == "invalid_state" and "arrived first" in not_yet["message"]
    assert coordination_rows() == before
    crew.request("slot.arrive", slot_id="sl-1", version=1)
    twice = crew.request("slot.arrive", slot_id="sl-1", version=2)
    assert twice["code"] == "invalid_state" and "already marked arrived" in twice["message"]


def test_a_producer_corrects_the_actual_times(roster, clients, coordination_store):
    clients["crew"].request("slot.arrive", slot_id="sl-1", version=1)
    start = datetime(2026, 11, 25, 14, 3, tzinfo=UTC)
    reply = clients["producer"].request(
        "slot.update",
        slot_id="sl-1",
        version=2,
        changes={
            "actual_start": start.isoformat(),
            "actual_end": (start + timedelta(minutes=12)).isoformat(),
        },
    )
    assert reply["type"] == "ack", reply
    slot = coordination_store.get(MEDIA_DAY, "slot", "sl-1")
    assert (slot.actual_start, slot.actual_end) == (start, start + timedelta(minutes=12))
    backwards = clients["producer"].request(
        "slot.update", slot_id="sl-1", version=3, changes={"actual_end": "2026-11-25T14:00:00Z"}
    )
    assert backwards["code"] == "invalid" and "actual_end" in backwards["message"]


def test_a_crew_may_not_correct_times_through_slot_update(roster, clients):
    reply = clients["crew"].request(
        "slot.update",
        slot_id="sl-1",
        version=1,
        changes={"actual_start": "2026-11-25T14:00:00Z"},
    )
    assert reply["code"] == "forbidden"


def test_a_producer_clears_a_mistaken_done_then_arrival_and_the_crew_marks_again(
    roster, clients, coordination_store, coordination_rows
):
    # Given a slot marked arrived and done (by mistake: the athlete is still there)
    crew, producer = clients["crew"], clients["producer"]
    crew.request("slot.arrive", slot_id="sl-1", version=1)
    crew.request("slot.done", slot_id="sl-1", version=2)
    # When the producer clears the arrival but leaves the done mark: refused, nothing written
    before = coordination_rows()
    orphan = producer.request("slot.update", slot_id="sl-1", version=3, clear=["actual_start"])
    assert orphan["code"] == "invalid" and "actual_end" in orphan["message"]
    both = producer.request(
        "slot.update",
        slot_id="sl-1",
        version=3,
        changes={"actual_end": "2026-11-25T14:20:00Z"},
        clear=["actual_end"],
    )
    assert both["code"] == "invalid" and "both set" in both["message"]
    assert coordination_rows() == before
    # When it clears the done mark alone (no `changes` needed)
    cleared = producer.request("slot.update", slot_id="sl-1", version=3, clear=["actual_end"])
    assert cleared["type"] == "ack" and "actual_end" not in cleared["item"], cleared
    slot = coordination_store.get(MEDIA_DAY, "slot", "sl-1")
    assert slot.actual_start is not None and slot.actual_end is None
    # Then both can go, and the crew marks the arrival afresh
    producer.request("slot.update", slot_id="sl-1", version=4, clear=["actual_start"])
    again = crew.request("slot.arrive", slot_id="sl-1", version=5)
    assert again["type"] == "ack", again
