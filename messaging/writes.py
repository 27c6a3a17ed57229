"""Several item writes as one: all or nothing, consecutive revs, double-booking checked.

`write_all` is the multi-item twin of `messaging.edits`: the same checks in the same
order (roster, item, station, version, state, validity), then the double-booking rule
(`mediaday.booking`), for every write of the request, and then ONE transaction
(`CoordinationStore.commit_many`). The checks run inside the store's attempt, after it
read the rev counter: a change committed by anyone before the transaction cancels it and
the checks run again on fresh state, so what they approved is what commits.

Each write carries its own request key: a write already applied (its item still carries
the key) is skipped and reported as a duplicate, so a retried request, or a re-run import
that groups its rows differently, writes nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from mediaday.booking import booking_changed, check_bookings, talent_windows
from mediaday.coordination import PlannedWrite
from mediaday.errors import Conflict, InvalidRequest, MediaDayError, NotFound
from mediaday.models import ITEM_TYPES, Item, Slot, item_sk, item_to_plain
from mediaday.protocol import Ack
from messaging.authorization import authorize_station
from messaging.context import Caller, Collaborators
from messaging.edits import derive_id
from messaging.parsing import describe

# `<type>_id` fields of a write that must name a live station / talent of the day.
_ROSTER_TYPES = ("station", "talent")
# Athletes' Queries in flight at once (botocore's default pool holds 10 connections).
_QUERY_WORKERS = 8


@dataclass(frozen=True)
class Intent:
    """One item write as the client asked for it.

    A create has no `version` and `fields` holds the whole item (its `id` may be None:
    derived from the request key). An edit has the version the client saw and `fields`
    its changes; `fields=None` with a version is a delete.
    """

    action: str
    item_type: str
    item_id: str | None
    version: int | None
    fields: Mapping[str, Any] | None
    request_key: str
    allow_overlap: bool = False
    check: Callable[[Any], None] | None = None
    label: str = ""  # "writes[3] slot.update": where a refusal points, in a batch

    @property
    def creates(self) -> bool:
        return self.version is None

    def key(self) -> tuple[str, str]:
        item_id = self.item_id or derive_id(self.item_type, self.request_key)
        return self.item_type, item_id


@dataclass(frozen=True)
class Written:
    """What `write_all` did: every write's item as it now stands, in request order."""

    items: list[Item]
    duplicates: list[int]  # indices of the writes that had already been applied

    @property
    def all_duplicates(self) -> bool:
        return len(self.duplicates) == len(self.items)


def write_all(caller: Caller, deps: Collaborators, intents: Sequence[Intent]) -> Written:
    """Apply every intent, or none (the first refusal raises, naming its write)."""
    _refuse_repeats(intents)
    outcome: list[Item] = []
    duplicates: list[int] = []

    def prepare(rev: int) -> list[PlannedWrite]:
        nonlocal outcome, duplicates
        found = deps.coordination.get_many(caller.media_day, _keys_to_read(intents))
        planned: list[PlannedWrite] = []
        outcome, duplicates = [], []
        befores: list[tuple[Intent, Slot | None, Slot]] = []
        created = {intent.key() for intent in intents if intent.creates}
        for index, intent in enumerate(intents):
            try:
                _require_roster(intent, found, created)
                current = found.get(item_sk(*intent.key()))
                if current is not None and current.request_key == intent.request_key:
                    outcome.append(current)  # applied by an earlier attempt of this write
                    duplicates.append(index)
                    continue
                write = _plan(caller, intent, current)
            except MediaDayError as error:
                raise _pointing_at(intent, error) from None
            planned.append(write)
            outcome.append(write.item)
            if isinstance(write.item, Slot):
                before = current if isinstance(current, Slot) else None
                befores.append((intent, before, write.item))
        planned = _mark_overlaps(planned, befores)
        outcome = [_final(item, planned) for item in outcome]
        slots = [write.item for write in planned if isinstance(write.item, Slot)]
        checked = [
            slot
            for intent, before, slot in befores
            if booking_changed(before, slot) and not intent.allow_overlap
        ]
        check_bookings(slots, checked, _talent_reader(caller, deps, talent_windows(checked)))
        return planned

    committed = deps.coordination.commit_many(caller.media_day, prepare, actor=caller.actor)
    stamped = {item_sk(item.type, item.id): item for item in committed}
    return Written([stamped.get(item_sk(i.type, i.id), i) for i in outcome], duplicates)


def written_ack(request_id: str, action: str, written: Written, deps: Collaborators) -> Ack:
    """A multi-item ack: every item in request order, the last rev, duplicate if nothing
    was written this time."""
    items = [item_to_plain(item) for item in written.items]
    return Ack(
        id=request_id,
        action=action,
        items=items,
        rev=max((item.rev for item in written.items), default=None),
        duplicate=True if written.all_duplicates else None,
        duplicates=written.duplicates or None,
        server_time=deps.now_ms(),
    )


def single_ack(request_id: str, action: str, written: Written, deps: Collaborators) -> Ack:
    """The ack of a one-item write, exactly as `messaging.edits` answers."""
    (item,) = written.items
    return Ack(
        id=request_id,
        action=action,
        item=item_to_plain(item),
        version=item.version,
        rev=item.rev,
        duplicate=True if written.all_duplicates else None,
        server_time=deps.now_ms(),
    )


