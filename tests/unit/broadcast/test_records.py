"""Stream records become the changes clients see, or nothing when clients cannot see them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from broadcast.records import change_of
from mediaday.errors import UndeliverableRecord
from mediaday.models import Call, Shot, Slot, Station, item_to_plain
from mediaday.protocol import EventFrame
from tests.support.streams import StreamShard, image_of, stream_record

START = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
SLOT = Slot(
    media_day="md-1",
    id="sl-1",
    station_id="st-a",
    talent_id="t-1",
    starts_at=START,
    ends_at=START + timedelta(minutes=10),
    version=3,
    rev=41,
)
MOVED = SLOT.model_copy(update={"station_id": "st-b", "version": 4, "rev": 42})


@pytest.fixture
def shard() -> StreamShard:
    return StreamShard()


def test_an_insert_is_created_and_reaches_the_items_topics(shard):
    shot = Shot(media_day="md-1", id="h-1", station_id="st-a", talent_id="t-1", description="Wide")
    change = change_of(shard.insert(shot))
    assert change is not None
    assert change.kind == "created"
    assert change.item == shot
    assert change.topics == {"shots:st-a"}


def test_a_moved_slot_reaches_the_old_and_the_new_station(shard):
    record = shard.modify(SLOT, MOVED)
    change = change_of(record)
    assert change is not None
    assert change.kind == "updated"
    assert change.item == MOVED
    assert change.topics == {"schedule", "station:st-a", "station:st-b"}
    assert change.sequence_number == record["dynamodb"]["SequenceNumber"]


def test_a_tombstone_write_is_a_delete_carrying_the_tombstone(shard):
    change = change_of(shard.tombstone(SLOT))
    assert change is not None
    assert change.kind == "deleted"
    assert change.item.deleted is True
    assert (change.item.version, change.item.rev) == (4, 42)
    assert change.topics == {"schedule", "station:st-a"}


def test_bringing_back_a_deleted_item_is_a_create_for_its_new_topics_only(shard):
    dead = SLOT.model_copy(update={"deleted": True})
    back = MOVED.model_copy(update={"version": 5})
    change = change_of(shard.modify(dead, back))
    assert change is not None
    assert change.kind == "created"
    assert change.topics == {"schedule", "station:st-b"}


@pytest.mark.parametrize("by_ttl", [True, False])
def test_a_removed_tombstone_is_invisible(shard, by_ttl):
    dead = SLOT.model_copy(update={"deleted": True})
    assert change_of(shard.remove(dead, by_ttl=by_ttl)) is None


def test_a_ttl_removal_is_skipped_whatever_it_removes(shard):
    assert change_of(shard.remove(SLOT, by_ttl=True)) is None


def test_a_live_item_removed_by_hand_is_announced_deleted_one_version_later(shard):
    change = change_of(shard.remove(SLOT))
    assert change is not None
    assert change.kind == "deleted"
    assert change.item.deleted is True
    assert change.item.version == SLOT.version + 1


def test_the_rev_counter_is_not_an_item(shard):
    assert change_of(shard.counter("md-1", 1)) is None
    assert change_of(shard.counter("md-1", 7)) is None


def test_a_row_of_unknown_type_is_skipped(shard):
    image = image_of(SLOT)
    image["type"] = {"S": "gadget"}
    record = stream_record("INSERT", sequence_number="1", new_image=image)
    assert change_of(record) is None


def test_a_tombstone_over_a_tombstone_and_a_write_that_changed_nothing_are_skipped(shard):
    dead = SLOT.model_copy(update={"deleted": True})
    assert change_of(shard.modify(dead, dead.model_copy(update={"version": 9}))) is None
    assert change_of(shard.modify(SLOT, SLOT)) is None


def test_a_corrupt_image_is_undeliverable(shard):
    image = image_of(SLOT)
    image["ends_at"] = {"S": "not a time"}
    record = stream_record("INSERT", sequence_number="77", new_image=image)
    with pytest.raises(UndeliverableRecord, match="77"):
        change_of(record)


def test_the_event_frame_carries_item_kind_version_rev_and_server_time(shard):
    call = Call(media_day="md-1", id="c-1", station_id="st-a", talent_id="t-1", version=2, rev=9)
    change = change_of(shard.insert(call))
    assert change is not None
    frame = change.frame("calls", 1_795_615_200_123)
    assert frame == EventFrame(
        topic="calls",
        change="created",
        item_type="call",
        item_id="c-1",
        item=item_to_plain(call),
        version=2,
        rev=9,
        server_time=1_795_615_200_123,
    )


def test_roster_items_reach_the_roster_topic(shard):
    station = Station(media_day="md-1", id="st-a", name="Room A")
    change = change_of(shard.insert(station))
    assert change is not None
    assert change.topics == {"roster"}
