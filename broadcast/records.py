"""From a DynamoDB stream record of the coordination table to the change clients see.

The coordination table's stream carries NEW_AND_OLD_IMAGES. A record becomes a `Change`
(what happened to which item, and which topics must hear of it) or None when it changes
nothing a client can see:
- rows that are not items (the media day's ``~rev`` counter, unknown types);
- a tombstone being removed, by TTL (userIdentity Service / dynamodb.amazonaws.com) or by
  hand: clients dropped the item when it was deleted;
- a tombstone written over a tombstone, or a write that left the item as it was.

Kinds of change:
- ``created``  a new item, or a deleted one brought back;
- ``updated``  a live item changed (a moved slot reaches its old and new station topics);
- ``deleted``  a live item became a tombstone (the usual delete), or was removed outright
  behind the service's back. The latter has no tombstone version, so the event announces
  the last image, marked deleted, one version later: clients holding the item drop it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from mediaday.errors import UndeliverableRecord
from mediaday.models import Item, item_from_dynamo, item_to_plain
from mediaday.protocol import EventFrame
from mediaday.topics import topics_of

ChangeKind = Literal["created", "updated", "deleted"]

# How DynamoDB marks the deletes its TTL process makes (and nobody else can fake).
TTL_PRINCIPAL = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


@dataclass(frozen=True)
class Change:
    """One visible change of one item, and every topic that must hear of it."""

    kind: ChangeKind
    item: Item  # as clients must now hold it: a tombstone (deleted=True) for deletes
    topics: frozenset[str]
    sequence_number: str

    @property
    def media_day(self) -> str:
        return self.item.media_day

    def wire_fields(self) -> dict[str, Any]:
        """What every frame carrying this change says of it (`event`, and each element of
        an `events` frame's `changes`)."""
        return {
            "change": self.kind,
            "item_type": self.item.type,
            "item_id": self.item.id,
            "item": item_to_plain(self.item),
            "version": self.item.version,
            "rev": self.item.rev,
        }

    def frame(self, topic: str, server_time: int) -> EventFrame:
        return EventFrame(topic=topic, server_time=server_time, **self.wire_fields())


def change_of(record: Mapping[str, Any]) -> Change | None:
    """The change a Lambda-shaped DynamoDB stream record carries, or None if clients
    cannot see it. Raises UndeliverableRecord for an image that is not a valid item."""
    stream: Mapping[str, Any] = record.get("dynamodb") or {}
    sequence_number = str(stream.get("SequenceNumber") or "")
    if record.get("eventName") == "REMOVE" and removed_by_ttl(record):
        return None
    new = _item_of(stream.get("NewImage"), sequence_number)
    old = _item_of(stream.get("OldImage"), sequence_number)
    classified = _classify(new, old)
    if classified is None:
        return None
    kind, item = classified
    topics = set(topics_of(item))
    if old is not None and not old.deleted:
        topics |= topics_of(old)  # a moved item leaves the old station's topics
    return Change(kind, item, frozenset(topics), sequence_number)


def removed_by_ttl(record: Mapping[str, Any]) -> bool:
    identity = record.get("userIdentity") or {}
    return all(identity.get(key) == value for key, value in TTL_PRINCIPAL.items())


def _classify(new: Item | None, old: Item | None) -> tuple[ChangeKind, Item] | None:
    old_live = old is not None and not old.deleted
    if new is None:
        if old is None or old.deleted:
            return None
        return "deleted", old.model_copy(update={"deleted": True, "version": old.version + 1})
    if new.deleted:
        return ("deleted", new) if old_live else None
    if not old_live:
        return "created", new
    if new == old:
        return None
    return "updated", new


def _item_of(image: Mapping[str, Any] | None, sequence_number: str) -> Item | None:
    if not image:
        return None
    try:
        return item_from_dynamo(dict(image))
    except (ValidationError, TypeError, ValueError) as error:
        raise UndeliverableRecord(
            f"stream record {sequence_number} holds an image that is not a valid item: {error}"
        ) from error
