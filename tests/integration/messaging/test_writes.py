"""Writes: conditional on version, idempotent on request id, checked before writing."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.messaging.conftest import (
    MEDIA_DAY,
    Client,
    seed_connection,
    slot_fields,
)


def body(action: str, request_id: str | None = None, **fields):
    return {"action": action, "id": request_id or uuid.uuid4().hex, **fields}


# -- conflicts ---------------------------------------------------------------------------
def test_two_writers_with_the_same_version_exactly_one_wins(
    roster, clients, connection_store, poster, coordination_store
):
    # Given two producers who both saw slot sl-1 at version 1
    seed_connection(connection_store, "producer", connection_id="c-producer-2")
    first, second = clients["producer"], Client("c-producer-2", poster)
    # When both change it from version 1
    replies = [
        first.request("slot.update", slot_id="sl-1", version=1, changes={"title": "A"}),
        second.request("slot.update", slot_id="sl-1", version=1, changes={"title": "B"}),
    ]
    # Then exactly one wins; the other gets `conflict` with the winner's item
    assert sorted(reply["type"] for reply in replies) == ["ack", "error"]
    winner = next(reply for reply in replies if reply["type"] == "ack")
    loser = next(reply for reply in replies if reply["type"] == "error")
    assert loser["code"] == "conflict"
    assert loser["current"] == winner["item"]
    stored = coordination_store.get(MEDIA_DAY, "slot", "sl-1")
    assert (stored.title, stored.version) == (winner["item"]["title"], 2)


def test_stale_version_is_a_conflict_and_nothing_is_written(roster, clients, coordination_rows):
    producer = clients["producer"]
    producer.request("shot.update", shot_id="sh-1", version=1, changes={"position": 3})
    before = coordination_rows()
    reply = producer.request("shot.set_status", shot_id="sh-1", version=1, status="skipped")
    assert reply["code"] == "conflict"
    assert reply["current"]["version"] == 2 and reply["current"]["status"] == "pending"
    assert "stale version 1" in reply["message"]
    assert coordination_rows() == before


def test_creating_an_id_that_exists_is_a_conflict(roster, clients, coordination_rows):
    before = coordination_rows()
    reply = clients["producer"].request("slot.create", slot=slot_fields(id="sl-1", title="dup"))
    assert reply["code"] == "conflict"
    assert reply["current"]["id"] == "sl-1" and reply["current"]["title"] == ""
    assert coordination_rows() == before


# -- retries -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "action,fields",
    [
        ("slot.create", {"slot": slot_fields(title="no id given")}),
        ("shot.add", {"shot": {"station_id": "st-2", "talent_id": "t-1", "description": "Wide"}}),
        ("call.push", {"call": {"talent_id": "t-2", "station_id": "st-2", "note": "now"}}),
        ("slot.update", {"slot_id": "sl-2", "version": 1, "changes": {"title": "x"}}),
        ("slot.delete", {"slot_id": "sl-2", "version": 1}),
        ("call.ack", {"call_id": "ca-2", "version": 1, "state": "done"}),
        ("station.put", {"station": {"id": "st-2", "name": "Renamed"}, "version": 1}),
    ],
)
def test_a_retried_request_is_a_duplicate_ack_and_writes_once(
    action, fields, roster, clients, coordination_rows, coordination_store
):
    producer = clients["producer"]
    message = body(action, **fields)
    # Given a request that was applied
    first = producer.send(message)
    assert first["type"] == "ack" and "duplicate" not in first
    after_first = coordination_rows()
    # When the client retries it with the same id
    retry = producer.send(message)
    # Then the answer is the same item, marked duplicate, and nothing more is written
    assert retry["type"] == "ack" and retry["duplicate"] is True
    assert retry["item"] == first["item"]
    assert (retry["version"], retry["rev"]) == (first["version"], first["rev"])
    assert coordination_rows() == after_first


def test_a_retry_after_reconnect_is_still_a_duplicate(
    roster, clients, connection_store, poster, coordination_store
):
    # Given a create applied over one connection
    message = body("call.push", call={"talent_id": "t-1", "station_id": "st-2"})
    first = clients["producer"].send(message)
    # When the same subject reconnects and retries
    seed_connection(connection_store, "producer", connection_id="c-producer-again")
    retry = Client("c-producer-again", poster).send(message)
    # Then it is recognised by subject and request id
    assert retry["duplicate"] is True and retry["item"]["id"] == first["item"]["id"]
    assert first["item"]["id"].startswith("ca-")
    assert coordination_store.current_rev(MEDIA_DAY) == first["rev"]


def test_creates_without_an_id_get_distinct_ids_per_request(roster, clients):
    producer = clients["producer"]
    ids = {
        producer.request(
            "shot.add", shot={"station_id": "st-1", "talent_id": "t-1", "description": "Wide"}
        )["item"]["id"]
        for _ in range(3)
    }
    assert len(ids) == 3 and all(item_id.startswith("sh-") for item_id in ids)


# -- not found ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "action,fields",
    [
        ("slot.update", {"slot_id": "sl-nope", "version": 1, "changes": {"title": "x"}}),
        ("slot.move", {"slot_id": "sl-nope", "version": 1, "station_id": "st-1"}),
        ("slot.delete", {"slot_id": "sl-nope", "version": 1}),
        ("shot.set_status", {"shot_id": "sh-nope", "version": 1, "status": "captured"}),
        ("call.cancel", {"call_id": "ca-nope", "version": 1}),
        ("talent.put", {"talent": {"id": "t-nope", "name": "N"}, "version": 1}),
        # references to stations and talent that are not on the roster
        ("slot.create", {"slot": slot_fields(station_id="st-nope")}),
        ("slot.create", {"slot": slot_fields(talent_id="t-nope")}),
        ("slot.move", {"slot_id": "sl-1", "version": 1, "station_id": "st-nope"}),
        ("slot.update", {"slot_id": "sl-1", "version": 1, "changes": {"talent_id": "t-nope"}}),
        ("shot.add", {"shot": {"station_id": "st-1", "talent_id": "t-nope", "description": "W"}}),
        ("call.push", {"call": {"talent_id": "t-1", "station_id": "st-nope"}}),
    ],
)
def test_writes_to_missing_items_or_unknown_references_are_not_found(
    action, fields, roster, clients, coordination_rows
):
    before = coordination_rows()
    reply = clients["producer"].request(action, **fields)
    assert reply["code"] == "not_found", reply
    assert "nope" in reply["message"]
    assert coordination_rows() == before


def test_a_deleted_item_cannot_be_changed_but_its_id_can_be_created_again(
    roster, clients, coordination_store
):
    producer = clients["producer"]
    deleted = producer.request("slot.delete", slot_id="sl-1", version=1)
    assert deleted["item"]["deleted"] is True and deleted["version"] == 2
    assert (
        producer.request("slot.update", slot_id="sl-1", version=2, changes={"title": "x"})["code"]
        == "not_found"
    )
    again = producer.request("slot.create", slot=slot_fields(id="sl-1", title="back"))
    assert again["type"] == "ack" and again["version"] == 3 and not again["item"]["deleted"]


# -- invalid results ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "action,fields,message",
    [
        (
            "slot.update",
            {"slot_id": "sl-1", "version": 1, "changes": {"ends_at": "2026-11-25T13:00:00Z"}},
            "ends_at must be after starts_at",
        ),
        (
            "slot.move",
            {
                "slot_id": "sl-1",
                "version": 1,
                "station_id": "st-2",
                "ends_at": "2026-11-26T14:00:00Z",
            },
            "at most 12 hours",
        ),
        (
            "slot.create",
            {"slot": slot_fields(ends_at="2026-11-25T14:00:00Z")},
            "ends_at must be after starts_at",
        ),
        ("slot.update", {"slot_id": "sl-1", "version": 1, "changes": {}}, "nothing to change"),
        (
            "slot.update",
            {"slot_id": "sl-1", "version": 1, "changes": {"title": None}},
            "nothing to change",
        ),
        (
            "talent.put",
            {"talent": {"id": "t-5", "name": "N", "number": "1\t2"}},
            "`number` must not contain control characters",
        ),
    ],
)
def test_a_change_whose_result_is_invalid_is_refused_and_nothing_written(
    action, fields, message, roster, clients, coordination_rows
):
    before = coordination_rows()
    reply = clients["producer"].request(action, **fields)
    assert reply["code"] == "invalid"
    assert message in reply["message"]
    assert coordination_rows() == before


def test_slot_move_changes_station_and_times(roster, clients):
    reply = clients["producer"].request(
        "slot.move",
        slot_id="sl-1",
        version=1,
        station_id="st-2",
        starts_at="2026-11-25T15:00:00Z",
        ends_at="2026-11-25T15:20:00+00:00",
    )
    item = reply["item"]
    assert (item["station_id"], item["starts_at"], item["ends_at"]) == (
        "st-2",
        "2026-11-25T15:00:00Z",
        "2026-11-25T15:20:00Z",
    )


# -- calls -------------------------------------------------------------------------------
def test_call_ack_records_state_and_who_acknowledged(roster, clients):
    crew = clients["crew"]
    en_route = crew.request("call.ack", call_id="ca-1", version=1, state="en-route")
    arrived = crew.request("call.ack", call_id="ca-1", version=2, state="arrived")
    assert en_route["item"]["state"] == "en-route"
    assert (arrived["item"]["state"], arrived["item"]["acked_by"]) == ("arrived", "crew-subject")


@pytest.mark.parametrize(
    "closing,action,fields",
    [
        ({"action": "call.cancel"}, "call.ack", {"state": "en-route"}),
        ({"action": "call.ack", "state": "done"}, "call.ack", {"state": "arrived"}),
        ({"action": "call.ack", "state": "done"}, "call.cancel", {}),
        ({"action": "call.cancel"}, "call.cancel", {}),
    ],
)
def test_closed_calls_cannot_be_acknowledged_or_cancelled(
    closing, action, fields, roster, clients, coordination_rows
):
    producer = clients["producer"]
    closing = dict(closing)
    producer.request(closing.pop("action"), call_id="ca-1", version=1, **closing)
    before = coordination_rows()
    reply = producer.request(action, call_id="ca-1", version=2, **fields)
    assert reply["code"] == "invalid_state"
    assert "can no longer be" in reply["message"]
    assert coordination_rows() == before
    # A stale version is reported as a conflict first
    assert producer.request(action, call_id="ca-1", version=1, **fields)["code"] == "conflict"


# -- roster ------------------------------------------------------------------------------
def test_station_put_creates_then_replaces_with_version(roster, clients):
    producer = clients["producer"]
    created = producer.request(
        "station.put", station={"id": "st-7", "name": "Photo wall", "kind": "photo"}
    )
    assert created["version"] == 1
    again = producer.request("station.put", station={"id": "st-7", "name": "Other"})
    assert again["code"] == "conflict" and again["current"]["name"] == "Photo wall"
    replaced = producer.request(
        "station.put", station={"id": "st-7", "name": "Photo wall B"}, version=1
    )
    assert replaced["version"] == 2
    # fields left out are reset to their defaults: a put replaces the whole station
    assert (replaced["item"]["name"], replaced["item"]["kind"]) == ("Photo wall B", "interview")
