"""Double-booking: one athlete in two overlapping slots is refused, naming the other slot,
unless the write allows it; the check costs one Query per athlete, whatever the day's size."""

from __future__ import annotations

from datetime import timedelta

from mediaday.factories import get_coordination_store
from mediaday.models import Slot, item_to_dynamo
from tests.conftest import COORDINATION_TABLE
from tests.integration.messaging.conftest import MEDIA_DAY, START, slot_fields


def at(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).isoformat()


def test_a_create_that_overlaps_the_athletes_other_slot_is_refused_naming_it(
    roster, clients, coordination_rows
):
    # Given t-1 booked at st-1 (sl-1) and st-2 (sl-2), 14:00-14:10
    before = coordination_rows()
    # When a producer books t-1 at 14:05 elsewhere
    reply = clients["producer"].request(
        "slot.create", slot=slot_fields(id="sl-9", talent_id="t-1", starts_at=at(5), ends_at=at(15))
    )
    # Then it is refused with double_booked naming both other slots, and nothing is written
    assert reply["code"] == "double_booked"
    assert "sl-1" in reply["message"] and "sl-2" in reply["message"]
    assert "allow_overlap" in reply["message"]
    assert coordination_rows() == before


def test_back_to_back_slots_are_not_an_overlap(roster, clients):
    reply = clients["producer"].request(
        "slot.create",
        slot=slot_fields(id="sl-9", talent_id="t-1", starts_at=at(10), ends_at=at(20)),
    )
    assert reply["type"] == "ack", reply
    assert reply["item"]["overlap_allowed"] is False


def test_allow_overlap_books_it_and_the_slot_records_that_it_was_allowed(
    roster, clients, coordination_store
):
    reply = clients["producer"].request(
        "slot.create",
        slot=slot_fields(id="sl-9", talent_id="t-1", starts_at=at(5), ends_at=at(15)),
        allow_overlap=True,
    )
    assert reply["type"] == "ack", reply
    stored = coordination_store.get(MEDIA_DAY, "slot", "sl-9")
    assert stored.overlap_allowed is True


def test_an_update_into_an_overlap_is_refused_and_one_that_keeps_the_booking_passes(
    roster, clients, coordination_rows
):
    producer = clients["producer"]
    created = producer.request(
        "slot.create", slot=slot_fields(id="sl-9", starts_at=at(30), ends_at=at(40))
    )
    assert created["type"] == "ack", created
    # When the new slot is given to t-1 at a time t-1 is already busy elsewhere
    before = coordination_rows()
    moved = producer.request(
        "slot.update",
        slot_id="sl-9",
        version=1,
        changes={"talent_id": "t-1", "starts_at": at(0), "ends_at": at(10)},
    )
    assert moved["code"] == "double_booked"
    assert coordination_rows() == before
    # A title change of a slot that overlaps since before the rule is not refused
    renamed = producer.request("slot.update", slot_id="sl-1", version=1, changes={"title": "x"})
    assert renamed["type"] == "ack", renamed


def test_a_move_to_another_time_that_overlaps_is_refused(roster, clients):
    producer = clients["producer"]
    assert (
        producer.request(
            "slot.create",
            slot=slot_fields(id="sl-9", talent_id="t-1", starts_at=at(30), ends_at=at(40)),
        )["type"]
        == "ack"
    )
    reply = producer.request(
        "slot.move", slot_id="sl-9", version=1, station_id="st-2", starts_at=at(2), ends_at=at(8)
    )
    assert reply["code"] == "double_booked" and "sl-2" in reply["message"]


def test_the_check_is_one_query_per_athlete_however_big_the_day(
    roster, clients, dynamodb, monkeypatch
):
    # Given a day with 300 more slots of other athletes
    rows = [
        item_to_dynamo(
            Slot(
                media_day=MEDIA_DAY,
                id=f"sl-x{n}",
                station_id="st-2",
                talent_id=f"t-x{n % 30}",
                starts_at=START + timedelta(minutes=n),
                ends_at=START + timedelta(minutes=n + 5),
                version=1,
                rev=1,
            )
        )
        for n in range(300)
    ]
    for start in range(0, len(rows), 25):
        dynamodb.batch_write_item(
            RequestItems={
                COORDINATION_TABLE: [{"PutRequest": {"Item": r}} for r in rows[start : start + 25]]
            }
        )
    # (the message Lambda's own store, from its cached factory, counts its Queries)
    store = get_coordination_store()
    queries: list[dict] = []
    real_query = store._query

    def counting(**kwargs):
        queries.append(kwargs)
        return real_query(**kwargs)

    monkeypatch.setattr(store, "_query", counting)
    # When a batch books two athletes (three slots)
    writes = [
        {
            "action": "slot.create",
            "id": f"w-{n}",
            "slot": slot_fields(
                id=f"sl-n{n}", talent_id=t, starts_at=at(60 + 20 * n), ends_at=at(70 + 20 * n)
            ),
        }
        for n, t in enumerate(["t-1", "t-2", "t-1"])
    ]
    reply = clients["producer"].request("batch", writes=writes)
    # Then the check read each athlete's slots once, through the talent index
    assert reply["type"] == "ack", reply
    talent_queries = [q for q in queries if q.get("IndexName") == "by_talent"]
    assert len(talent_queries) == 2
    assert len(queries) == 2  # nothing else was queried: the rest are key reads
