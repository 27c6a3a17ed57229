"""The stream handler: in-order batches, partial failures reported from the first failure."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from broadcast.handler import on_stream
from broadcast.outcomes import BatchFailed
from infra.local.events import LambdaContext
from mediaday.errors import DeliveryRefused, DeliveryThrottled
from mediaday.models import Shot, Slot
from tests.support.delivery import MemoryDirectory, RecordingPoster
from tests.support.streams import StreamShard, stream_event

DAY = "md-1"
START = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def shot(n: int, *, station: str = "st-a") -> Shot:
    return Shot(
        media_day=DAY,
        id=f"h-{n}",
        station_id=station,
        talent_id="t-1",
        description=f"Shot {n}",
        version=1,
        rev=n,
    )


@pytest.fixture
def shard() -> StreamShard:
    return StreamShard()


@pytest.fixture
def directory() -> MemoryDirectory:
    return MemoryDirectory({(DAY, "shots:st-a"): ["c-1", "c-2"]})


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two attempts with the default 50 ms base delay: an exhausted retry costs ~50 ms.
    monkeypatch.setenv("MEDIADAY_BROADCAST_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("MEDIADAY_BROADCAST_MAX_WORKERS", "4")


def run(event, directory, poster):
    return on_stream(event, LambdaContext("test-function"), directory=directory, poster=poster)


def test_a_batch_that_is_delivered_reports_no_failures(shard, directory):
    poster = RecordingPoster()
    event = stream_event(*(shard.insert(shot(n)) for n in range(3)))
    assert run(event, directory, poster) == {"batchItemFailures": []}
    assert sorted(frame["item_id"] for _, frame in poster.delivered) == sorted(
        ["h-0", "h-1", "h-2"] * 2
    )


@pytest.mark.parametrize("k", [0, 2, 4])
def test_a_crash_at_record_k_reports_it_and_every_later_record(shard, directory, k):
    # Given a batch of 5 records whose k-th cannot be posted
    def script(connection_id, frame, attempt):
        return DeliveryRefused("refused (403)") if frame["item_id"] == f"h-{k}" else None

    poster = RecordingPoster(script=script)
    records = [shard.insert(shot(n)) for n in range(5)]
    # When the batch is processed
    response = run(stream_event(*records), directory, poster)
    # Then the failures start at record k, and nothing after it was delivered
    expected = [r["dynamodb"]["SequenceNumber"] for r in records[k:]]
    assert response == {"batchItemFailures": [{"itemIdentifier": s} for s in expected]}
    assert {frame["item_id"] for _, frame in poster.delivered} == {f"h-{n}" for n in range(k)}


def test_an_unexpected_error_fails_the_record_like_a_refusal(shard):
    class Broken(MemoryDirectory):
        def subscribers(self, media_day, topic, *, now=None):
            if topic == "shots:st-b":
                raise RuntimeError("DynamoDB is unreachable")
            return super().subscribers(media_day, topic, now=now)

    directory = Broken({(DAY, "shots:st-a"): ["c-1"]})
    poster = RecordingPoster()
    records = [
        shard.insert(shot(1)),
        shard.insert(shot(2, station="st-b")),
        shard.insert(shot(3)),
    ]
    response = run(stream_event(*records), directory, poster)
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == [
        records[1]["dynamodb"]["SequenceNumber"],
        records[2]["dynamodb"]["SequenceNumber"],
    ]
    assert [frame["item_id"] for _, frame in poster.delivered] == ["h-1"]


def test_throttled_forever_fails_the_record_and_throttled_briefly_does_not(shard, directory):
    def script(connection_id, frame, attempt):
        if frame["item_id"] == "h-1" and attempt == 1:
            return DeliveryThrottled("429")
        if frame["item_id"] == "h-2":
            return DeliveryThrottled("429")
        return None

    poster = RecordingPoster(script=script)
    records = [shard.insert(shot(n)) for n in (1, 2)]
    response = run(stream_event(*records), directory, poster)
    assert response == {
        "batchItemFailures": [{"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}]
    }
    assert poster.receivers(item_id="h-1") == {"c-1", "c-2"}
    assert poster.receivers(item_id="h-2") == set()


def test_when_every_record_fails_all_are_reported_rather_than_raised(shard, directory):
    poster = RecordingPoster(script=lambda cid, frame, attempt: DeliveryRefused("403"))
    records = [shard.insert(shot(n)) for n in range(3)]
    response = run(stream_event(*records), directory, poster)
    assert len(response["batchItemFailures"]) == 3
    assert all(f["itemIdentifier"] for f in response["batchItemFailures"])


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_a_failed_record_without_a_sequence_number_fails_the_whole_batch(shard, directory):
    poster = RecordingPoster(script=lambda cid, frame, attempt: DeliveryRefused("403"))
    record = shard.insert(shot(1))
    del record["dynamodb"]["SequenceNumber"]
    with pytest.raises(BatchFailed, match="no SequenceNumber"):
        run(stream_event(record), directory, poster)


def test_skipped_records_count_as_processed(shard, directory):
    poster = RecordingPoster()
    slot = Slot(
        media_day=DAY,
        id="sl-1",
        station_id="st-a",
        talent_id="t-1",
        starts_at=START,
        ends_at=START + timedelta(minutes=5),
        deleted=True,
    )
    event = stream_event(shard.counter(DAY, 3), shard.remove(slot, by_ttl=True))
    assert run(event, directory, poster) == {"batchItemFailures": []}
    assert poster.delivered == []


def test_an_empty_batch_is_a_success(directory):
    assert run(stream_event(), directory, RecordingPoster()) == {"batchItemFailures": []}


def test_metrics_count_deliveries_gone_retries_failures_and_duration(shard, capsys):
    directory = MemoryDirectory({(DAY, "shots:st-a"): ["ok", "gone", "slow"]})

    def script(connection_id, frame, attempt):
        if connection_id == "slow" and attempt == 1:
            return DeliveryThrottled("429")
        if frame["item_id"] == "h-2":
            return DeliveryRefused("403")
        return None

    poster = RecordingPoster(gone={"gone"}, script=script)
    records = [shard.insert(shot(n)) for n in (1, 2, 3)]
    run(stream_event(*records), directory, poster)

    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    values: dict[str, list[float]] = {}
    for blob in emitted:
        for definition in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            value = blob[definition["Name"]]
            values.setdefault(definition["Name"], []).extend(
                value if isinstance(value, list) else [value]
            )
    # record 1: ok + slow (after one retry) delivered, gone removed; record 2 refused for
    # ok and slow (slow's first try throttled); record 3 held back
    assert values["Deliveries"] == [2]
    assert values["GoneConnectionsRemoved"] == [1]
    assert values["DeliveryRetries"] == [2]
    assert values["FailedRecords"] == [1]
    assert values["HeldBackRecords"] == [1]
    assert len(values["FanoutDuration"]) == 1
