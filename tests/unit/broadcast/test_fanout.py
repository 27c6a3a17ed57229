"""Fan-out of one change: the right subscribers, concurrently, with retries and Gone cleanup."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from broadcast.fanout import Fanout, RetryPolicy
from broadcast.records import change_of
from mediaday.errors import DeliveryRefused, DeliveryThrottled, RecordNotDelivered
from mediaday.models import Call, Shot, Slot
from tests.support.delivery import MemoryDirectory, RecordingPoster
from tests.support.streams import StreamShard

DAY = "md-1"
START = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
SLOT = Slot(
    media_day=DAY,
    id="sl-1",
    station_id="st-a",
    talent_id="t-1",
    starts_at=START,
    ends_at=START + timedelta(minutes=10),
    version=1,
    rev=1,
)
NOW = 1_795_615_200.0


class Sleeps(list[float]):
    """Records the backoff delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=8) as executor:
        yield executor


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def shard() -> StreamShard:
    return StreamShard()


def make_fanout(directory, poster, pool, sleeps, *, attempts: int = 5) -> Fanout:
    return Fanout(
        directory=directory,
        poster=poster,
        executor=pool,
        retry=RetryPolicy(max_attempts=attempts),
        sleep=sleeps,
        clock=lambda: NOW,
        uniform=lambda low, high: high,  # the largest jittered delay: shows the cap
    )


def test_one_gone_subscriber_among_500_is_removed_and_the_others_receive(pool, sleeps, shard):
    # Given 500 subscribers of the schedule, one of which has gone away
    ids = [f"c-{n:03d}" for n in range(500)]
    directory = MemoryDirectory({(DAY, "schedule"): ids})
    poster = RecordingPoster(gone={"c-250"})
    fanout = make_fanout(directory, poster, pool, sleeps)
    # When a slot is created
    delivery = fanout.broadcast_record(shard.insert(SLOT.model_copy(update={"station_id": "x"})))
    # Then only the gone one is removed, the other 499 receive it, and the record succeeds
    assert delivery is not None
    assert directory.removed == ["c-250"]
    assert poster.receivers(topic="schedule") == set(ids) - {"c-250"}
    assert (delivery.delivered, delivery.gone) == (499, 1)
    assert fanout.stats.gone_removed == 1


def test_throttled_twice_then_accepted_is_delivered_once_without_failure(pool, sleeps, shard):
    directory = MemoryDirectory({(DAY, "calls"): ["c-1"]})
    poster = RecordingPoster(
        script=lambda cid, frame, attempt: DeliveryThrottled("429") if attempt <= 2 else None
    )
    fanout = make_fanout(directory, poster, pool, sleeps)
    call = Call(media_day=DAY, id="k-1", station_id="st-9", talent_id="t-1")
    delivery = fanout.broadcast_record(shard.insert(call))
    assert delivery is not None
    assert len(poster.frames_to("c-1")) == 1
    assert (delivery.delivered, delivery.retries) == (1, 2)
    assert sleeps == [0.05, 0.1]


def test_throttled_forever_fails_the_record_after_the_last_attempt(pool, sleeps, shard):
    directory = MemoryDirectory({(DAY, "calls"): ["c-1", "c-2"]})
    poster = RecordingPoster(
        script=lambda cid, frame, attempt: DeliveryThrottled("429") if cid == "c-1" else None
    )
    fanout = make_fanout(directory, poster, pool, sleeps, attempts=4)
    call = Call(media_day=DAY, id="k-1", station_id="st-9", talent_id="t-1")
    with pytest.raises(RecordNotDelivered, match="1 of 2 posts still throttled"):
        fanout.broadcast_record(shard.insert(call))
    assert poster.attempts == 4 + 1
    assert poster.receivers() == {"c-2"}
    assert sleeps == [0.05, 0.1, 0.2]
    assert fanout.stats.retries == 3


def test_posts_back_off_from_50_ms_doubling_to_a_1_s_cap_fully_jittered():
    policy = RetryPolicy(max_attempts=10)
    largest = [policy.delay(n, lambda low, high: high) for n in range(1, 9)]
    assert largest == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
    assert policy.delay(3, lambda low, high: low) == 0.0


def test_a_refused_post_fails_the_record_at_once_saying_why(pool, sleeps, shard):
    directory = MemoryDirectory({(DAY, "schedule"): ["c-1"]})
    poster = RecordingPoster(
        script=lambda cid, frame, attempt: DeliveryRefused("Management API refused (403)")
    )
    fanout = make_fanout(directory, poster, pool, sleeps)
    with pytest.raises(RecordNotDelivered, match=r"refused 1 of 1 posts: .*403"):
        fanout.broadcast_record(shard.insert(SLOT))
    assert poster.attempts == 1
    assert sleeps == []


def test_a_change_reaches_exactly_the_subscribers_of_its_topics(pool, sleeps, shard):
    directory = MemoryDirectory(
        {
            (DAY, "schedule"): ["sched"],
            (DAY, "station:st-a"): ["crew-a"],
            (DAY, "station:st-b"): ["crew-b"],
            (DAY, "station:st-c"): ["crew-c"],
            (DAY, "shots:st-a"): ["shots-a"],
            (DAY, "calls"): ["calls"],
            (DAY, "roster"): ["roster"],
            ("md-2", "schedule"): ["other-day"],
        }
    )
    poster = RecordingPoster()
    fanout = make_fanout(directory, poster, pool, sleeps)
    moved = SLOT.model_copy(update={"station_id": "st-b", "version": 2, "rev": 2})
    fanout.broadcast_record(shard.modify(SLOT, moved))
    assert poster.receivers() == {"sched", "crew-a", "crew-b"}
    assert poster.receivers(topic="station:st-a", item_id="sl-1", version=2) == {"crew-a"}
    assert {frame["topic"] for _, frame in poster.delivered} == {
        "schedule",
        "station:st-a",
        "station:st-b",
    }


