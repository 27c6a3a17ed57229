"""The stream poller against an in-memory stream: batches, batchItemFailures, dead
letters, checkpoints, shard rollover. (tests/integration/emulator/test_stream_poller.py runs
it against DynamoDB Local.)"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamModel

from infra.local.streams import PollerOptions, StreamPoller, first_failure, lambda_record
from mediaday.backoff import Backoff

ARN = "arn:aws:dynamodb:ddblocal:000000000000:table/coord/stream/2026-11-25T00:00:00.000"
FAST = PollerOptions(batch_size=3, max_attempts=3, backoff=Backoff(base=0.0, cap=0.0))


def record(sequence: int, key: str | None = None) -> dict[str, Any]:
    key = key or f"k{sequence}"
    return {
        "eventID": f"e{sequence}",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "ddblocal",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 11, 25, tzinfo=UTC),
            "Keys": {"pk": {"S": "md#x"}, "sk": {"S": key}},
            "NewImage": {"pk": {"S": "md#x"}, "sk": {"S": key}, "blob": {"B": b"\x00\x01"}},
            "SequenceNumber": f"{sequence:021d}",
            "SizeBytes": 20,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


class FakeStreams:
    """Shards as lists of records; a shard with closed=True ends when read to its end."""

    def __init__(self) -> None:
        self.shards: dict[str, dict[str, Any]] = {}

    def add_shard(self, shard_id, records, *, parent=None, closed=False, start=1) -> None:
        self.shards[shard_id] = {
            "records": records,
            "parent": parent,
            "closed": closed,
            "start": start,
        }

    def describe_stream(self, StreamArn, **_):
        shards = []
        for shard_id, shard in self.shards.items():
            entry = {
                "ShardId": shard_id,
                "SequenceNumberRange": {"StartingSequenceNumber": f"{shard['start']:021d}"},
            }
            if shard["parent"]:
                entry["ParentShardId"] = shard["parent"]
            shards.append(entry)
        return {"StreamDescription": {"Shards": shards}}

    def get_shard_iterator(self, StreamArn, ShardId, ShardIteratorType, SequenceNumber=None):
        records = self.shards[ShardId]["records"]
        position = 0
        if ShardIteratorType == "AFTER_SEQUENCE_NUMBER":
            position = next(
                i + 1
                for i, r in enumerate(records)
                if r["dynamodb"]["SequenceNumber"] == SequenceNumber
            )
        return {"ShardIterator": f"{ShardId}|{position}"}

    def get_records(self, ShardIterator, Limit):
        shard_id, position = ShardIterator.split("|")
        shard = self.shards[shard_id]
        start = int(position)
        page = shard["records"][start : start + Limit]
        end = start + len(page)
        if shard["closed"] and end >= len(shard["records"]):
            return {"Records": page}
        return {"Records": page, "NextShardIterator": f"{shard_id}|{end}"}


class Target:
    """Records every batch; fails the records named in `failing` (by key) `times` times."""

    def __init__(self, failing: dict[str, int] | None = None, crash: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.failing = dict(failing or {})
        self.crash = crash

    def __call__(self, event, context):
        keys = [r["dynamodb"]["Keys"]["sk"]["S"] for r in event["Records"]]
        self.batches.append(keys)
        for r in event["Records"]:
            key = r["dynamodb"]["Keys"]["sk"]["S"]
            if self.failing.get(key, 0) > 0:
                self.failing[key] -= 1
                if self.crash:
                    raise RuntimeError("broadcaster crashed")
                return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]}]}
        return {"batchItemFailures": []}

    @property
    def delivered(self) -> list[str]:
        return [key for batch in self.batches for key in batch]


def poller(streams, target, tmp_path, options=FAST) -> StreamPoller:
    return StreamPoller(
        streams, ARN, target, data_dir=tmp_path, region="eu-west-1", options=options
    )


def drain(p: StreamPoller, rounds: int = 20) -> None:
    for _ in range(rounds):
        p._described_at = float("-inf")  # see new shards at once
        p.poll_once()


def test_records_reach_the_target_in_lambda_shape_and_batches(tmp_path):
    streams = FakeStreams()
    streams.add_shard("s1", [record(n) for n in range(1, 8)])
    target = Target()
    drain(poller(streams, target, tmp_path))
    assert target.batches == [["k1", "k2", "k3"], ["k4", "k5", "k6"], ["k7"]]


def test_lambda_record_is_what_powertools_parses():
    shaped = lambda_record(record(1), stream_arn=ARN, region="eu-west-1")
    model = DynamoDBStreamModel.model_validate({"Records": [shaped]})
    assert model.Records[0].eventSourceARN == ARN
    assert shaped["dynamodb"]["ApproximateCreationDateTime"] == pytest.approx(1795564800.0)
    assert shaped["dynamodb"]["NewImage"]["blob"] == {"B": "AAE="}
    json.dumps(shaped)  # JSON-ready, as Lambda hands it over


def test_a_failed_record_is_retried_from_where_it_failed(tmp_path):
    streams = FakeStreams()
    streams.add_shard("s1", [record(n) for n in range(1, 4)])
    target = Target(failing={"k2": 1})
    p = poller(streams, target, tmp_path)
    drain(p)
    assert target.batches == [["k1", "k2", "k3"], ["k2", "k3"]]
    assert p.checkpoint.sequence("s1") == f"{3:021d}"


def test_a_crashing_target_retries_the_whole_batch(tmp_path):
    streams = FakeStreams()
    streams.add_shard("s1", [record(n) for n in range(1, 3)])
    target = Target(failing={"k1": 2}, crash=True)
    drain(poller(streams, target, tmp_path))
    assert target.batches == [["k1", "k2"]] * 3


def test_a_record_that_keeps_failing_is_dead_lettered_and_the_shard_moves_on(tmp_path):
    streams = FakeStreams()
    streams.add_shard("s1", [record(n) for n in range(1, 4)])
    target = Target(failing={"k2": 99})
    p = poller(streams, target, tmp_path)
    drain(p)
    assert target.batches == [["k1", "k2", "k3"], ["k2", "k3"], ["k2", "k3"], ["k3"]]
    letters = [json.loads(line) for line in p.dead_letter_path.read_text().splitlines()]
    assert [(e["sequence_number"], e["attempts"]) for e in letters] == [(f"{2:021d}", 3)]
    assert letters[0]["record"]["dynamodb"]["Keys"]["sk"] == {"S": "k2"}


def test_a_restart_resumes_after_the_last_delivered_record(tmp_path):
    streams = FakeStreams()
    streams.add_shard("s1", [record(n) for n in range(1, 4)])
    first = Target()
    drain(poller(streams, first, tmp_path))
    streams.shards["s1"]["records"] += [record(4), record(5)]
    second = Target()
    drain(poller(streams, second, tmp_path))
    assert first.delivered == ["k1", "k2", "k3"]
    assert second.delivered == ["k4", "k5"]


def test_an_undelivered_batch_is_delivered_again_after_a_restart(tmp_path):
    # Given a poller stopped while the target kept failing
    streams = FakeStreams()
    streams.add_shard("s1", [record(n) for n in range(1, 3)])
    failing = poller(streams, Target(failing={"k1": 99}), tmp_path, PollerOptions(max_attempts=9))
    failing._stop.set()
    failing.poll_once()
    # Then a new poller starts from the first record again
    target = Target()
    drain(poller(streams, target, tmp_path))
    assert target.delivered == ["k1", "k2"]


def test_a_child_shard_waits_for_its_parent_and_closed_shards_are_finished(tmp_path):
    streams = FakeStreams()
    streams.add_shard("child", [record(4), record(5)], parent="parent", start=4)
    streams.add_shard("parent", [record(1), record(2), record(3)], closed=True)
    target = Target()
    p = poller(streams, target, tmp_path)
    drain(p)
    assert target.delivered == ["k1", "k2", "k3", "k4", "k5"]
    assert p.checkpoint.finished("parent") and not p.checkpoint.finished("child")


def test_a_checkpoint_of_another_stream_is_ignored(tmp_path):
    (tmp_path / "stream-checkpoint.json").write_text(
        json.dumps({"stream_arn": "old", "shards": {"s1": {"sequence": f"{2:021d}"}}})
    )
    streams = FakeStreams()
    streams.add_shard("s1", [record(n) for n in range(1, 4)])
    target = Target()
    drain(poller(streams, target, tmp_path))
    assert target.delivered == ["k1", "k2", "k3"]


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (None, None),
        ({"batchItemFailures": []}, None),
        ({"batchItemFailures": [{"itemIdentifier": f"{3:021d}"}]}, 2),
        (
            {
                "batchItemFailures": [
                    {"itemIdentifier": f"{3:021d}"},
                    {"itemIdentifier": f"{2:021d}"},
                ]
            },
            1,
        ),
        ({"batchItemFailures": [{"itemIdentifier": "unknown"}]}, 0),
        ({"batchItemFailures": [{}]}, 0),
    ],
)
def test_first_failure_follows_lambdas_rules(response, expected):
    batch = [lambda_record(record(n), stream_arn=ARN, region="r") for n in (1, 2, 3)]
    assert first_failure(response, batch) == expected


def test_the_poller_thread_survives_a_failing_round(tmp_path):
    # Given a stream that fails the first read
    streams = FakeStreams()
    streams.add_shard("s1", [record(1)])
    real_get_records = streams.get_records
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("connection reset")
        return real_get_records(**kwargs)

    streams.get_records = flaky
    target = Target()
    p = poller(streams, target, tmp_path, PollerOptions(poll_interval=0.01, error_pause=0.01))
    # When the thread runs
    p.start()
    deadline = time.monotonic() + 5
    while not target.delivered and time.monotonic() < deadline:
        time.sleep(0.01)
    p.stop()
    # Then it recovered and delivered the record
    assert target.delivered == ["k1"]


def test_a_nudge_polls_at_once_instead_of_after_the_interval(tmp_path):
    streams = FakeStreams()
    streams.add_shard("s1", [])
    target = Target()
    p = poller(streams, target, tmp_path, PollerOptions(poll_interval=30))
    p.start()
    try:
        time.sleep(0.2)  # the thread is waiting out its interval
        streams.shards["s1"]["records"].append(record(1))
        started = time.monotonic()
        p.nudge()
        while not target.delivered and time.monotonic() - started < 5:
            time.sleep(0.01)
        assert target.delivered == ["k1"]
        assert time.monotonic() - started < 5
    finally:
        p.stop()


def test_an_unreadable_checkpoint_is_set_aside_and_reading_starts_over(tmp_path):
    (tmp_path / "stream-checkpoint.json").write_text("{not json")
    streams = FakeStreams()
    streams.add_shard("s1", [record(1)])
    target = Target()
    drain(poller(streams, target, tmp_path))
    assert target.delivered == ["k1"]
    assert (tmp_path / "stream-checkpoint.unreadable").read_text() == "{not json"