# -- planning one write -----------------------------------------------------------------
def _plan(caller: Caller, intent: Intent, current: Item | None) -> PlannedWrite:
    model = ITEM_TYPES[intent.item_type]
    item_type, item_id = intent.key()
    if intent.creates:
        if current is not None and not current.deleted:
            raise Conflict(f"{item_type} '{item_id}' already exists", item_to_plain(current))
        fields = {**(intent.fields or {}), "media_day": caller.media_day, "id": item_id}
        item = _validated(model, fields)
        tombstone = current.version if current is not None else None
        return PlannedWrite(item, tombstone, creates=True, request_key=intent.request_key)
    if current is None or current.deleted or not isinstance(current, model):
        raise NotFound(f"no {item_type} '{item_id}' (it may have been deleted)")
    authorize_station(caller.connection, intent.action, getattr(current, "station_id", None))
    if current.version != intent.version:
        raise Conflict(
            f"stale version {intent.version}: {item_type} '{item_id}' is at version "
            f"{current.version}",
            item_to_plain(current),
        )
    if intent.fields is None:
        item = current.model_copy(update={"deleted": True})
    else:
        if intent.check is not None:
            intent.check(current)
        item = _validated(model, {**current.model_dump(), **intent.fields})
    return PlannedWrite(item, current.version, creates=False, request_key=intent.request_key)


def _validated(model: type[Any], fields: Mapping[str, Any]) -> Item:
    try:
        item: Item = model.model_validate(dict(fields))
    except ValidationError as error:
        raise InvalidRequest(describe(error)) from None
    return item


def _mark_overlaps(
    planned: list[PlannedWrite], befores: Sequence[tuple[Intent, Slot | None, Slot]]
) -> list[PlannedWrite]:
    """A slot booked anew records whether its write allowed an overlap."""
    flags = {
        slot.id: intent.allow_overlap
        for intent, before, slot in befores
        if booking_changed(before, slot)
    }
    marked = []
    for write in planned:
        item = write.item
        if isinstance(item, Slot) and item.id in flags:
            item = item.model_copy(update={"overlap_allowed": flags[item.id]})
        marked.append(PlannedWrite(item, write.previous_version, write.creates, write.request_key))
    return marked


def _final(item: Item, planned: Sequence[PlannedWrite]) -> Item:
    for write in planned:
        if (write.item.type, write.item.id) == (item.type, item.id):
            return write.item
    return item


# -- reads -------------------------------------------------------------------------------
def _keys_to_read(intents: Sequence[Intent]) -> list[tuple[str, str]]:
    """Every written item and every roster item the writes point at: one BatchGetItem."""
    keys = [intent.key() for intent in intents]
    for intent in intents:
        for item_type in _ROSTER_TYPES:
            named = (intent.fields or {}).get(f"{item_type}_id")
            if isinstance(named, str):
                keys.append((item_type, named))
    return keys


def _require_roster(
    intent: Intent, found: Mapping[str, Item], created: set[tuple[str, str]]
) -> None:
    """Writes may only point at stations and talent on the roster (or put by this batch)."""
    for item_type in _ROSTER_TYPES:
        named = (intent.fields or {}).get(f"{item_type}_id")
        if not isinstance(named, str) or (item_type, named) in created:
            continue
        roster_item = found.get(item_sk(item_type, named))
        if roster_item is None or roster_item.deleted:
            raise NotFound(f"unknown {item_type} '{named}': add it to the roster first")


def _talent_reader(
    caller: Caller, deps: Collaborators, windows: Mapping[str, tuple[datetime, datetime]]
) -> Callable[[str, datetime, datetime], list[Slot]]:
    """Reads every athlete's window up front, concurrently (one Query each, as many at a
    time as `_QUERY_WORKERS`): a batch booking 50 athletes waits for the slowest Query,
    not for 50 in a row."""

    def query(talent_id: str) -> list[Slot]:
        earliest, latest = windows[talent_id]
        return deps.coordination.slots_of_talent(
            caller.media_day, talent_id, starting_from=earliest, until=latest
        )

    if len(windows) > 1:
        with ThreadPoolExecutor(min(_QUERY_WORKERS, len(windows))) as pool:
            found = dict(zip(windows, pool.map(query, windows), strict=True))
    else:
        found = {talent_id: query(talent_id) for talent_id in windows}

    def read(talent_id: str, earliest: datetime, latest: datetime) -> list[Slot]:
        del earliest, latest  # the window read up front is this one (talent_windows)
        return found[talent_id]

    return read


def _refuse_repeats(intents: Sequence[Intent]) -> None:
    """One DynamoDB transaction writes an item once: two writes of one item are refused."""
    seen: dict[tuple[str, str], Intent] = {}
    for intent in intents:
        key = intent.key()
        if key in seen:
            raise InvalidRequest(
                f"{seen[key].label or 'a write'} and {intent.label or 'another'} both write "
                f"{key[0]} '{key[1]}': one write per item per batch (send the second in "
                "the next batch)"
            )
        seen[key] = intent


def _pointing_at(intent: Intent, error: MediaDayError) -> MediaDayError:
    """The same refusal, its message prefixed with which write of a batch it concerns."""
    if not intent.label:
        return error
    message = f"{intent.label}: {error.message}"
    if isinstance(error, Conflict):
        return Conflict(message, error.current)
    return type(error)(message)
