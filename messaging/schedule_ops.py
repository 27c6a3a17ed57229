"""Slot writes that book an athlete, and running the day: shift, arrive, done.

`slot.create`, `slot.update` and `slot.move` go through `messaging.writes` (one item), so
the double-booking rule holds for them exactly as for a batch or a shift. `slot.delete`
books nobody and stays on the plain write path in `messaging.actions`.

A shift moves every slot of a station (or of the day) starting at or after a time by N
minutes in ONE transaction with the rev counter: all or nothing, consecutive revs, at most
99 slots (`batch_too_large` above: shift one station, or from a later time). The first
shift of a slot keeps its planned times in `planned_starts_at` / `planned_ends_at`, so a
screen can say "running N min late". A retried shift (same request id) is a duplicate:
the slots it moved still carry its request key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from mediaday.booking import TalentSlots, check_bookings, check_station
from mediaday.coordination import MAX_TRANSACTION_ITEMS, PlannedWrite
from mediaday.errors import BatchTooLarge, InvalidRequest, InvalidState, NotFound
from mediaday.models import Slot
from mediaday.protocol import (
    Ack,
    ScheduleShift,
    SlotArrive,
    SlotCreate,
    SlotDone,
    SlotMove,
    SlotUpdate,
)
from messaging.actions import answers
from messaging.context import Caller, Collaborators
from messaging.edits import edit, require_changes
from messaging.writes import Intent, Written, single_ack, write_all, written_ack


# ---------------------------------------------------------------------------------------
# booking writes
# ---------------------------------------------------------------------------------------
@answers(SlotCreate)
def slot_create(request: SlotCreate, caller: Caller, deps: Collaborators) -> Ack:
    intent = slot_create_intent(request, caller.request_key)
    return single_ack(request.id, request.action, write_all(caller, deps, [intent]), deps)


@answers(SlotUpdate)
def slot_update(request: SlotUpdate, caller: Caller, deps: Collaborators) -> Ack:
    intent = slot_update_intent(request, caller.request_key)
    return single_ack(request.id, request.action, write_all(caller, deps, [intent]), deps)


@answers(SlotMove)
def slot_move(request: SlotMove, caller: Caller, deps: Collaborators) -> Ack:
    """Another station and optionally another time; broadcast reaches both stations."""
    intent = slot_move_intent(request, caller.request_key)
    return single_ack(request.id, request.action, write_all(caller, deps, [intent]), deps)


def slot_create_intent(request: SlotCreate, request_key: str, label: str = "") -> Intent:
    fields = request.slot.model_dump()
    item_id = fields.pop("id")
    return Intent(
        request.action,
        "slot",
        item_id,
        None,
        fields,
        request_key,
        allow_overlap=request.allow_overlap,
        label=label,
    )


def slot_update_intent(request: SlotUpdate, request_key: str, label: str = "") -> Intent:
    return Intent(
        request.action,
        "slot",
        request.slot_id,
        request.version,
        _slot_changes(request),
        request_key,
        allow_overlap=request.allow_overlap,
        label=label,
    )


def _slot_changes(request: SlotUpdate) -> dict[str, Any]:
    """The fields set and the actual times cleared; the whole slot is validated after
    (an end left without its start, or before it, is `invalid`)."""
    cleared: dict[str, None] = dict.fromkeys(request.clear)
    if not cleared:
        return require_changes(request.changes)
    named = request.changes.model_dump(exclude_none=True)
    both = sorted(set(named) & set(cleared))
    if both:
        raise InvalidRequest(f"`{both[0]}` is both set in `changes` and cleared")
    return {**named, **cleared}


def slot_move_intent(request: SlotMove, request_key: str, label: str = "") -> Intent:
    changes = request.model_dump(include={"station_id", "starts_at", "ends_at"}, exclude_none=True)
    return Intent(
        request.action,
        "slot",
        request.slot_id,
        request.version,
        changes,
        request_key,
        allow_overlap=request.allow_overlap,
        label=label,
    )


# ---------------------------------------------------------------------------------------
# running late
# ---------------------------------------------------------------------------------------
@answers(ScheduleShift)
def schedule_shift(request: ScheduleShift, caller: Caller, deps: Collaborators) -> Ack:
    """Move the rest of a station's (or every station's) day by `minutes`, all or none."""
    if request.minutes == 0:
        raise InvalidRequest("`minutes` must not be 0: nothing would move")
    delta = timedelta(minutes=request.minutes)
    start = request.starting_at or datetime.fromtimestamp(deps.clock(), UTC)
    outcome: list[Slot] = []
    duplicate = False

    def prepare(rev: int) -> list[PlannedWrite]:
        nonlocal outcome, duplicate
        day = deps.coordination.items_of_type(caller.media_day, "slot")
        slots = [s for s in day if isinstance(s, Slot)]
        mine = [s for s in slots if s.request_key == caller.request_key]
        if mine:  # an earlier attempt of this very request committed
            outcome, duplicate = mine, True
            return []
        moving = [s for s in slots if _shifts(s, request, start)]
        if not moving:
            where = f"station {request.station_id}" if request.station_id else "any station"
            raise NotFound(
                f"no slot of {where} starts at or after {start.isoformat()}: nothing to shift"
            )
        if len(moving) > MAX_TRANSACTION_ITEMS:
            raise BatchTooLarge(
                f"the shift would move {len(moving)} slots; one transaction holds at most "
                f"{MAX_TRANSACTION_ITEMS}: shift one station at a time or from a later time"
            )
        moved = [_shifted(s, delta, request.allow_overlap) for s in moving]
        if not request.allow_overlap:
            moved_ids = {s.id for s in moved}
            stations = {s.station_id for s in moved}
            kept = [s for s in slots if s.id not in moved_ids and s.station_id in stations]
            check_station(moved, kept)
            check_bookings(moved, moved, _from_day(slots))
        outcome = moved
        return [PlannedWrite(s, s.version, False, caller.request_key) for s in moved]

    committed = deps.coordination.commit_many(caller.media_day, prepare, actor=caller.actor)
    if duplicate:
        written = Written(sorted(outcome, key=lambda s: s.rev), list(range(len(outcome))))
    else:
        written = Written(list(committed), [])
    return written_ack(request.id, request.action, written, deps)


def _shifts(slot: Slot, request: ScheduleShift, start: datetime) -> bool:
    if request.station_id is not None and slot.station_id != request.station_id:
        return False
    if slot.actual_end is not None:  # done: history, never moved
        return False
    if slot.starts_at >= start:
        return True
    return request.include_current and slot.starts_at < start < slot.ends_at


def _shifted(slot: Slot, delta: timedelta, allow_overlap: bool) -> Slot:
    return slot.model_copy(
        update={
            "starts_at": slot.starts_at + delta,
            "ends_at": slot.ends_at + delta,
            "planned_starts_at": slot.planned_starts_at or slot.starts_at,
            "planned_ends_at": slot.planned_ends_at or slot.ends_at,
            "overlap_allowed": allow_overlap,
        }
    )


def _from_day(slots: list[Slot]) -> TalentSlots:
    """The athlete reader of `check_bookings`, from the day's slots the shift already
    read: a shift's check costs no Query beyond that one."""

    def read(talent_id: str, earliest: datetime, latest: datetime) -> list[Slot]:
        return [s for s in slots if s.talent_id == talent_id and earliest <= s.starts_at <= latest]

    return read


