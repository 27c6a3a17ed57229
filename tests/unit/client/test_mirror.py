"""The mirror: merge by version, topic membership, snapshots and watermarks."""

from __future__ import annotations

import pytest

from client.mirror import Mirror
from mediaday.models import Slot
from mediaday.protocol import EventsFrame


def slot(version: int, rev: int, *, station: str = "st-1", slot_id: str = "sl-1", **extra):
    return {
        "type": "slot",
        "media_day": "md",
        "id": slot_id,
        "station_id": station,
        "talent_id": "t-1",
        "starts_at": "2026-05-04T09:00:00Z",
        "ends_at": "2026-05-04T09:15:00Z",
        "version": version,
        "rev": rev,
        **extra,
    }


def mirror_of(*topics: str) -> Mirror:
    mirror = Mirror()
    mirror.add_topics(topics)
    return mirror


def test_a_newer_version_applies_and_the_same_or_older_is_ignored():
    mirror = mirror_of("schedule")
    assert mirror.apply(slot(1, 1)).change == "added"
    assert mirror.apply(slot(3, 5, title="v3")).change == "updated"
    # duplicates and reordering are harmless
    assert mirror.apply(slot(3, 5, title="v3 again")) is None
    assert mirror.apply(slot(2, 3, title="v2 late")) is None
    assert mirror.get("slot", "sl-1").title == "v3"


def test_a_slot_moving_away_leaves_the_old_station_and_enters_the_new_one():
    at_a, at_b = mirror_of("station:A"), mirror_of("station:B")
    for mirror in (at_a, at_b):
        mirror.apply(slot(1, 1, station="A"))
    moved = slot(2, 2, station="B")
    left, entered = at_a.apply(moved, topic="station:A"), at_b.apply(moved, topic="station:B")
    assert (left.change, left.previous.station_id) == ("removed", "A")
    assert entered.change == "added"
    assert at_a.slots() == [] and [s.id for s in at_b.slots()] == ["sl-1"]


def test_a_deleted_item_leaves_and_a_late_older_copy_cannot_bring_it_back():
    mirror = mirror_of("schedule")
    mirror.apply(slot(1, 1))
    change = mirror.apply(slot(2, 2, deleted=True))
    assert (change.change, change.item.deleted) == ("removed", True)
    assert mirror.apply(slot(1, 1)) is None
    assert mirror.get("slot", "sl-1") is None
    assert mirror.known("slot", "sl-1").version == 2


def test_a_snapshot_drops_shown_items_that_are_gone_but_keeps_newer_ones():
    mirror = mirror_of("station:st-1")
    mirror.apply(slot(1, 1, slot_id="deleted-while-away"))
    mirror.apply(slot(1, 2, slot_id="kept"))
    mirror.apply(slot(1, 9, slot_id="newer-than-snapshot"))  # an event that beat the snapshot
    changes = mirror.apply_snapshot(["station:st-1"], 5, [slot(1, 2, slot_id="kept")])
    assert [(c.change, c.item.id) for c in changes] == [("removed", "deleted-while-away")]
    assert {s.id for s in mirror.slots()} == {"kept", "newer-than-snapshot"}
    # and the dropped item stays dropped against stale copies from before the snapshot
    assert mirror.apply(slot(1, 1, slot_id="deleted-while-away")) is None
    assert mirror.apply(slot(2, 6, slot_id="deleted-while-away")).change == "added"


def test_a_snapshot_of_one_topic_leaves_items_another_topic_still_shows():
    mirror = mirror_of("station:st-1", "schedule")
    mirror.apply(slot(1, 1))
    assert mirror.apply_snapshot(["station:st-1"], 5, []) == []
    assert mirror.get("slot", "sl-1") is not None


def test_a_station_sync_carrying_other_stations_items_does_not_show_them():
    mirror = mirror_of("station:st-1")
    mirror.apply(slot(1, 1))
    changes = mirror.apply_sync(
        ["station:st-1"], 7, [slot(2, 6, station="st-9"), slot(1, 7, station="st-9", slot_id="x")]
    )
    assert [(c.change, c.item.id) for c in changes] == [("removed", "sl-1")]
    assert mirror.items() == []
    assert mirror.watermark == 7


def test_the_watermark_is_the_lowest_topic_rev_and_unknown_until_all_have_one():
    mirror = mirror_of("roster", "schedule")
    assert mirror.watermark is None
    mirror.apply_snapshot(["roster"], 10, [])
    assert mirror.watermark is None
    mirror.apply_snapshot(["schedule"], 20, [])
    assert mirror.watermark == 10
    mirror.apply_sync(["roster", "schedule"], 25, [])
    assert mirror.watermark == 25
    mirror.apply_snapshot(["roster"], 22, [])  # an older answer never moves it back
    assert mirror.topic_rev("roster") == 25


def test_adding_and_removing_topics_shows_and_hides_what_they_hold():
    mirror = mirror_of("station:st-1")
    mirror.apply(slot(1, 1, station="st-2"))  # known (from a sync) but not shown
    added = mirror.add_topics(["station:st-2"])
    assert [(c.change, c.item.id) for c in added] == [("added", "sl-1")]
    removed = mirror.remove_topics(["station:st-2"])
    assert [(c.change, c.item.id) for c in removed] == [("removed", "sl-1")]
    assert mirror.topics == ("station:st-1",)


def test_typed_views_sort_and_filter():
    mirror = mirror_of("schedule")
    mirror.apply(
        slot(1, 1, slot_id="b", starts_at="2026-05-04T10:00:00Z", ends_at="2026-05-04T10:10:00Z")
    )
    mirror.apply(slot(1, 2, slot_id="a"))
    mirror.apply(slot(1, 3, slot_id="c", station="st-2"))
    assert [s.id for s in mirror.slots("st-1")] == ["a", "b"]
    assert all(isinstance(s, Slot) for s in mirror.items_of(Slot))


def test_unknown_topics_and_invalid_items_are_refused():
    with pytest.raises(ValueError, match="not a topic"):
        mirror_of("everything")
    mirror = mirror_of("schedule")
    assert mirror.apply({"type": "slot", "id": "broken"}) is None
    assert mirror.items() == []


def test_an_events_frame_applies_its_changes_in_order_and_ignores_duplicates():
    # Given a mirror that already holds version 2 of sl-1
    mirror = mirror_of("schedule", "station:st-1")
    mirror.apply(slot(2, 2))

    def entry(item, topics):
        return {
            "topics": topics,
            "change": "updated",
            "item_type": "slot",
            "item_id": item["id"],
            "item": item,
            "version": item["version"],
            "rev": item["rev"],
        }

    frame = EventsFrame.model_validate(
        {
            "type": "events",
            "server_time": 1,
            "changes": [
                entry(slot(2, 2), ["schedule", "station:st-1"]),  # a duplicate: ignored
                entry(slot(3, 4, title="v3"), ["schedule", "station:st-1"]),
                entry(slot(1, 5, slot_id="sl-2"), ["schedule"]),
                entry(slot(4, 6, title="v4"), ["schedule"]),
            ],
        }
    )
    # When it is applied, Then each newer change is one ItemChanged, in the frame's order
    changes = mirror.apply_events(frame)
    assert [(c.change, c.item.id, c.item.version, c.topic) for c in changes] == [
        ("updated", "sl-1", 3, "schedule"),
        ("added", "sl-2", 1, "schedule"),
        ("updated", "sl-1", 4, "schedule"),
    ]
    assert mirror.get("slot", "sl-1").title == "v4"
