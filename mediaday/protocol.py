"""The wire protocol: what clients send and what the service sends back (JSON text frames).

docs/protocol.md is the prose version of this module; keep them together.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from mediaday.models import (
    Id,
    Name,
    Note,
    ShortText,
    ShotStatus,
    StationKind,
)
from mediaday.tokens import SUBPROTOCOL as SUBPROTOCOL  # noqa: PLC0414 (re-exported)

PROTOCOL_VERSION = 1

RequestId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")
]
TopicName = Annotated[
    str, StringConstraints(min_length=1, max_length=80, pattern=r"^[\x21-\x7e]+$")
]
Topics = Annotated[list[TopicName], Field(min_length=1, max_length=20)]
Version = Annotated[int, Field(ge=1)]
AckState = Literal["en-route", "arrived", "done"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: RequestId


class _Read(_Request):
    """A request that changes no item: every role may send it (READ_ACTIONS)."""


# -- reads -------------------------------------------------------------------------------
class Ping(_Read):
    action: Literal["ping"]


class Subscribe(_Read):
    action: Literal["subscribe"]
    topics: Topics


class Unsubscribe(_Read):
    action: Literal["unsubscribe"]
    topics: Topics


class Sync(_Read):
    """Everything changed or deleted since `since` in the given topics (default: the
    connection's subscriptions)."""

    action: Literal["sync"]
    since: int = Field(ge=0)
    topics: Topics | None = None


# -- schedule ----------------------------------------------------------------------------
class _Fields(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NewSlot(_Fields):
    id: Id | None = None  # derived from the request when absent, so a retry is idempotent
    station_id: Id
    talent_id: Id
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    title: ShortText = ""


class SlotChanges(_Fields):
    talent_id: Id | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    title: ShortText | None = None


class SlotCreate(_Request):
    action: Literal["slot.create"]
    slot: NewSlot


class SlotUpdate(_Request):
    action: Literal["slot.update"]
    slot_id: Id
    version: Version
    changes: SlotChanges


class SlotMove(_Request):
    action: Literal["slot.move"]
    slot_id: Id
    version: Version
    station_id: Id
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None


class SlotDelete(_Request):
    action: Literal["slot.delete"]
    slot_id: Id
    version: Version


# -- shot lists --------------------------------------------------------------------------
class NewShot(_Fields):
    id: Id | None = None
    station_id: Id
    talent_id: Id
    description: Name
    position: int = Field(default=0, ge=0, le=100_000)


class ShotChanges(_Fields):
    talent_id: Id | None = None
    description: Name | None = None
    position: int | None = Field(default=None, ge=0, le=100_000)


class ShotAdd(_Request):
    action: Literal["shot.add"]
    shot: NewShot


class ShotUpdate(_Request):
    action: Literal["shot.update"]
    shot_id: Id
    version: Version
    changes: ShotChanges


class ShotSetStatus(_Request):
    action: Literal["shot.set_status"]
    shot_id: Id
    version: Version
    status: ShotStatus


class ShotDelete(_Request):
    action: Literal["shot.delete"]
    shot_id: Id
    version: Version


# -- interview calls ---------------------------------------------------------------------
class NewCall(_Fields):
    id: Id | None = None
    talent_id: Id
    station_id: Id
    note: Note = ""


class CallPush(_Request):
    action: Literal["call.push"]
    call: NewCall


class CallAck(_Request):
    action: Literal["call.ack"]
    call_id: Id
    version: Version
    state: AckState


class CallCancel(_Request):
    action: Literal["call.cancel"]
    call_id: Id
    version: Version


# -- roster (producers prepare the day) ---------------------------------------------------
class StationFields(_Fields):
    id: Id
    name: Name
    kind: StationKind = StationKind.INTERVIEW
    location: ShortText = ""


class TalentFields(_Fields):
    id: Id
    name: Name
    number: Annotated[str, StringConstraints(max_length=8)] = ""
    team: ShortText = ""
    position: ShortText = ""


class StationPut(_Request):
    """Create (no version) or replace (version of the current item) a station."""

    action: Literal["station.put"]
    station: StationFields
    version: Version | None = None


class TalentPut(_Request):
    action: Literal["talent.put"]
    talent: TalentFields
    version: Version | None = None


Request = Annotated[
    Ping
    | Subscribe
    | Unsubscribe
    | Sync
    | SlotCreate
    | SlotUpdate
    | SlotMove
    | SlotDelete
    | ShotAdd
    | ShotUpdate
    | ShotSetStatus
    | ShotDelete
    | CallPush
    | CallAck
    | CallCancel
    | StationPut
    | TalentPut,
    Field(discriminator="action"),
]


def action_of(model: type[BaseModel]) -> str:
    """The action a request model answers to: the value of its `action` literal."""
    (action,) = get_args(model.model_fields["action"].annotation)
    return str(action)


# Every list of actions is read off the request models above: a new action is a new model
# in `Request`, never an edit here.
REQUEST_MODELS: tuple[type[_Request], ...] = get_args(get_args(Request)[0])
ACTIONS: tuple[str, ...] = tuple(action_of(model) for model in REQUEST_MODELS)
READ_ACTIONS: frozenset[str] = frozenset(
    action_of(model) for model in REQUEST_MODELS if issubclass(model, _Read)
)


# -- server → client ----------------------------------------------------------------------
class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def encode(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


class Ack(_Frame):
    """A request succeeded. Writes carry the item as stored; `duplicate` marks a retry that
    had already been applied (nothing written this time)."""

    type: Literal["ack"] = "ack"
    id: str
    action: str
    item: dict[str, Any] | None = None
    version: int | None = None
    rev: int | None = None
    duplicate: bool | None = None
    # subscribe / sync: how many snapshot or sync pages follow this ack
    pages: int | None = None
    topics: list[str] | None = None
    server_time: int


class ErrorFrame(_Frame):
    type: Literal["error"] = "error"
    id: str | None = None
    code: str
    message: str
    current: dict[str, Any] | None = None  # conflict: the item as it stands
    server_time: int


class Pong(_Frame):
    type: Literal["pong"] = "pong"
    id: str
    server_time: int


class SnapshotPage(_Frame):
    """Part of a topic's current state, answering `subscribe` (request `id`)."""

    type: Literal["snapshot"] = "snapshot"
    id: str
    topic: str
    rev: int
    page: int
    pages: int
    items: list[dict[str, Any]]
    server_time: int


class SyncPage(_Frame):
    """Part of the changes since `since`: items with `deleted: true` are deletes."""

    type: Literal["sync"] = "sync"
    id: str
    since: int
    rev: int
    page: int
    pages: int
    items: list[dict[str, Any]]
    server_time: int


class EventFrame(_Frame):
    """A change pushed to subscribers of `topic`."""

    type: Literal["event"] = "event"
    topic: str
    change: Literal["created", "updated", "deleted"]
    item_type: str
    item_id: str
    item: dict[str, Any]
    version: int
    rev: int
    server_time: int


def encoded_size(value: Any) -> int:
    """Bytes a JSON value takes on the wire (what the 128 KB limit counts)."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
