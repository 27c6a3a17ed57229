"""Each action as each role, through on_message with API-Gateway-shaped events (moto)."""

from __future__ import annotations

from typing import Any

import pytest

from mediaday.protocol import ACTIONS, READ_ACTIONS
from tests.integration.messaging.conftest import DEVICE_ACTIONS, MEDIA_DAY, MESSAGES, PREPARED

# What each write leaves in the table: (type, id) -> fields to check.
WRITTEN: dict[str, tuple[str, str, dict[str, Any]]] = {
    "slot.create": ("slot", "sl-new", {"title": "Walk-on", "version": 1}),
    "slot.update": ("slot", "sl-1", {"title": "Post-game", "version": 2}),
    "slot.move": ("slot", "sl-1", {"station_id": "st-2", "version": 2}),
    "slot.delete": ("slot", "sl-1", {"deleted": True, "version": 2}),
    "shot.update": ("shot", "sh-1", {"description": "Tight", "version": 2}),
    "shot.set_status": ("shot", "sh-1", {"status": "captured", "version": 2}),
    "shot.delete": ("shot", "sh-1", {"deleted": True, "version": 2}),
    "call.push": ("call", "ca-new", {"state": "pending", "version": 1}),
    "call.ack": ("call", "ca-1", {"state": "arrived", "acked_by": None, "version": 2}),
    "call.cancel": ("call", "ca-1", {"state": "cancelled", "version": 2}),
    "station.put": ("station", "st-9", {"name": "Podcast booth", "kind": "podcast"}),
    "talent.put": ("talent", "t-9", {"name": "Jordan Lee", "number": "12"}),
    "schedule.shift": ("slot", "sl-1", {"starts_at": "2026-11-25T14:10:00Z", "version": 2}),
    "slot.arrive": ("slot", "sl-1", {"version": 2}),
    "slot.done": ("slot", "sl-1", {"version": 3}),
    "notice.post": ("notice", "nt-new", {"text": "Lunch in 10 minutes", "level": "info"}),
    "notice.update": ("notice", "nt-1", {"level": "urgent", "version": 2}),
    "notice.clear": ("notice", "nt-1", {"deleted": True, "version": 2}),
    "batch": ("slot", "sl-1", {"title": "Batched", "version": 2}),
}
ALLOWED = {
    "producer": set(ACTIONS),
    "crew": set(READ_ACTIONS) | {"shot.set_status", "call.ack", "slot.arrive", "slot.done"},
    "kiosk": set(READ_ACTIONS),
}
# A producer's pairing without a screen waiting (test_pairing.py pairs one); `pair.start`
# is for screens without a token.
PRODUCER_REFUSALS = {
    "pair.start": "invalid",
    "pair.approve": "pairing_code_unknown",
    "pair.reject": "pairing_code_unknown",
}


def test_every_action_has_a_scenario():
    assert set(MESSAGES) == set(ACTIONS)
    assert set(WRITTEN) | set(READ_ACTIONS) | {"shot.add"} | DEVICE_ACTIONS == set(ACTIONS)


@pytest.mark.parametrize("role", ["producer", "crew", "kiosk"])
@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_as_each_role(
    action, role, roster, clients, coordination_store, coordination_rows
):
    if action in PREPARED:
        prepared, fields = PREPARED[action]
        assert clients["producer"].request(prepared, **fields)["type"] == "ack"
    before = coordination_rows()
    # When the role sends a valid request for the action
    reply = clients[role].request(action, **MESSAGES[action])
    # Then it is done if the role may do it, and refused with `forbidden` otherwise
    if action not in ALLOWED[role]:
        assert (reply["type"], reply["code"]) == ("error", "forbidden"), reply
        assert reply["id"]
        assert coordination_rows() == before
        return
    if action == "ping":
        assert reply["type"] == "pong"
        return
    if action in PRODUCER_REFUSALS:
        assert (reply["type"], reply["code"]) == ("error", PRODUCER_REFUSALS[action]), reply
        assert coordination_rows() == before
        return
    assert reply["type"] == "ack" and reply["action"] == action, reply
    if action in READ_ACTIONS or action in DEVICE_ACTIONS:
        assert coordination_rows() == before
        return
    item = reply["item"] if "item" in reply else reply["items"][0]  # batch, shift: items
    assert item["updated_by"] == f"{role}-subject"
    if action == "shot.add":
        item_type, item_id, expected = "shot", reply["item"]["id"], {"description": "Close"}
    else:
        item_type, item_id, expected = WRITTEN[action]
        if "acked_by" in expected:
            expected = {**expected, "acked_by": f"{role}-subject"}
    stored = coordination_store.get(MEDIA_DAY, item_type, item_id)
    assert stored is not None
    stored_plain = stored.model_dump(mode="json")
    assert {key: stored_plain.get(key) for key in expected} == expected
    assert (item["version"], item["rev"]) == (stored.version, stored.rev)


@pytest.mark.parametrize(
    "action,fields",
    [
        ("shot.set_status", {"shot_id": "sh-2", "version": 1, "status": "skipped"}),
        ("call.ack", {"call_id": "ca-2", "version": 1, "state": "en-route"}),
    ],
)
def test_crew_cannot_touch_another_stations_items(
    action, fields, roster, clients, coordination_rows
):
    # Given a crew of station st-1 and items of station st-2
    before = coordination_rows()
    # When it acts on them
    reply = clients["crew"].request(action, **fields)
    # Then it is refused and nothing is written
    assert reply["code"] == "forbidden"
    assert "st-2" in reply["message"]
    assert coordination_rows() == before


def test_kiosk_may_subscribe_and_sync_every_topic(roster, clients, poster):
    topics = ["roster", "schedule", "calls", "station:st-2", "shots:st-2"]
    reply = clients["kiosk"].request("subscribe", topics=topics)
    assert reply["type"] == "ack" and reply["topics"] == topics
    assert clients["kiosk"].request("sync", since=0)["type"] == "ack"
