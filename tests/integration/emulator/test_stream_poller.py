"""The stream poller against DynamoDB Local's real stream, with a recording target."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamModel

from infra.local.streams import PollerOptions, StreamPoller
from mediaday.coordination import CoordinationStore
from mediaday.models import Slot, item_from_dynamo

START = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def slot(n: int) -> Slot:
    return Slot(
        media_day="md-1",
        id=f"sl-{n}",
        station_id="st-1",
        talent_id="t-1",
        starts_at=START,
        ends_at=START + timedelta(minutes=10),
    )


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict] = []

    def __call__(self, event, context):
        self.events.append(event)
        return {"batchItemFailures": []}

    def slot_revs(self) -> list[int]:
        revs = []
        for event in self.events:
            for record in event["Records"]:
                item = item_from_dynamo(record["dynamodb"]["NewImage"])
                if item is not None:
                    revs.append(item.rev)
        return revs


def drain(poller: StreamPoller, want: int, recorder: Recorder, rounds: int = 50) -> None:
    for _ in range(rounds):
        poller.poll_once()
        if len(recorder.slot_revs()) >= want:
            return


def test_writes_reach_the_target_as_lambda_batches_in_commit_order(local_tables, tmp_path):
    store = CoordinationStore(local_tables.coordination, local_tables.client)
    for n in range(5):
        store.create(slot(n), actor="p")
    recorder = Recorder()
    poller = StreamPoller(
        local_tables.streams,
        local_tables.stream_arn,
        recorder,
        data_dir=tmp_path,
        region="eu-west-1",
        options=PollerOptions(batch_size=4),
    )
    drain(poller, 5, recorder)
    assert recorder.slot_revs() == [1, 2, 3, 4, 5]
    # each batch is what Powertools (and so the broadcaster) parses, at most 4 records
    for event in recorder.events:
        model = DynamoDBStreamModel.model_validate(event)
        assert len(model.Records) <= 4
        assert all(r.eventSourceARN == local_tables.stream_arn for r in model.Records)
    # counter and item of each write: 10 records, ordered by sequence number
    sequences = [r["dynamodb"]["SequenceNumber"] for e in recorder.events for r in e["Records"]]
    assert len(sequences) == 10 and sequences == sorted(sequences)


def test_a_new_poller_resumes_after_the_checkpoint(local_tables, tmp_path):
    store = CoordinationStore(local_tables.coordination, local_tables.client)
    store.create(slot(1), actor="p")
    first = Recorder()
    drain(
        StreamPoller(
            local_tables.streams, local_tables.stream_arn, first, data_dir=tmp_path, region="r"
        ),
        1,
        first,
    )
    store.create(slot(2), actor="p")
    second = Recorder()
    drain(
        StreamPoller(
            local_tables.streams, local_tables.stream_arn, second, data_dir=tmp_path, region="r"
        ),
        1,
        second,
    )
    assert (first.slot_revs(), second.slot_revs()) == ([1], [2])


def test_the_poller_thread_starts_and_stops_promptly(local_tables, tmp_path):
    recorder = Recorder()
    poller = StreamPoller(
        local_tables.streams, local_tables.stream_arn, recorder, data_dir=tmp_path, region="r"
    )
    poller.start()
    CoordinationStore(local_tables.coordination, local_tables.client).create(slot(1), actor="p")
    for _ in range(100):
        if recorder.slot_revs():
            break
        time.sleep(0.05)
    poller.stop(timeout=5)
    assert recorder.slot_revs() == [1]
