"""The wire protocol: what clients send and what the service sends back (JSON text frames).

docs/protocol.md is the prose version of this module; keep them together.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from mediaday.models import (
    Id,
    Name,
    Note,
    NoticeLevel,
    NoticeText,
    ShortText,
    ShotStatus,
    StationKind,
    Subject,
)
from mediaday.tokens import SUBPROTOCOL as SUBPROTOCOL  # noqa: PLC0414 (re-exported)
from mediaday.tokens import TOKEN_ID_PATTERN

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
    """`events="batched"` opts these topics into `events` frames (one per stream batch);
    the default, `"single"`, keeps protocol v1's one `event` frame per change and topic."""

    action: Literal["subscribe"]
    topics: Topics
    events: Literal["single", "batched"] = "single"


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
    # a producer's correction of what the crew marked (slot.arrive / slot.done)
    actual_start: AwareDatetime | None = None
    actual_end: AwareDatetime | None = None


class SlotCreate(_Request):
    action: Literal["slot.create"]
    slot: NewSlot
    # book the athlete even where another of their slots overlaps (recorded on the slot)
    allow_overlap: bool = False


class SlotUpdate(_Request):
    action: Literal["slot.update"]
    slot_id: Id
    version: Version
    changes: SlotChanges
    allow_overlap: bool = False


class SlotMove(_Request):
    action: Literal["slot.move"]
    slot_id: Id
    version: Version
    station_id: Id
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    allow_overlap: bool = False


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


# -- running the day ----------------------------------------------------------------------
SHIFT_MINUTES = (-120, 240)
MAX_BATCH_WRITES = 99  # DynamoDB's 100 actions per transaction, less the rev counter


class ScheduleShift(_Request):
    """Move every slot of a station (or of every station) that starts at or after
    `starting_at` (default: now, server clock) by `minutes`, all or nothing."""

    action: Literal["schedule.shift"]
    station_id: Id | None = None  # None: every station
    minutes: Annotated[int, Field(ge=SHIFT_MINUTES[0], le=SHIFT_MINUTES[1])]
    starting_at: AwareDatetime | None = None
    include_current: bool = False  # also the slot under way at `starting_at`
    allow_overlap: bool = False


class SlotArrive(_Request):
    """The athlete is at the station: `actual_start` = now (crews: own station)."""

    action: Literal["slot.arrive"]
    slot_id: Id
    version: Version


class SlotDone(_Request):
    """The athlete has left the station: `actual_end` = now (crews: own station)."""

    action: Literal["slot.done"]
    slot_id: Id
    version: Version


class NewNotice(_Fields):
    id: Id | None = None
    text: NoticeText
    level: NoticeLevel = NoticeLevel.INFO
    stations: Annotated[list[Id], Field(max_length=50)] = []  # empty: every screen
    expires_at: AwareDatetime | None = None


class NoticeChanges(_Fields):
    text: NoticeText | None = None
    level: NoticeLevel | None = None
    stations: Annotated[list[Id], Field(max_length=50)] | None = None
    expires_at: AwareDatetime | None = None


class NoticePost(_Request):
    action: Literal["notice.post"]
    notice: NewNotice


class NoticeUpdate(_Request):
    action: Literal["notice.update"]
    notice_id: Id
    version: Version
    changes: NoticeChanges


class NoticeClear(_Request):
    action: Literal["notice.clear"]
    notice_id: Id
    version: Version


BatchWrite = Annotated[
    SlotCreate
    | SlotUpdate
    | SlotMove
    | SlotDelete
    | ShotAdd
    | ShotUpdate
    | ShotSetStatus
    | ShotDelete
    | StationPut
    | TalentPut,
    Field(discriminator="action"),
]


class Batch(_Request):
    """Many writes, all or nothing, with consecutive revs. Each write is a request of its
    own (its `id` keys its retry); more than MAX_BATCH_WRITES is `batch_too_large`."""

    action: Literal["batch"]
    # parsed up to 1000 (the 128 KB message bounds it anyway); refused above 99 by name
    writes: Annotated[list[BatchWrite], Field(min_length=1, max_length=1000)]


# -- devices (producers only; mediaday.presence, messaging.devices) -----------------------
ConnectionRef = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
]


class DeviceLabel(_Request):
    """Name a device ("Camera 2 tablet"); an empty label clears it."""

    action: Literal["device.label"]
    connection_id: ConnectionRef
    label: Annotated[ShortText, StringConstraints(max_length=120)]


class DeviceIdentify(_Request):
    """The device's screen flashes its label for `seconds`."""

    action: Literal["device.identify"]
    connection_id: ConnectionRef
    seconds: int = Field(default=5, ge=1, le=30)


class DeviceRedirect(_Request):
    """The device's page switches view and/or station filter, untouched. A crew's write
    permission stays its token's station: redirecting changes what the page shows."""

    action: Literal["device.redirect"]
    connection_id: ConnectionRef
    view: Literal["kiosk", "crew"] | None = None
    station_id: Id | None = None


class Revoke(_Request):
    """Revoke exactly one of: a subject, a token id, or the token of one connection;
    until `until` (default: for good, or the token's own expiry for a token)."""

    action: Literal["revoke"]
    subject: Subject | None = None
    token_id: Annotated[str, StringConstraints(pattern=TOKEN_ID_PATTERN)] | None = None
    connection_id: ConnectionRef | None = None
    until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _exactly_one_target(self) -> Revoke:
        named = [self.subject, self.token_id, self.connection_id]
        if sum(value is not None for value in named) != 1:
            raise ValueError("name exactly one of subject, token_id or connection_id")
        return self


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
    | TalentPut
    | ScheduleShift
    | SlotArrive
    | SlotDone
    | NoticePost
    | NoticeUpdate
    | NoticeClear
    | Batch
    | DeviceLabel
    | DeviceIdentify
    | DeviceRedirect
    | Revoke,
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
    # schedule.shift / batch: every item written, in request order
    items: list[dict[str, Any]] | None = None
    version: int | None = None
    rev: int | None = None
    duplicate: bool | None = None
    # batch: the writes (by index) that had already been applied, so were not written again
    duplicates: list[int] | None = None
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
    # busy: retry (same id) after at least this long; the server shed the request unread
    retry_after_ms: int | None = None
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


class CommandFrame(_Frame):
    """A producer's instruction to one device's page (device.identify, device.redirect)."""

    type: Literal["command"] = "command"
    command: Literal["identify", "redirect"]
    label: str | None = None
    seconds: int | None = None
    view: str | None = None
    station_id: str | None = None
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


class EventChange(_Frame):
    """One change inside an `events` frame: `topics` names every topic of the receiving
    connection that the change concerns (a change reaches a connection once)."""

    topics: list[str]
    change: Literal["created", "updated", "deleted"]
    item_type: str
    item_id: str
    item: dict[str, Any]
    version: int
    rev: int


class EventsFrame(_Frame):
    """Every change of one stream batch that concerns the connection, in rev order, for
    topics subscribed with `events="batched"`; split only to stay under 128 KB."""

    type: Literal["events"] = "events"
    changes: list[EventChange] = Field(min_length=1)
    server_time: int


def encoded_size(value: Any) -> int:
    """Bytes a JSON value takes on the wire (what the 128 KB limit counts)."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