def test_a_connection_in_two_topics_of_a_change_gets_one_frame_per_topic(pool, sleeps, shard):
    directory = MemoryDirectory({(DAY, "schedule"): ["both"], (DAY, "station:st-a"): ["both"]})
    poster = RecordingPoster()
    make_fanout(directory, poster, pool, sleeps).broadcast_record(shard.insert(SLOT))
    frames = poster.frames_to("both")
    assert sorted(frame["topic"] for frame in frames) == ["schedule", "station:st-a"]
    assert {frame["version"] for frame in frames} == {1}


def test_subscribers_are_looked_up_once_per_topic_per_batch(pool, sleeps, shard):
    directory = MemoryDirectory({(DAY, "shots:st-a"): ["c-1", "c-2"]})
    poster = RecordingPoster()
    fanout = make_fanout(directory, poster, pool, sleeps)
    for n in range(5):
        shot = Shot(
            media_day=DAY, id=f"h-{n}", station_id="st-a", talent_id="t-1", description="Wide"
        )
        fanout.broadcast_record(shard.insert(shot))
    assert directory.lookups == [(DAY, "shots:st-a")]
    assert len(poster.delivered) == 10


def test_a_gone_connection_is_removed_once_and_skipped_for_the_rest_of_the_batch(
    pool, sleeps, shard
):
    directory = MemoryDirectory(
        {(DAY, "schedule"): ["gone", "ok"], (DAY, "station:st-a"): ["gone"]}
    )
    poster = RecordingPoster(gone={"gone"})
    fanout = make_fanout(directory, poster, pool, sleeps)
    fanout.broadcast_record(shard.insert(SLOT))
    later = SLOT.model_copy(update={"title": "Updated", "version": 2, "rev": 2})
    fanout.broadcast_record(shard.modify(SLOT, later))
    assert directory.removed == ["gone"]
    assert fanout.stats.gone_removed == 1
    assert poster.attempts_to("gone") == 1  # its first post answered 410: nothing more
    assert len(poster.frames_to("ok")) == 2


def test_a_failing_removal_does_not_fail_the_record(pool, sleeps, shard):
    class BrokenRemoval(MemoryDirectory):
        def remove(self, connection_id: str) -> int:
            raise RuntimeError("DynamoDB is down")

    directory = BrokenRemoval({(DAY, "calls"): ["gone", "ok"]})
    poster = RecordingPoster(gone={"gone"})
    call = Call(media_day=DAY, id="k-1", station_id="st-9", talent_id="t-1")
    delivery = make_fanout(directory, poster, pool, sleeps).broadcast_record(shard.insert(call))
    assert delivery is not None
    assert (delivery.delivered, delivery.gone) == (1, 0)


def test_posts_run_concurrently_within_the_pool_bound(sleeps, shard):
    directory = MemoryDirectory({(DAY, "schedule"): [f"c-{n}" for n in range(64)]})
    poster = RecordingPoster(delay=0.005)
    with ThreadPoolExecutor(max_workers=8) as pool:
        make_fanout(directory, poster, pool, sleeps).broadcast_record(
            shard.insert(SLOT.model_copy(update={"station_id": "x"}))
        )
    assert len(poster.delivered) == 64
    assert 2 <= poster.max_in_flight <= 8


def test_records_nobody_can_see_are_skipped_without_posting(pool, sleeps, shard):
    directory = MemoryDirectory({(DAY, "schedule"): ["c-1"]})
    poster = RecordingPoster()
    fanout = make_fanout(directory, poster, pool, sleeps)
    assert fanout.broadcast_record(shard.counter(DAY, 5)) is None
    assert fanout.broadcast_record(shard.remove(SLOT, by_ttl=True)) is None
    assert poster.delivered == []
    assert directory.lookups == []
    assert fanout.stats.skipped == 2


def test_a_corrupt_image_is_logged_and_skipped_never_posted(pool, sleeps, shard):
    directory = MemoryDirectory({(DAY, "schedule"): ["c-1"]})
    poster = RecordingPoster()
    fanout = make_fanout(directory, poster, pool, sleeps)
    record = shard.insert(SLOT)
    record["dynamodb"]["NewImage"]["title"] = {"S": "x" * 1000}  # over the 200-char bound
    assert fanout.broadcast_record(record) is None
    assert poster.attempts == 0
    assert fanout.stats.undeliverable == 1


def test_an_event_over_api_gateways_limit_is_logged_and_skipped(pool, sleeps, shard, monkeypatch):
    # Item fields are bounded, so no valid item reaches 128 KB: lower the limit to see it.
    monkeypatch.setattr("broadcast.fanout.API_GATEWAY_MAX_MESSAGE_BYTES", 200)
    directory = MemoryDirectory({(DAY, "schedule"): ["c-1"]})
    poster = RecordingPoster()
    fanout = make_fanout(directory, poster, pool, sleeps)
    assert fanout.broadcast_record(shard.insert(SLOT)) is None
    assert poster.attempts == 0
    assert fanout.stats.undeliverable == 1


def test_every_subscriber_gets_the_same_server_time(pool, sleeps, shard):
    directory = MemoryDirectory({(DAY, "schedule"): ["a", "b"], (DAY, "station:st-a"): ["c"]})
    poster = RecordingPoster()
    change = change_of(shard.insert(SLOT))
    assert change is not None
    make_fanout(directory, poster, pool, sleeps).deliver(change)
    assert {frame["server_time"] for _, frame in poster.delivered} == {int(NOW * 1000)}
