"""Running the day: shifts, actual times, notices, batches, devices and revocation."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    Field,
    StringConstraints,
    model_validator,
)

from mediaday.models import (
    Id,
    NoticeLevel,
    NoticeText,
    ShortText,
    Subject,
)
from mediaday.protocol.base import Fields, RequestBase, Version
from mediaday.protocol.requests import BatchWriteModels
from mediaday.tokens import TOKEN_ID_PATTERN

# -- running the day ----------------------------------------------------------------------
SHIFT_MINUTES = (-120, 240)
MAX_BATCH_WRITES = 99  # DynamoDB's 100 actions per transaction, less the rev counter


class ScheduleShift(RequestBase):
    """Move every slot of a station (or of every station) that starts at or after
    `starting_at` (default: now, server clock) by `minutes`, all or nothing."""

    action: Literal["schedule.shift"]
    station_id: Id | None = None  # None: every station
    minutes: Annotated[int, Field(ge=SHIFT_MINUTES[0], le=SHIFT_MINUTES[1])]
    starting_at: AwareDatetime | None = None
    include_current: bool = False  # also the slot under way at `starting_at`
    allow_overlap: bool = False


class SlotArrive(RequestBase):
    """The athlete is at the station: `actual_start` = now (crews: own station)."""

    action: Literal["slot.arrive"]
    slot_id: Id
    version: Version


class SlotDone(RequestBase):
    """The athlete has left the station: `actual_end` = now (crews: own station)."""

    action: Literal["slot.done"]
    slot_id: Id
    version: Version


class NewNotice(Fields):
    id: Id | None = None
    text: NoticeText
    level: NoticeLevel = NoticeLevel.INFO
    stations: Annotated[list[Id], Field(max_length=50)] = []  # empty: every screen
    expires_at: AwareDatetime | None = None


class NoticeChanges(Fields):
    text: NoticeText | None = None
    level: NoticeLevel | None = None
    stations: Annotated[list[Id], Field(max_length=50)] | None = None
    expires_at: AwareDatetime | None = None


class NoticePost(RequestBase):
    action: Literal["notice.post"]
    notice: NewNotice


class NoticeUpdate(RequestBase):
    action: Literal["notice.update"]
    notice_id: Id
    version: Version
    changes: NoticeChanges


class NoticeClear(RequestBase):
    action: Literal["notice.clear"]
    notice_id: Id
    version: Version


# A batch's writes (requests.BatchWriteModels), told apart by their `action`.
BatchWrite = Annotated[BatchWriteModels, Field(discriminator="action")]


class Batch(RequestBase):
    """Many writes, all or nothing, with consecutive revs. Each write is a request of its
    own (its `id` keys its retry); more than MAX_BATCH_WRITES is `batch_too_large`."""

    action: Literal["batch"]
    # parsed up to 1000 (the 128 KB message bounds it anyway); refused above 99 by name
    writes: Annotated[list[BatchWrite], Field(min_length=1, max_length=1000)]


# -- devices (producers only; mediaday.presence, messaging.devices) -----------------------
ConnectionRef = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
]


class DeviceLabel(RequestBase):
    """Name a device ("Camera 2 tablet"); an empty label clears it."""

    action: Literal["device.label"]
    connection_id: ConnectionRef
    label: Annotated[ShortText, StringConstraints(max_length=120)]


class DeviceIdentify(RequestBase):
    """The device's screen flashes its label for `seconds`."""

    action: Literal["device.identify"]
    connection_id: ConnectionRef
    seconds: int = Field(default=5, ge=1, le=30)


class DeviceRedirect(RequestBase):
    """The device's page switches view and/or station filter, untouched. A crew's write
    permission stays its token's station: redirecting changes what the page shows."""

    action: Literal["device.redirect"]
    connection_id: ConnectionRef
    view: Literal["kiosk", "crew"] | None = None
    station_id: Id | None = None


class Revoke(RequestBase):
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
