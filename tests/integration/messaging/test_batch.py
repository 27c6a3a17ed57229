"""batch: many writes, all or nothing, consecutive revs, each write retried once only."""

from __future__ import annotations

from datetime import timedelta

from mediaday.connections import ConnectionStore
from messaging.batch import extra_cost
from tests.conftest import CONNECTIONS_TABLE
from tests.integration.messaging.conftest import MEDIA_DAY, START, slot_fields


def at(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).isoformat()


def new_slots(count: int, *, prefix: str = "b") -> list[dict]:
    """`count` slot creates for t-2 at st-1, back to back from 16:00."""
    return [
        {
            "action": "slot.create",
            "id": f"{prefix}-{n}",
            "slot": slot_fields(
                id=f"sl-{prefix}{n}", starts_at=at(120 + 5 * n), ends_at=at(125 + 5 * n)
            ),
        }
        for n in range(count)
    ]


def test_a_batch_writes_every_item_with_consecutive_revs(roster, clients, coordination_store):
    writes = [
        {"action": "station.put", "id": "w-st", "station": {"id": "st-3", "name": "Photo"}},
        {"action": "talent.put", "id": "w-t", "talent": {"id": "t-3", "name": "Sam"}},
        # points at the station and athlete put by this very batch
        {
            "action": "slot.create",
            "id": "w-sl",
            "slot": slot_fields(id="sl-3", station_id="st-3", talent_id="t-3"),
        },
        {
            "action": "slot.update",
            "id": "w-up",
            "slot_id": "sl-1",
            "version": 1,
            "changes": {"title": "Walk-on"},
        },
        {
            "action": "shot.add",
            "id": "w-sh",
            "shot": {"station_id": "st-3", "talent_id": "t-3", "description": "Wide"},
        },
        {"action": "shot.delete", "id": "w-del", "shot_id": "sh-2", "version": 1},
    ]
    reply = clients["producer"].request("batch", writes=writes)
    assert reply["type"] == "ack", reply
    assert [item["rev"] for item in reply["items"]] == [11, 12, 13, 14, 15, 16]
    assert reply["rev"] == 16 and "duplicate" not in reply
    assert coordination_store.current_rev(MEDIA_DAY) == 16
    assert coordination_store.get(MEDIA_DAY, "slot", "sl-3").station_id == "st-3"
    assert coordination_store.get(MEDIA_DAY, "slot", "sl-1").title == "Walk-on"
    assert coordination_store.get(MEDIA_DAY, "shot", "sh-2").deleted is True


def test_one_refused_write_refuses_the_batch_naming_it_and_nothing_is_written(
    roster, clients, coordination_rows
):
    before = coordination_rows()
    writes = [
        *new_slots(3),
        {
            "action": "slot.update",
            "id": "w-stale",
            "slot_id": "sl-2",
            "version": 7,
            "changes": {"title": "x"},
        },
    ]
    reply = clients["producer"].request("batch", writes=writes)
    assert reply["code"] == "conflict"
    assert reply["message"].startswith("writes[3] slot.update: stale version 7")
    assert reply["current"]["id"] == "sl-2"
    assert coordination_rows() == before


def test_a_retried_batch_is_a_duplicate_and_writes_nothing(roster, clients, coordination_rows):
    message = {"action": "batch", "id": "batch-1", "writes": new_slots(5)}
    first = clients["producer"].send(message)
    after_first = coordination_rows()
    retry = clients["producer"].send(message)
    assert first["type"] == retry["type"] == "ack"
    assert retry["duplicate"] is True and retry["items"] == first["items"]
    assert coordination_rows() == after_first


def test_writes_applied_by_an_earlier_batch_are_skipped_when_regrouped(
    roster, clients, coordination_store
):
    # Given the first three of six writes applied in one batch (then the client crashed)
    writes = new_slots(6)
    assert clients["producer"].request("batch", writes=writes[:3])["type"] == "ack"
    # When all six are sent again in another batch
    reply = clients["producer"].request("batch", writes=writes)
    # Then only the three new ones are written, with the next revs
    assert reply["type"] == "ack" and "duplicate" not in reply
    assert reply["duplicates"] == [0, 1, 2]
    assert [item["rev"] for item in reply["items"]] == [11, 12, 13, 14, 15, 16]
    assert coordination_store.current_rev(MEDIA_DAY) == 16


def test_more_than_99_writes_is_batch_too_large_and_nothing_is_written(
    roster, clients, coordination_rows
):
    before = coordination_rows()
    reply = clients["producer"].request("batch", writes=new_slots(100))
    assert reply["code"] == "batch_too_large"
    assert "split" in reply["message"] and "99" in reply["message"]
    assert coordination_rows() == before
    assert clients["producer"].request("batch", writes=new_slots(99))["type"] == "ack"


def test_two_writes_of_one_item_in_a_batch_are_refused(roster, clients, coordination_rows):
    before = coordination_rows()
    writes = [
        {
            "action": "slot.update",
            "id": "w-1",
            "slot_id": "sl-1",
            "version": 1,
            "changes": {"title": "a"},
        },
        {"action": "slot.delete", "id": "w-2", "slot_id": "sl-1", "version": 2},
    ]
    reply = clients["producer"].request("batch", writes=writes)
    assert reply["code"] == "invalid" and "writes[0]" in reply["message"]
    assert coordination_rows() == before


def test_two_slots_of_a_batch_that_double_book_an_athlete_are_refused(
    roster, clients, coordination_rows
):
    before = coordination_rows()
    writes = [
        {
            "action": "slot.create",
            "id": "w-1",
            "slot": slot_fields(id="sl-p", starts_at=at(60), ends_at=at(70)),
        },
        {
            "action": "slot.create",
            "id": "w-2",
            "slot": slot_fields(id="sl-q", station_id="st-2", starts_at=at(65), ends_at=at(75)),
        },
    ]
    reply = clients["producer"].request("batch", writes=writes)
    assert reply["code"] == "double_booked"
    assert "sl-p" in reply["message"] and "sl-q" in reply["message"]
    assert coordination_rows() == before


def test_a_batch_counts_once_plus_one_per_ten_writes(roster, clients, dynamodb):
    reply = clients["producer"].request("batch", writes=new_slots(25))
    assert reply["type"] == "ack"
    store = ConnectionStore(CONNECTIONS_TABLE, dynamodb)
    # the message itself, then extra_cost(25) == 3: the next count is the fifth
    assert extra_cost(25) == 3 and extra_cost(99) == 10 and extra_cost(1) == 1
    assert store.count_message("c-producer") == 1 + 3 + 1


def test_a_batch_over_the_minutes_budget_is_rate_limited_and_writes_nothing(
    roster, clients, coordination_rows, monkeypatch
):
    monkeypatch.setenv("MEDIADAY_RATE_LIMIT_PER_MINUTE", "5")
    from mediaday.factories import reset_all

    reset_all()
    before = coordination_rows()
    reply = clients["producer"].request("batch", writes=new_slots(50))
    assert reply["code"] == "rate_limited" and "counts 6 messages" in reply["message"]
    assert coordination_rows() == before
