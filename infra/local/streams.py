"""The local event source mapping: DynamoDB stream → the broadcaster, as Lambda does it.

A thread reads the coordination table's stream from DynamoDB Local and calls the target
(`broadcast.handler.on_stream`) with Lambda-shaped batches, one shard at a time and in
order, parents before children (DynamoDB Local closes shards and opens new ones as AWS
does). It honours `batchItemFailures`: the records before the first failure are done, the
rest are retried with backoff; a record that keeps failing is dead-lettered (a JSON line
in `dead-letters.jsonl`) after a bounded number of attempts so the shard moves on.

The checkpoint (last fully processed sequence number per shard) lives in the data
directory and is written after every delivered batch, so a restart, even after `kill -9`,
resumes where the broadcaster last succeeded; at worst the last batch is delivered again,
which clients ignore (they apply only newer versions). With no checkpoint, a shard is read
from TRIM_HORIZON: nothing written before the poller started is skipped.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from infra.local.events import LambdaContext
from mediaday.backoff import Backoff

StreamTarget = Callable[[dict[str, Any], Any], Any]

logger = Logger(service="local-stack")


# Between retries of a failed batch: 100 ms doubling up to 2 s, fully jittered.
BATCH_BACKOFF = Backoff(base=0.1, cap=2.0)


@dataclass(frozen=True)
class PollerOptions:
    batch_size: int = 100  # Lambda's default for DynamoDB streams
    poll_interval: float = 0.05
    max_attempts: int = 5
    backoff: Backoff = BATCH_BACKOFF
    describe_interval: float = 1.0
    error_pause: float = 1.0  # after a failed round (DynamoDB Local unreachable, …)


# -- checkpoint ---------------------------------------------------------------------------
class Checkpoint:
    """Per shard: the last sequence number the target fully processed, and whether the
    shard is finished (closed and read to its end). Saved atomically as JSON."""

    def __init__(self, path: Path, stream_arn: str) -> None:
        self.path = path
        self.stream_arn = stream_arn
        self._shards: dict[str, dict[str, Any]] = {}
        if path.exists():
            try:
                saved = json.loads(path.read_text())
            except ValueError:
                logger.warning("unreadable checkpoint set aside", path=str(path))
                path.replace(path.with_suffix(".unreadable"))
                saved = {}
            if saved.get("stream_arn") == stream_arn:
                self._shards = dict(saved.get("shards", {}))
            elif saved:
                logger.warning(
                    "stream changed: starting from the beginning",
                    saved=saved.get("stream_arn"),
                    current=stream_arn,
                )

    def sequence(self, shard_id: str) -> str | None:
        return self._shards.get(shard_id, {}).get("sequence")

    def finished(self, shard_id: str) -> bool:
        return bool(self._shards.get(shard_id, {}).get("finished"))

    def advance(self, shard_id: str, sequence: str) -> None:
        self._shards.setdefault(shard_id, {})["sequence"] = sequence
        self._save()

    def finish(self, shard_id: str) -> None:
        self._shards.setdefault(shard_id, {})["finished"] = True
        self._save()

    def _save(self) -> None:
        temporary = self.path.with_suffix(".tmp")
        with temporary.open("w") as handle:
            json.dump({"stream_arn": self.stream_arn, "shards": self._shards}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)


# -- records ------------------------------------------------------------------------------
def lambda_record(record: dict[str, Any], *, stream_arn: str, region: str) -> dict[str, Any]:
    """A GetRecords record as Lambda hands it to a function (JSON-ready)."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = created.timestamp()
    for image in ("Keys", "NewImage", "OldImage"):
        if image in change:
            change[image] = {name: _json_value(v) for name, v in change[image].items()}
    shaped = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:
        shaped["userIdentity"] = record["userIdentity"]
    return shaped


