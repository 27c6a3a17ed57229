"""DynamoDB stream events of the coordination table, shaped exactly as Lambda delivers them.

Images come from the real `item_to_dynamo` mapping, so a test sees what the table streams.
A `StreamShard` hands out increasing sequence numbers, as one shard does:

    shard = StreamShard()
    event = stream_event(shard.insert(slot), shard.modify(slot, moved), shard.tombstone(moved))
"""

from __future__ import annotations

import itertools
import json
import uuid
from typing import Any

from mediaday.models import (
    PK,
    REV_COUNTER_SK,
    SK,
    ItemBase,
    item_to_dynamo,
    media_day_pk,
)
from tests.conftest import COORDINATION_TABLE

REGION = "eu-west-1"
ACCOUNT = "123456789012"
STREAM_LABEL = "2026-11-25T14:00:00.000"
TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
_FIRST_SEQUENCE = 100_000_000_000_000_000_000  # 21 digits, like DynamoDB's


def stream_arn(table: str = COORDINATION_TABLE) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}/stream/{STREAM_LABEL}"


def stream_event(*records: dict[str, Any]) -> dict[str, Any]:
    """The event Lambda passes to a DynamoDB stream function."""
    return {"Records": list(records)}


def stream_record(
    event_name: str,
    *,
    sequence_number: str,
    new_image: dict[str, Any] | None = None,
    old_image: dict[str, Any] | None = None,
    by_ttl: bool = False,
    created_at: int = 1_795_615_200,
    table: str = COORDINATION_TABLE,
) -> dict[str, Any]:
    """One record as Lambda delivers it (view type NEW_AND_OLD_IMAGES)."""
    image = new_image or old_image
    if image is None:
        raise ValueError("a stream record needs a new or an old image")
    stream: dict[str, Any] = {
        "ApproximateCreationDateTime": created_at,
        "Keys": {PK: image[PK], SK: image[SK]},
        "SequenceNumber": sequence_number,
        "SizeBytes": _size(new_image) + _size(old_image),
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new_image is not None:
        stream["NewImage"] = new_image
    if old_image is not None:
        stream["OldImage"] = old_image
    record: dict[str, Any] = {
        "eventID": uuid.uuid4().hex,
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": stream,
        "eventSourceARN": stream_arn(table),
    }
    if by_ttl:
        record["userIdentity"] = dict(TTL_IDENTITY)
    return record


class StreamShard:
    """Records of one shard: each gets the next sequence number."""

    def __init__(self, *, table: str = COORDINATION_TABLE, first: int = _FIRST_SEQUENCE) -> None:
        self.table = table
        self._numbers = itertools.count(first, 100)

    def next_sequence_number(self) -> str:
        return str(next(self._numbers))

    def insert(self, item: ItemBase) -> dict[str, Any]:
        return stream_record(
            "INSERT",
            sequence_number=self.next_sequence_number(),
            table=self.table,
            new_image=image_of(item),
        )

    def modify(self, old: ItemBase, new: ItemBase) -> dict[str, Any]:
        return stream_record(
            "MODIFY",
            sequence_number=self.next_sequence_number(),
            table=self.table,
            new_image=image_of(new),
            old_image=image_of(old),
        )

    def tombstone(self, item: ItemBase, *, expires_at: int = 1_796_220_000) -> dict[str, Any]:
        """The delete the service makes: the live item becomes a tombstone, one version on."""
        dead = item.model_copy(
            update={"deleted": True, "version": item.version + 1, "rev": item.rev + 1}
        )
        return stream_record(
            "MODIFY",
            sequence_number=self.next_sequence_number(),
            table=self.table,
            new_image=image_of(dead, expires_at=expires_at),
            old_image=image_of(item),
        )

    def remove(self, item: ItemBase, *, by_ttl: bool = False) -> dict[str, Any]:
        """The row disappears: by TTL (tombstones expiring) or by hand."""
        expires_at = 1_796_220_000 if item.deleted else None
        return stream_record(
            "REMOVE",
            sequence_number=self.next_sequence_number(),
            table=self.table,
            old_image=image_of(item, expires_at=expires_at),
            by_ttl=by_ttl,
        )

    def counter(self, media_day: str, rev: int) -> dict[str, Any]:
        """The media day's change counter moving to `rev` (part of every write)."""
        new = {PK: {"S": media_day_pk(media_day)}, SK: {"S": REV_COUNTER_SK}}
        new["counter"] = {"N": str(rev)}
        if rev <= 1:
            return stream_record(
                "INSERT",
                sequence_number=self.next_sequence_number(),
                table=self.table,
                new_image=new,
            )
        old = {**new, "counter": {"N": str(rev - 1)}}
        return stream_record(
            "MODIFY",
            sequence_number=self.next_sequence_number(),
            table=self.table,
            new_image=new,
            old_image=old,
        )


def image_of(item: ItemBase, *, expires_at: int | None = None) -> dict[str, Any]:
    return item_to_dynamo(item, expires_at=expires_at)


def _size(image: dict[str, Any] | None) -> int:
    return len(json.dumps(image, separators=(",", ":"))) if image else 0
