"""Typed frames from the server and typed events the client hands to its callers.

Server frames are the models of `mediaday.protocol` (one definition for both ends of the
wire). Client events describe what a caller cares about: the connection's state, an item
entering, changing in or leaving the local mirror, and a completed snapshot or sync.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from mediaday.models import Item
from mediaday.protocol import (
    Ack,
    ErrorFrame,
    EventFrame,
    EventsFrame,
    Pong,
    SnapshotPage,
    SyncPage,
)

ServerFrame = Ack | ErrorFrame | Pong | SnapshotPage | SyncPage | EventFrame | EventsFrame
# Every subscribe this client sends asks for `events` frames: one per stream batch with
# every change that concerns the connection (docs/protocol.md, "Pushed events").
SUBSCRIBE_EVENTS = "batched"
_FRAME_ADAPTER: TypeAdapter[ServerFrame] = TypeAdapter(
    Annotated[ServerFrame, Field(discriminator="type")]
)


def parse_frame(raw: str | bytes) -> ServerFrame:
    """A server frame from its JSON text; ValueError (pydantic's included) when it is not."""
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("a frame is a JSON object")
    return _FRAME_ADAPTER.validate_python(data)


class ConnectionState(StrEnum):
    CONNECTING = "connecting"  # first connection attempt
    CONNECTED = "connected"  # subscribed and in sync: the mirror is live
    RECONNECTING = "reconnecting"  # the link dropped; retrying after a jittered delay
    CLOSED = "closed"  # closed by the caller, or refused for good (see `reason`)


class _ClientEvent(BaseModel):
    model_config = ConfigDict(frozen=True)


class StateChanged(_ClientEvent):
    kind: Literal["state"] = "state"
    state: ConnectionState
    reason: str = ""
    # RECONNECTING: seconds until the next attempt, and how many attempts failed so far
    retry_in: float | None = None
    attempt: int = 0


class ItemChanged(_ClientEvent):
    """An item entered (`added`), changed in (`updated`) or left (`removed`) the mirror.

    `removed` covers a delete, a move out of every subscribed topic and an unsubscribe;
    `item` is then the last known version (the tombstone for a delete).
    """

    kind: Literal["item"] = "item"
    change: Literal["added", "updated", "removed"]
    item: Annotated[Item, Field(discriminator="type")]
    previous: Annotated[Item, Field(discriminator="type")] | None = None
    # the event's topic (an `events` change: the first it names); None when the change
    # came from a snapshot or sync answer
    topic: str | None = None


class Resynced(_ClientEvent):
    """A snapshot (subscribe) or sync answer was applied: the mirror is exact at `rev`."""

    kind: Literal["resync"] = "resync"
    via: Literal["snapshot", "sync"]
    topics: list[str]
    rev: int
    items: int


ClientEvent = StateChanged | ItemChanged | Resynced