def _json_value(value: Any) -> Any:
    """Attribute values as Lambda's JSON has them: binary as base64 text."""
    if isinstance(value, dict):
        return {key: _json_value(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_json_value(inner) for inner in value]
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    return value


def first_failure(response: Any, batch: list[dict[str, Any]]) -> int | None:
    """Index of the first record the target reported as failed (None: all succeeded).

    As Lambda does, an identifier that is not in the batch fails the whole batch.
    """
    if not isinstance(response, dict):
        return None
    failures = response.get("batchItemFailures") or []
    if not failures:
        return None
    positions = {r["dynamodb"]["SequenceNumber"]: i for i, r in enumerate(batch)}
    indexes = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if identifier not in positions:
            return 0
        indexes.append(positions[identifier])
    return min(indexes)


# -- the poller ---------------------------------------------------------------------------
class StreamPoller:
    def __init__(
        self,
        streams: Any,
        stream_arn: str,
        target: StreamTarget,
        *,
        data_dir: Path,
        region: str,
        options: PollerOptions | None = None,
    ) -> None:
        self._streams = streams
        self.stream_arn = stream_arn
        self._target = target
        self._region = region
        self.options = options or PollerOptions()
        self.checkpoint = Checkpoint(data_dir / "stream-checkpoint.json", stream_arn)
        self.dead_letter_path = data_dir / "dead-letters.jsonl"
        self._shards: dict[str, str | None] = {}  # shard id → parent shard id
        self._order: list[str] = []
        self._iterators: dict[str, str] = {}
        self._described_at = float("-inf")
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="stream-poller", daemon=True)
        self._thread.start()

    def nudge(self) -> None:
        """Poll now rather than at the next interval: a write was just acknowledged, so
        its record is on the stream (thread-safe; a local shortcut Lambda does not have)."""
        self._wake.set()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                delivered = self.poll_once()
            except (BotoCoreError, ClientError) as error:
                logger.warning("stream read failed; retrying", error=str(error))
                self._recover()
                continue
            except Exception as error:  # the thread must outlive any one bad round
                logger.exception("stream poller round failed; retrying", error=str(error))
                self._recover()
                continue
            if not delivered:
                self._wake.wait(self.options.poll_interval)
                self._wake.clear()

    def _recover(self) -> None:
        """Start over from the checkpoint after a pause."""
        self._iterators.clear()
        self._described_at = float("-inf")
        self._stop.wait(self.options.error_pause)

    # -- one round -----------------------------------------------------------------------
    def poll_once(self) -> int:
        """Read every readable shard once; returns the number of records read."""
        if time.monotonic() - self._described_at >= self.options.describe_interval:
            self._describe()
        read = 0
        for shard_id in list(self._order):
            if self._stop.is_set():
                break
            if self.checkpoint.finished(shard_id) or not self._parent_done(shard_id):
                continue
            read += self._read_shard(shard_id)
        return read

    def _describe(self) -> None:
        shards: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"StreamArn": self.stream_arn}
        while True:
            description = self._streams.describe_stream(**kwargs)["StreamDescription"]
            shards.extend(description.get("Shards", []))
            last = description.get("LastEvaluatedShardId")
            if not last:
                break
            kwargs["ExclusiveStartShardId"] = last
        for shard in shards:
            self._shards[shard["ShardId"]] = shard.get("ParentShardId")
        self._order = [
            shard["ShardId"]
            for shard in sorted(
                shards, key=lambda s: int(s["SequenceNumberRange"]["StartingSequenceNumber"])
            )
        ]
        self._described_at = time.monotonic()

    def _parent_done(self, shard_id: str) -> bool:
        parent = self._shards.get(shard_id)
        return parent is None or parent not in self._shards or self.checkpoint.finished(parent)

    def _read_shard(self, shard_id: str) -> int:
        iterator = self._iterators.get(shard_id) or self._iterator_for(shard_id)
        try:
            page = self._streams.get_records(ShardIterator=iterator, Limit=self.options.batch_size)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            self._iterators.pop(shard_id, None)
            if code == "TrimmedDataAccessException":
                logger.warning("checkpoint trimmed from the stream", shard_id=shard_id)
                self._iterators[shard_id] = self._shard_iterator(shard_id, "TRIM_HORIZON")
                return 0
            if code == "ExpiredIteratorException":
                return 0
            raise
        records = page.get("Records", [])
        next_iterator = page.get("NextShardIterator")
        if records and not self._deliver(shard_id, records):
            self._iterators.pop(shard_id, None)  # stopped mid-batch: re-read next time
            return len(records)
        if next_iterator:
            self._iterators[shard_id] = next_iterator
        else:
            self._iterators.pop(shard_id, None)
            self.checkpoint.finish(shard_id)
            logger.info("shard finished", shard_id=shard_id)
        return len(records)

    def _iterator_for(self, shard_id: str) -> str:
        sequence = self.checkpoint.sequence(shard_id)
        if sequence is None:
            return self._shard_iterator(shard_id, "TRIM_HORIZON")
        return self._shard_iterator(shard_id, "AFTER_SEQUENCE_NUMBER", sequence)

    def _shard_iterator(self, shard_id: str, kind: str, sequence: str | None = None) -> str:
        kwargs: dict[str, Any] = {
            "StreamArn": self.stream_arn,
            "ShardId": shard_id,
            "ShardIteratorType": kind,
        }
        if sequence is not None:
            kwargs["SequenceNumber"] = sequence
        return str(self._streams.get_shard_iterator(**kwargs)["ShardIterator"])

    # -- delivery ------------------------------------------------------------------------
    def _deliver(self, shard_id: str, records: list[dict[str, Any]]) -> bool:
        """Hand the records to the target until each is done or dead-lettered; False when
        stopped before that (the checkpoint then still points before the undone ones)."""
        pending = [
            lambda_record(r, stream_arn=self.stream_arn, region=self._region) for r in records
        ]
        attempts = 0
        while pending:
            failed, reason = self._invoke(pending)
            if failed is None:
                self.checkpoint.advance(shard_id, _sequence(pending[-1]))
                return True
            if failed > 0:
                self.checkpoint.advance(shard_id, _sequence(pending[failed - 1]))
                pending = pending[failed:]
                attempts = 0
            attempts += 1
            if attempts >= self.options.max_attempts:
                self._dead_letter(shard_id, pending[0], attempts, reason)
                self.checkpoint.advance(shard_id, _sequence(pending[0]))
                pending = pending[1:]
                attempts = 0
                continue
            delay = self.options.backoff.delay(attempts)
            logger.warning(
                "stream batch failed; retrying",
                shard_id=shard_id,
                sequence=_sequence(pending[0]),
                attempt=attempts,
                reason=reason,
            )
            if self._stop.wait(delay):
                return False
        return True

    def _invoke(self, batch: list[dict[str, Any]]) -> tuple[int | None, str]:
        try:
            response = self._target({"Records": batch}, LambdaContext("local-broadcast"))
        except Exception as error:
            logger.exception("stream target failed", error=str(error))
            return 0, f"{type(error).__name__}: {error}"
        return first_failure(response, batch), "reported in batchItemFailures"

    def _dead_letter(
        self, shard_id: str, record: dict[str, Any], attempts: int, reason: str
    ) -> None:
        entry = {
            "dead_lettered_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "shard_id": shard_id,
            "sequence_number": _sequence(record),
            "attempts": attempts,
            "reason": reason,
            "record": record,
        }
        with self.dead_letter_path.open("a") as handle:
            handle.write(json.dumps(entry, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        logger.error(
            "stream record dead-lettered",
            shard_id=shard_id,
            sequence=_sequence(record),
            attempts=attempts,
            file=str(self.dead_letter_path),
        )


def _sequence(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])
