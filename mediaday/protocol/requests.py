"""The core requests: reads, the schedule, shot lists, interview calls and the roster."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    Field,
    StringConstraints,
)

from mediaday.models import (
    Id,
    Name,
    Note,
    ShortText,
    ShotStatus,
    StationKind,
)
from mediaday.protocol.base import (
    AckState,
    Fields,
    ReadRequest,
    RequestBase,
    Topics,
    Version,
)


# -- reads -------------------------------------------------------------------------------
class Ping(ReadRequest):
    action: Literal["ping"]


class Subscribe(ReadRequest):
    """`events="batched"` opts these topics into `events` frames (one per stream batch);
    the default, `"single"`, keeps protocol v1's one `event` frame per change and topic."""

    action: Literal["subscribe"]
    topics: Topics
    events: Literal["single", "batched"] = "single"


class Unsubscribe(ReadRequest):
    action: Literal["unsubscribe"]
    topics: Topics


class Sync(ReadRequest):
    """Everything changed or deleted since `since` in the given topics (default: the
    connection's subscriptions)."""

    action: Literal["sync"]
    since: int = Field(ge=0)
    topics: Topics | None = None


# -- schedule ----------------------------------------------------------------------------
class NewSlot(Fields):
    id: Id | None = None  # derived from the request when absent, so a retry is idempotent
    station_id: Id
    talent_id: Id
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    title: ShortText = ""


class SlotChanges(Fields):
    talent_id: Id | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    title: ShortText | None = None
    # a producer's correction of what the crew marked (slot.arrive / slot.done)
    actual_start: AwareDatetime | None = None
    actual_end: AwareDatetime | None = None


class SlotCreate(RequestBase):
    action: Literal["slot.create"]
    slot: NewSlot
    # book the athlete even where another of their slots overlaps (recorded on the slot)
    allow_overlap: bool = False


ActualTime = Literal["actual_start", "actual_end"]


class SlotUpdate(RequestBase):
    """`clear` unsets a producer's or crew's actual times (a `null` in `changes` keeps a
    field as it is, so clearing needs its own word)."""

    action: Literal["slot.update"]
    slot_id: Id
    version: Version
    changes: SlotChanges = Field(default_factory=SlotChanges)
    clear: list[ActualTime] = Field(default_factory=list, max_length=2)
    allow_overlap: bool = False


class SlotMove(RequestBase):
    action: Literal["slot.move"]
    slot_id: Id
    version: Version
    station_id: Id
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    allow_overlap: bool = False


class SlotDelete(RequestBase):
    action: Literal["slot.delete"]
    slot_id: Id
    version: Version


# -- shot lists --------------------------------------------------------------------------
class NewShot(Fields):
    id: Id | None = None
    station_id: Id
    talent_id: Id
    description: Name
    position: int = Field(default=0, ge=0, le=100_000)


class ShotChanges(Fields):
    talent_id: Id | None = None
    description: Name | None = None
    position: int | None = Field(default=None, ge=0, le=100_000)


class ShotAdd(RequestBase):
    action: Literal["shot.add"]
    shot: NewShot


class ShotUpdate(RequestBase):
    action: Literal["shot.update"]
    shot_id: Id
    version: Version
    changes: ShotChanges


class ShotSetStatus(RequestBase):
    action: Literal["shot.set_status"]
    shot_id: Id
    version: Version
    status: ShotStatus


class ShotDelete(RequestBase):
    action: Literal["shot.delete"]
    shot_id: Id
    version: Version


# -- interview calls ---------------------------------------------------------------------
class NewCall(Fields):
    id: Id | None = None
    talent_id: Id
    station_id: Id
    note: Note = ""


class CallPush(RequestBase):
    action: Literal["call.push"]
    call: NewCall


class CallAck(RequestBase):
    action: Literal["call.ack"]
    call_id: Id
    version: Version
    state: AckState


class CallCancel(RequestBase):
    action: Literal["call.cancel"]
    call_id: Id
    version: Version


# -- roster (producers prepare the day) ---------------------------------------------------
class StationFields(Fields):
    id: Id
    name: Name
    kind: StationKind = StationKind.INTERVIEW
    location: ShortText = ""


class TalentFields(Fields):
    id: Id
    name: Name
    number: Annotated[str, StringConstraints(max_length=8)] = ""
    team: ShortText = ""
    position: ShortText = ""


class StationPut(RequestBase):
    """Create (no version) or replace (version of the current item) a station."""

    action: Literal["station.put"]
    station: StationFields
    version: Version | None = None


class TalentPut(RequestBase):
    action: Literal["talent.put"]
    talent: TalentFields
    version: Version | None = None


# The writes a batch may carry (each one a request of its own, defined above); the
# `Request` union takes them from here as well.
BatchWriteModels = (
    SlotCreate
    | SlotUpdate
    | SlotMove
    | SlotDelete
    | ShotAdd
    | ShotUpdate
    | ShotSetStatus
    | ShotDelete
    | StationPut
    | TalentPut
)
