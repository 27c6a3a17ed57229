"""schedule.shift: the rest of a station's day moves by N minutes, all or nothing, with
consecutive revs; planned times are kept; overlaps and oversize shifts are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mediaday.models import Slot, Talent, item_to_dynamo
from tests.conftest import COORDINATION_TABLE
from tests.integration.messaging.conftest import MEDIA_DAY, START, Client, seed_connection


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


@pytest.fixture
def day(roster, dynamodb):
    """Station st-1 also has five 10-minute slots from 15:00 (sl-a..sl-e) of t-a..t-e."""
    items = [
        Slot(
            media_day=MEDIA_DAY,
            id=f"sl-{letter}",
            station_id="st-1",
            talent_id=f"t-{letter}",
            starts_at=at(60 + 10 * n),
            ends_at=at(70 + 10 * n),
            version=1,
            rev=0,
        )
        for n, letter in enumerate("abcde")
    ]
    talent = [Talent(media_day=MEDIA_DAY, id=f"t-{x}", name=x, version=1) for x in "abcde"]
    dynamodb.batch_write_item(
        RequestItems={
            COORDINATION_TABLE: [
                {"PutRequest": {"Item": item_to_dynamo(i)}} for i in [*items, *talent]
            ]
        }
    )
    return items


def slots(store) -> dict[str, Slot]:
    return {s.id: s for s in store.items_of_type(MEDIA_DAY, "slot")}


def test_a_shift_moves_every_later_slot_with_consecutive_revs_and_keeps_planned_times(
    day, clients, coordination_store
):
    # When a producer shifts st-1 by +10 from 15:10
    reply = clients["producer"].request(
        "schedule.shift", station_id="st-1", minutes=10, starting_at=at(70).isoformat()
    )
    # Then sl-b..sl-e moved (sl-a, earlier, and sl-1 at 14:00 did not), one rev each
    assert reply["type"] == "ack", reply
    assert [item["id"] for item in reply["items"]] == ["sl-b", "sl-c", "sl-d", "sl-e"]
    revs = [item["rev"] for item in reply["items"]]
    assert revs == list(range(11, 15)) and reply["rev"] == 14
    stored = slots(coordination_store)
    assert stored["sl-a"].starts_at == at(60) and stored["sl-a"].version == 1
    for n, letter in enumerate("bcde", 1):
        slot = stored[f"sl-{letter}"]
        assert (slot.starts_at, slot.ends_at) == (at(70 + 10 * n), at(80 + 10 * n))
        assert (slot.planned_starts_at, slot.planned_ends_at) == (at(60 + 10 * n), at(70 + 10 * n))
        assert slot.version == 2
    # And a second shift keeps the times first planned
    again = clients["producer"].request(
        "schedule.shift", station_id="st-1", minutes=-5, starting_at=at(80).isoformat()
    )
    assert again["type"] == "ack", again
    slot = slots(coordination_store)["sl-b"]
    assert slot.starts_at == at(75) and slot.planned_starts_at == at(70)


def test_include_current_also_moves_the_slot_under_way(day, clients, coordination_store):
    reply = clients["producer"].request(
        "schedule.shift",
        station_id="st-1",
        minutes=5,
        starting_at=at(65).isoformat(),
        include_current=True,
    )
    assert [item["id"] for item in reply["items"]] == ["sl-a", "sl-b", "sl-c", "sl-d", "sl-e"]


def test_a_retried_shift_is_a_duplicate_and_moves_nothing_twice(day, clients, coordination_store):
    message = {
        "action": "schedule.shift",
        "id": "shift-1",
        "station_id": "st-1",
        "minutes": 10,
        "starting_at": at(60).isoformat(),
    }
    first = clients["producer"].send(message)
    retry = clients["producer"].send(message)
    assert first["type"] == retry["type"] == "ack"
    assert retry["duplicate"] is True and retry["items"] == first["items"]
    assert slots(coordination_store)["sl-a"].starts_at == at(70)


def test_a_shift_that_would_double_book_an_athlete_is_refused_and_nothing_moves(
    day, clients, coordination_rows
):
    producer = clients["producer"]
    # Given t-c also booked at st-2 right after their st-1 slot (15:30-15:40)
    booked = producer.request(
        "slot.create",
        slot={
            "id": "sl-x",
            "station_id": "st-2",
            "talent_id": "t-c",
            "starts_at": at(90).isoformat(),
            "ends_at": at(100).isoformat(),
        },
    )
    assert booked["type"] == "ack", booked
    before = coordination_rows()
    # When st-1 runs 10 minutes late from 15:00
    reply = producer.request(
        "schedule.shift", station_id="st-1", minutes=10, starting_at=at(60).isoformat()
    )
    # Then the shift is refused, naming the other slot, and no slot moved
    assert reply["code"] == "double_booked"
    assert "sl-c" in reply["message"] and "sl-x" in reply["message"]
    assert coordination_rows() == before
    # With allow_overlap it moves and the slots record it
    allowed = producer.request(
        "schedule.shift",
        station_id="st-1",
        minutes=10,
        starting_at=at(60).isoformat(),
        allow_overlap=True,
    )
    assert allowed["type"] == "ack" and all(i["overlap_allowed"] for i in allowed["items"])


def test_an_earlier_shift_onto_a_slot_the_station_keeps_is_refused(day, clients, coordination_rows):
    before = coordination_rows()
    reply = clients["producer"].request(
        "schedule.shift", station_id="st-1", minutes=-5, starting_at=at(70).isoformat()
    )
    assert reply["code"] == "double_booked"
    assert "station st-1" in reply["message"] and "sl-a" in reply["message"]
    assert coordination_rows() == before


def test_a_shift_of_more_than_99_slots_is_refused_with_batch_too_large(
    roster, clients, dynamodb, coordination_rows
):
    items = [
        Slot(
            media_day=MEDIA_DAY,
            id=f"sl-{n}x",
            station_id="st-2",
            talent_id=f"t-{n}x",
            starts_at=at(60 + 5 * n),
            ends_at=at(65 + 5 * n),
            version=1,
        )
        for n in range(100)
    ]
    for start in range(0, 100, 25):
        dynamodb.batch_write_item(
            RequestItems={
                COORDINATION_TABLE: [
                    {"PutRequest": {"Item": item_to_dynamo(i)}} for i in items[start : start + 25]
                ]
            }
        )
    before = coordination_rows()
    reply = clients["producer"].request(
        "schedule.shift", station_id="st-2", minutes=5, starting_at=at(60).isoformat()
    )
    assert reply["code"] == "batch_too_large"
    assert "100 slots" in reply["message"] and "99" in reply["message"]
    assert coordination_rows() == before


@pytest.mark.parametrize(
    "fields,code",
    [
        ({"minutes": 241}, "invalid"),
        ({"minutes": -121}, "invalid"),
        ({"minutes": 0}, "invalid"),
        ({"minutes": 5, "starting_at": "2026-11-25T23:00:00Z"}, "not_found"),
        ({"minutes": 5, "station_id": "st-9"}, "not_found"),
    ],
)
def test_bad_shifts_are_refused_and_change_nothing(fields, code, day, clients, coordination_rows):
    before = coordination_rows()
    fields = {"station_id": "st-1", "starting_at": at(0).isoformat(), **fields}
    reply = clients["producer"].request("schedule.shift", **fields)
    assert reply["code"] == code, reply
    assert coordination_rows() == before


def test_an_edit_from_before_the_shift_is_a_conflict_and_the_shift_stands(
    day, clients, connection_store, poster, coordination_store
):
    # Given a second producer who saw sl-c at version 1
    seed_connection(connection_store, "producer", connection_id="c-producer-2")
    other = Client("c-producer-2", poster)
    shifted = clients["producer"].request(
        "schedule.shift", station_id="st-1", minutes=10, starting_at=at(60).isoformat()
    )
    assert shifted["type"] == "ack"
    # When they edit it from version 1
    reply = other.request("slot.update", slot_id="sl-c", version=1, changes={"title": "late"})
    # Then it is a conflict carrying the shifted slot; the shift is whole
    assert reply["code"] == "conflict" and reply["current"]["version"] == 2
    stored = slots(coordination_store)
    assert all(stored[f"sl-{x}"].starts_at == at(70 + 10 * n) for n, x in enumerate("abcde"))


def test_every_station_shifts_when_none_is_named(day, clients, coordination_store):
    reply = clients["producer"].request(
        "schedule.shift", minutes=15, starting_at=at(0).isoformat(), allow_overlap=True
    )
    assert reply["type"] == "ack", reply
    assert {i["id"] for i in reply["items"]} == {"sl-1", "sl-2", *(f"sl-{x}" for x in "abcde")}
    assert slots(coordination_store)["sl-2"].starts_at == at(15)


def test_the_default_start_is_now_on_the_servers_clock(day, clients, coordination_store):
    # Every slot of the fixture is in the past by the real clock: nothing left to shift
    reply = clients["producer"].request("schedule.shift", station_id="st-1", minutes=5)
    assert reply["code"] == "not_found"
    assert datetime.now(UTC).isoformat()[:10] in reply["message"]
