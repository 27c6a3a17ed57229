"""Pushed event frames keep the wire shape docs/protocol.md shows ("Pushed events"): v1
clients were promised `event` frames exactly as before, so the member order is kept too
(JSON does not order members, but logs, diffs and naive readers see it)."""

from __future__ import annotations

import json

from mediaday.protocol import EventChange, EventFrame, EventsFrame

CHANGE = {
    "change": "updated",
    "item_type": "slot",
    "item_id": "sl-4",
    "item": {"id": "sl-4"},
    "version": 4,
    "rev": 57,
}


def test_an_event_frame_lists_its_members_in_the_documented_order() -> None:
    frame = EventFrame(topic="station:st-1", server_time=1795617158100, **CHANGE)

    assert list(json.loads(frame.encode())) == [
        "type",
        "topic",
        "change",
        "item_type",
        "item_id",
        "item",
        "version",
        "rev",
        "server_time",
    ]


def test_a_change_in_an_events_frame_names_its_topics_first() -> None:
    frame = EventsFrame(
        changes=[EventChange(topics=["schedule", "station:st-1"], **CHANGE)],
        server_time=1795617158100,
    )

    encoded = json.loads(frame.encode())
    assert list(encoded) == ["type", "changes", "server_time"]
    assert list(encoded["changes"][0]) == ["topics", *CHANGE]