# ---------------------------------------------------------------------------------------
# actual times
# ---------------------------------------------------------------------------------------
@answers(SlotArrive)
def slot_arrive(request: SlotArrive, caller: Caller, deps: Collaborators) -> Ack:
    """The crew of the slot's station (or a producer) marks the athlete arrived, now."""

    def check(slot: Slot) -> None:
        if slot.actual_start is not None:
            raise InvalidState(
                f"slot {slot.id} is already marked arrived at {slot.actual_start.isoformat()}"
            )

    return _mark_now(request, caller, deps, "actual_start", check)


@answers(SlotDone)
def slot_done(request: SlotDone, caller: Caller, deps: Collaborators) -> Ack:
    """The crew marks the athlete done, now: the slot under way ends on its screen."""

    def check(slot: Slot) -> None:
        if slot.actual_start is None:
            raise InvalidState(f"slot {slot.id} is not marked arrived: mark it arrived first")
        if slot.actual_end is not None:
            raise InvalidState(
                f"slot {slot.id} is already marked done at {slot.actual_end.isoformat()}"
            )

    return _mark_now(request, caller, deps, "actual_end", check)


def _mark_now(
    request: SlotArrive | SlotDone,
    caller: Caller,
    deps: Collaborators,
    field: str,
    check: Callable[[Slot], None],
) -> Ack:
    """Set one of the slot's actual times to the server's now, once `check` allows it."""
    now = datetime.fromtimestamp(deps.clock(), UTC)
    return edit(
        request,
        caller,
        deps,
        Slot,
        request.slot_id,
        version=request.version,
        changes={field: now},
        check=check,
    )
