"""The media day's coordination items and their one mapping to and from DynamoDB.

Every item carries `version` (per item, optimistic concurrency) and `rev` (media-day-wide
change counter, for resume). A delete keeps the item as a tombstone (`deleted=True`) so
that `sync` can report it; the tombstone expires through the table's TTL.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, cast

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    model_validator,
)
from pydantic_core import PydanticCustomError

# Ids end up inside DynamoDB keys ("slot#<id>"), topic names and URLs: no separators, no
# control characters, short.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
# Human text: bounded, and free of the characters that corrupt dashboards and CSVs or make
# a screen show something other than what was sent (see refuse_unsafe_characters).
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
TEXT_RULE = "must not contain control characters"


def refuse_unsafe_characters(value: str) -> str:
    """Refuse control (Cc), format (Cf), surrogate (Cs) and line/paragraph separator (Zl, Zp)
    characters: C0/C1 controls, newline and tab, bidi overrides like U+202E, zero-width
    characters, U+2028. No text field is multi-line, so none is allowed anywhere; the error
    names the code point, never quotes the text."""
    if value.isascii() and value.isprintable():
        return value  # the common case, in C: ASCII's only unsafe characters are its Cc
    for character in value:
        if unicodedata.category(character) in UNSAFE_CATEGORIES:
            raise PydanticCustomError(
                "unsafe_character",
                TEXT_RULE + " ({character} is not allowed)",
                {"character": f"U+{ord(character):04X}"},
            )
    return value


SafeText = AfterValidator(refuse_unsafe_characters)
Name = Annotated[str, StringConstraints(min_length=1, max_length=120), SafeText]
ShortText = Annotated[str, StringConstraints(max_length=200), SafeText]
Note = Annotated[str, StringConstraints(max_length=1000), SafeText]
Subject = Annotated[str, StringConstraints(min_length=1, max_length=128), SafeText]
Number = Annotated[str, StringConstraints(max_length=8), SafeText]
RequestKey = Annotated[str, StringConstraints(max_length=256), SafeText]
Author = Annotated[str, StringConstraints(max_length=128), SafeText]  # a subject, or ""

MAX_SLOT_DURATION = timedelta(hours=12)


class Role(StrEnum):
    PRODUCER = "producer"
    CREW = "crew"
    KIOSK = "kiosk"


class StationKind(StrEnum):
    INTERVIEW = "interview"
    PHOTO = "photo"
    VIDEO = "video"
    PODCAST = "podcast"
    OTHER = "other"


class ShotStatus(StrEnum):
    PENDING = "pending"
    CAPTURED = "captured"
    SKIPPED = "skipped"


class CallState(StrEnum):
    PENDING = "pending"
    EN_ROUTE = "en-route"
    ARRIVED = "arrived"
    DONE = "done"
    CANCELLED = "cancelled"


ACTIVE_CALL_STATES = frozenset({CallState.PENDING, CallState.EN_ROUTE, CallState.ARRIVED})


class ItemBase(BaseModel):
    """Fields every coordination item has; the store stamps the bookkeeping ones."""

    # Built on first use, not at import: `$connect` imports this module for its types and
    # never an item, and the handlers that do parse items go through `_ITEM_ADAPTER`.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    media_day: Id
    id: Id
    version: int = Field(default=0, ge=0)
    rev: int = Field(default=0, ge=0)
    updated_at: int = Field(default=0, ge=0, description="epoch milliseconds")
    updated_by: Author = ""
    # "<subject>/<client request id>" of the write that produced this version: lets a
    # retried request be recognised as already applied.
    request_key: RequestKey | None = None
    deleted: bool = False


class MediaDay(ItemBase):
    type: Literal["day"] = "day"
    name: Name
    venue: ShortText = ""
    timezone: ShortText = "UTC"


class Station(ItemBase):
    type: Literal["station"] = "station"
    name: Name
    kind: StationKind = StationKind.INTERVIEW
    location: ShortText = ""


class Talent(ItemBase):
    type: Literal["talent"] = "talent"
    name: Name
    number: Number = ""
    team: ShortText = ""
    position: ShortText = ""


class Slot(ItemBase):
    type: Literal["slot"] = "slot"
    station_id: Id
    talent_id: Id
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    title: ShortText = ""
    # Set by the first `schedule.shift` that moves the slot and kept after: the times the
    # day was planned with, so screens can say "running N min late".
    planned_starts_at: AwareDatetime | None = None
    planned_ends_at: AwareDatetime | None = None
    # When the athlete arrived at and left the station (`slot.arrive` / `slot.done`).
    actual_start: AwareDatetime | None = None
    actual_end: AwareDatetime | None = None
    # The write that left this slot overlapping another of its athlete's said so.
    overlap_allowed: bool = False

    @model_validator(mode="after")
    def _ends_after_start(self) -> Slot:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.ends_at - self.starts_at > MAX_SLOT_DURATION:
            raise ValueError("a slot lasts at most 12 hours")
        if self.actual_end is not None and (
            self.actual_start is None or self.actual_end < self.actual_start
        ):
            raise ValueError("actual_end needs an actual_start before it")
        return self


class Shot(ItemBase):
    type: Literal["shot"] = "shot"
    station_id: Id
    talent_id: Id
    description: Name
    status: ShotStatus = ShotStatus.PENDING
    position: int = Field(default=0, ge=0, le=100_000)


class Call(ItemBase):
    type: Literal["call"] = "call"
    talent_id: Id
    station_id: Id
    note: Note = ""
    state: CallState = CallState.PENDING
    acked_by: Author | None = None
    # Server clock: when the call was pushed, and when it was first acknowledged (the day
    # report's acknowledgement time is the difference; later acks keep `acked_at`).
    pushed_at: AwareDatetime | None = None
    acked_at: AwareDatetime | None = None


NOTICE_MAX_CHARS = 280
NoticeText = Annotated[str, StringConstraints(min_length=1, max_length=NOTICE_MAX_CHARS), SafeText]


class NoticeLevel(StrEnum):
    INFO = "info"
    URGENT = "urgent"


class Notice(ItemBase):
    """An announcement to screens: every screen (`stations` empty) or those of the named
    stations. Screens hide it once `expires_at` has passed on the server's clock."""

    type: Literal["notice"] = "notice"
    text: NoticeText
    level: NoticeLevel = NoticeLevel.INFO
    stations: Annotated[list[Id], Field(max_length=50)] = []
    expires_at: AwareDatetime | None = None
    posted_by: Author = ""


