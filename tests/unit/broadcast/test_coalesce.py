"""Coalesced delivery: one `events` frame per subscriber per stream batch, split only to fit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from broadcast.coalesce import change_fragment, pack, plan_batch
from broadcast.fanout import Fanout, RetryPolicy
from broadcast.handler import on_stream
from broadcast.records import Change, change_of
from infra.local.events import LambdaContext
from mediaday.errors import DeliveryRefused, DeliveryThrottled
from mediaday.models import Shot, Slot
from mediaday.protocol import EventChange, EventsFrame
from tests.support.delivery import MemoryDirectory, RecordingPoster
from tests.support.streams import StreamShard, stream_event

DAY = "md-1"
START = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
NOW = 1_795_615_200.0


def slot(n: int, *, station: str = "st-a", title: str = "") -> Slot:
    return Slot(
        media_day=DAY,
        id=f"sl-{n}",
        station_id=station,
        talent_id="t-1",
        starts_at=START + timedelta(minutes=10 * n),
        ends_at=START + timedelta(minutes=10 * n + 5),
        title=title,
        version=1,
        rev=n,
    )


@pytest.fixture
def shard() -> StreamShard:
    return StreamShard()


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=8) as executor:
        yield executor


def fanout(directory: MemoryDirectory, poster: RecordingPoster, pool) -> Fanout:
    return Fanout(
        directory=directory,
        poster=poster,
        executor=pool,
        retry=RetryPolicy(max_attempts=3),
        sleep=lambda _: None,
        clock=lambda: NOW,
    )


def changes(shard: StreamShard, items) -> list[Change]:
    found = [change_of(shard.insert(item)) for item in items]
    assert all(change is not None for change in found)
    return [change for change in found if change is not None]


def test_a_batched_subscriber_gets_one_frame_with_every_change_in_rev_order(shard, pool):
    # Given 50 screens of the schedule that asked for batched events
    screens = [f"s-{n}" for n in range(50)]
    directory = MemoryDirectory({(DAY, "schedule"): screens}, batched=screens)
    poster = RecordingPoster()
    # When a stream batch of 100 slot changes arrives (shuffled revs: rev order wins)
    records = [shard.insert(slot(n)) for n in range(1, 101)]
    records[3], records[4] = records[4], records[3]
    delivery = fanout(directory, poster, pool).broadcast_batch(records)
    # Then each screen got exactly one frame holding the 100 changes, by rev
    assert delivery.retry_from is None
    assert (delivery.posts, delivery.delivered, delivery.changes) == (50, 50, 100)
    for screen in screens:
        (frame,) = poster.frames_to(screen)
        assert frame["type"] == "events"
        assert [c["rev"] for c in frame["changes"]] == list(range(1, 101))
        assert {tuple(c["topics"]) for c in frame["changes"]} == {("schedule",)}
        assert frame["server_time"] == int(NOW * 1000)


def test_a_change_in_two_of_a_connections_topics_arrives_once_naming_both(shard, pool):
    directory = MemoryDirectory(
        {(DAY, "schedule"): ["both", "sched"], (DAY, "station:st-a"): ["both"]},
        batched=["both", "sched"],
    )
    poster = RecordingPoster()
    records = [shard.insert(slot(1)), shard.insert(slot(2, station="st-b"))]
    fanout(directory, poster, pool).broadcast_batch(records)
    (frame,) = poster.frames_to("both")
    assert [(c["item_id"], c["topics"]) for c in frame["changes"]] == [
        ("sl-1", ["schedule", "station:st-a"]),
        ("sl-2", ["schedule"]),
    ]
    (other,) = poster.frames_to("sched")
    assert [c["topics"] for c in other["changes"]] == [["schedule"], ["schedule"]]


def test_a_moved_slot_reaches_the_old_and_new_station_once_each(shard, pool):
    directory = MemoryDirectory(
        {(DAY, "station:st-a"): ["crew-a"], (DAY, "station:st-b"): ["crew-b"]},
        batched=["crew-a", "crew-b"],
    )
    poster = RecordingPoster()
    before = slot(1)
    moved = before.model_copy(update={"station_id": "st-b", "version": 2, "rev": 2})
    fanout(directory, poster, pool).broadcast_batch([shard.modify(before, moved)])
    assert [c["topics"] for c in poster.frames_to("crew-a")[0]["changes"]] == [["station:st-a"]]
    assert [c["topics"] for c in poster.frames_to("crew-b")[0]["changes"]] == [["station:st-b"]]


def test_v1_subscribers_still_get_one_event_per_change_and_topic(shard, pool):
    directory = MemoryDirectory(
        {(DAY, "schedule"): ["v1", "v2"], (DAY, "station:st-a"): ["v1"]}, batched=["v2"]
    )
    poster = RecordingPoster()
    records = [shard.insert(slot(n)) for n in (1, 2, 3)]
    fanout(directory, poster, pool).broadcast_batch(records)
    old = poster.frames_to("v1")
    assert {frame["type"] for frame in old} == {"event"}
    assert [(f["rev"], f["topic"]) for f in old] == [
        (1, "schedule"),
        (1, "station:st-a"),
        (2, "schedule"),
        (2, "station:st-a"),
        (3, "schedule"),
        (3, "station:st-a"),
    ]
    assert [frame["type"] for frame in poster.frames_to("v2")] == ["events"]


def test_frames_split_only_to_stay_within_the_budget(shard):
    # Given 60 changes of ~400 bytes each and a 4 KB budget
    batch = changes(shard, [slot(n, title="x" * 200) for n in range(1, 61)])
    fragments = [(i, change_fragment(c, ["schedule"])) for i, c in enumerate(batch)]
    frames = pack(fragments, 1, budget=4096)
    # Then every frame fits, they carry every change once in order, and none is
    # needlessly split: the next frame's first change would not have fitted
    assert all(len(f.data) <= 4096 for f in frames)
    carried = [c["rev"] for f in frames for c in json.loads(f.data)["changes"]]
    assert carried == list(range(1, 61))
    assert [f.first for f in frames] == [
        sum(f.changes for f in frames[:n]) for n in range(len(frames))
    ]
    for current, following in pairwise(frames):
        assert len(current.data) + 1 + len(fragments[following.first][1]) > 4096


def test_the_joined_frame_is_exactly_what_the_protocol_model_encodes(shard):
    batch = changes(shard, [slot(1), slot(2, station="st-b")])
    topics = [["schedule", "station:st-a"], ["schedule"]]
    (message,) = pack(
        [(i, change_fragment(c, t)) for i, (c, t) in enumerate(zip(batch, topics, strict=True))],
        1_795_615_200_000,
    )
    model = EventsFrame(
        changes=[
            EventChange(
                topics=t,
                change=c.kind,
                item_type=c.item.type,
                item_id=c.item.id,
                item=json.loads(c.frame("schedule", 0).encode())["item"],
                version=c.item.version,
                rev=c.item.rev,
            )
            for c, t in zip(batch, topics, strict=True)
        ],
        server_time=1_795_615_200_000,
    )
    assert message.data == model.encode()
    assert EventsFrame.model_validate_json(message.data) == model


def test_subscribers_with_the_same_topics_share_one_encoding(shard):
    batch = changes(shard, [slot(n) for n in range(1, 4)])
    subs = {(DAY, "schedule"): tuple((f"s-{n}", True) for n in range(100))}
    plans = plan_batch(batch, lambda day, topic: subs.get((day, topic), ()), 1)
    first = plans["s-0"][0].data
    assert all(plan[0].data is first for plan in plans.values())


def test_a_batched_subscriber_throttled_once_still_gets_its_one_frame(shard, pool):
    directory = MemoryDirectory({(DAY, "schedule"): ["s"]}, batched=["s"])
    poster = RecordingPoster(
        script=lambda cid, frame, attempt: DeliveryThrottled("429") if attempt == 1 else None
    )
    delivery = fanout(directory, poster, pool).broadcast_batch(
        [shard.insert(slot(n)) for n in (1, 2)]
    )
    assert (delivery.retry_from, delivery.delivered, delivery.retries) == (None, 1, 1)
    assert len(poster.frames_to("s")) == 1


def test_a_throttled_split_frame_retries_the_batch_from_its_first_change(shard, pool, monkeypatch):
    # Given frames split at 1 KB, and a screen whose second frame stays throttled
    directory = MemoryDirectory({(DAY, "schedule"): ["ok", "busy"]}, batched=["ok", "busy"])
    posted: list[bytes] = []

    def script(connection_id, frame, attempt):
        if connection_id == "busy":
            posted.append(json.dumps(frame).encode())
            if len(set(posted)) == 2:
                return DeliveryThrottled("429")
        return None

    poster = RecordingPoster(script=script)
    monkeypatch.setattr(
        "broadcast.fanout.plan_batch", lambda *a, **k: plan_batch(*a, **{**k, "budget": 1024})
    )
    records = [shard.insert(slot(n)) for n in range(1, 11)]
    delivery = fanout(directory, poster, pool).broadcast_batch(records)
    # Then the batch is retried from the first change of that second frame
    (first_frame,) = poster.frames_to("busy")
    assert delivery.retry_from == len(first_frame["changes"])
    assert 0 < delivery.retry_from < 10
    assert len(poster.frames_to("ok")) > 1


def test_a_refused_frame_is_resent_change_by_change_up_to_the_refused_change(shard, pool):
    # Given a screen that refuses anything carrying rev 7 (a change that can never go out)
    directory = MemoryDirectory({(DAY, "schedule"): ["s"]}, batched=["s"])

    def script(connection_id, frame, attempt):
        refused = any(c["rev"] == 7 for c in frame["changes"])
        return DeliveryRefused("403") if refused else None

    poster = RecordingPoster(script=script)
    records = [shard.insert(slot(n)) for n in range(1, 11)]
    delivery = fanout(directory, poster, pool).broadcast_batch(records)
    # Then revs 1-6 still arrive (one frame each) and the batch retries from rev 7's record
    assert delivery.retry_from == 6
    assert [c["rev"] for f in poster.frames_to("s") for c in f["changes"]] == [1, 2, 3, 4, 5, 6]


def test_the_handler_reports_the_batch_from_the_first_change_a_screen_missed(shard):
    directory = MemoryDirectory({(DAY, "shots:st-a"): ["ok", "refusing"]}, batched=["ok"])

    def script(connection_id, frame, attempt):
        if connection_id == "refusing" and frame["item_id"] == "h-3":
            return DeliveryRefused("403")
        return None

    poster = RecordingPoster(script=script)
    shots = [
        Shot(media_day=DAY, id=f"h-{n}", station_id="st-a", talent_id="t-1", description="W", rev=n)
        for n in range(1, 6)
    ]
    records = [shard.insert(item) for item in shots]
    response = on_stream(
        stream_event(*records), LambdaContext("test"), directory=directory, poster=poster
    )
    expected = [r["dynamodb"]["SequenceNumber"] for r in records[2:]]
    assert response == {"batchItemFailures": [{"itemIdentifier": s} for s in expected]}
    (frame,) = poster.frames_to("ok")
    assert [c["item_id"] for c in frame["changes"]] == [f"h-{n}" for n in range(1, 6)]
    assert [f["item_id"] for f in poster.frames_to("refusing")] == ["h-1", "h-2"]