Item = MediaDay | Station | Talent | Slot | Shot | Call | Notice
ITEM_TYPES: dict[str, type[ItemBase]] = {
    "day": MediaDay,
    "station": Station,
    "talent": Talent,
    "slot": Slot,
    "shot": Shot,
    "call": Call,
    "notice": Notice,
}
_ITEM_ADAPTER: TypeAdapter[Item] = TypeAdapter(
    Annotated[Item, Field(discriminator="type")], config=ConfigDict(defer_build=True)
)

# ---------------------------------------------------------------------------------------
# DynamoDB mapping: the only place that knows how an item is laid out in the table.
# ---------------------------------------------------------------------------------------
PK = "pk"
SK = "sk"
TTL_ATTRIBUTE = "expires_at"
REV_COUNTER_SK = "~rev"  # sorts after every item key, never matches an item prefix
# A live slot's "<talent_id>#<starts_at in UTC>": the sort key of the `by_talent` local
# index, so an athlete's slots around a time are one strongly consistent Query.
TALENT_SLOT_ATTRIBUTE = "talent_slot"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def media_day_pk(media_day: str) -> str:
    return f"md#{media_day}"


def item_sk(item_type: str, item_id: str) -> str:
    return f"{item_type}#{item_id}"


def item_type_prefix(item_type: str) -> str:
    return f"{item_type}#"


def parse_item(data: dict[str, Any]) -> Item:
    """Validate a plain dict (a client's JSON or a deserialised row) as an item."""
    return _ITEM_ADAPTER.validate_python(data)


def item_to_plain(item: ItemBase) -> dict[str, Any]:
    """The item as JSON-ready data: what clients receive."""
    # Through the one adapter (every ItemBase is one of Item's members): an item model's
    # own serializer would be a second build of its schema.
    member = cast("Item", item)
    plain: dict[str, Any] = _ITEM_ADAPTER.dump_python(member, mode="json", exclude_none=True)
    return plain


def item_to_dynamo(item: ItemBase, *, expires_at: int | None = None) -> dict[str, Any]:
    """The item as a DynamoDB low-level attribute map, keys included."""
    plain = item_to_plain(item)
    plain[PK] = media_day_pk(item.media_day)
    plain[SK] = item_sk(plain["type"], item.id)
    if expires_at is not None:
        plain[TTL_ATTRIBUTE] = expires_at
    if isinstance(item, Slot) and not item.deleted:
        plain[TALENT_SLOT_ATTRIBUTE] = talent_slot_key(item.talent_id, item.starts_at)
    return plain_to_dynamo(plain)


def talent_slot_key(talent_id: str, moment: datetime) -> str:
    """The `by_talent` sort key: fixed-width UTC time, so keys sort in time order."""
    return f"{talent_id}#{moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%f')}"


def plain_to_dynamo(plain: dict[str, Any]) -> dict[str, Any]:
    """Plain Python values (no floats) as a low-level attribute map."""
    return {name: _serializer.serialize(value) for name, value in plain.items()}


def dynamo_to_plain(attributes: dict[str, Any]) -> dict[str, Any]:
    """A low-level attribute map (a row or a stream image) as plain Python values."""
    return {
        name: _from_dynamo_value(_deserializer.deserialize(v)) for name, v in attributes.items()
    }


def item_from_dynamo(attributes: dict[str, Any]) -> Item | None:
    """The item a row or stream image holds, or None for rows that are not items."""
    plain = dynamo_to_plain(attributes)
    if plain.get("type") not in ITEM_TYPES:
        return None
    for bookkeeping in (PK, SK, TALENT_SLOT_ATTRIBUTE):
        plain.pop(bookkeeping, None)
    # The table's TTL is an epoch number; a live notice's own `expires_at` (ISO text) shares
    # the attribute's name and must survive the read.
    if not isinstance(plain.get(TTL_ATTRIBUTE), str):
        plain.pop(TTL_ATTRIBUTE, None)
    return parse_item(plain)


def _from_dynamo_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo_value(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_from_dynamo_value(v) for v in value]
    return value
