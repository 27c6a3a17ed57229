"""The double-booking rule: one athlete is never in two overlapping slots, unless the write
that made the overlap said so (`allow_overlap`, recorded on the slot as `overlap_allowed`).

The check is pure: the caller hands it the slots a request writes and a way to read one
athlete's stored slots around a time (`CoordinationStore.slots_of_talent`, one Query of
the `by_talent` index), so its cost is one Query per athlete the request books, whatever
the size of the day. Run inside `CoordinationStore.commit_many`'s `prepare`, it holds at
commit time: a slot written by anyone meanwhile moves the rev counter and the check runs
again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from mediaday.errors import DoubleBooked
from mediaday.models import MAX_SLOT_DURATION, Slot

# (talent_id, earliest start, latest start) -> that athlete's live slots starting in range
TalentSlots = Callable[[str, datetime, datetime], Sequence[Slot]]
_MAX_NAMED = 5


def overlaps(first: Slot, second: Slot) -> bool:
    """Half-open intervals: a slot ending at 14:10 and one starting at 14:10 do not."""
    return first.starts_at < second.ends_at and second.starts_at < first.ends_at


def booking_changed(before: Slot | None, after: Slot) -> bool:
    """Whether a write books the athlete anew (new slot, other athlete or other times)."""
    if after.deleted:
        return False
    if before is None or before.deleted:
        return True
    return (before.talent_id, before.starts_at, before.ends_at) != (
        after.talent_id,
        after.starts_at,
        after.ends_at,
    )


def check_bookings(written: Sequence[Slot], checked: Iterable[Slot], read: TalentSlots) -> None:
    """Refuse (DoubleBooked) when a slot of `checked` overlaps another slot of its athlete.

    `written` is every slot the request writes (tombstones included): their stored
    versions are replaced by these. `checked` are the written slots whose booking changed
    and whose write did not allow an overlap. One `read` per athlete of `checked`.
    """
    by_talent: dict[str, list[Slot]] = {}
    for slot in checked:
        by_talent.setdefault(slot.talent_id, []).append(slot)
    windows = talent_windows(checked)
    written_ids = {slot.id for slot in written}
    for talent_id, slots in by_talent.items():
        earliest, latest = windows[talent_id]
        stored = [s for s in read(talent_id, earliest, latest) if s.id not in written_ids]
        in_request = [s for s in written if s.talent_id == talent_id and not s.deleted]
        everyone = stored + in_request
        for slot in slots:
            others = [o for o in everyone if o.id != slot.id and overlaps(slot, o)]
            if others:
                raise DoubleBooked(
                    f"athlete {talent_id} would be in two places at once: slot {slot.id} "
                    f"({describe(slot)}) overlaps {_names(others)}; send allow_overlap: true "
                    "to book it anyway"
                )


def talent_windows(checked: Iterable[Slot]) -> dict[str, tuple[datetime, datetime]]:
    """Per athlete, the start times a slot overlapping one of `checked` can have: from the
    longest slot (12 h) before the earliest start to the latest end. What `check_bookings`
    reads, so a caller may read the athletes concurrently beforehand."""
    windows: dict[str, tuple[datetime, datetime]] = {}
    for slot in checked:
        earliest, latest = slot.starts_at - MAX_SLOT_DURATION, slot.ends_at
        if slot.talent_id in windows:
            known = windows[slot.talent_id]
            earliest, latest = min(earliest, known[0]), max(latest, known[1])
        windows[slot.talent_id] = (earliest, latest)
    return windows


def check_station(moved: Sequence[Slot], kept: Iterable[Slot]) -> None:
    """A shift may not push a station's slot over one of its slots that stays put."""
    kept_list = list(kept)
    for slot in moved:
        others = [o for o in kept_list if o.station_id == slot.station_id and overlaps(slot, o)]
        if others:
            raise DoubleBooked(
                f"station {slot.station_id} would hold two slots at once: slot {slot.id} "
                f"({describe(slot)}) overlaps {_names(others)}, which the shift keeps; "
                "send allow_overlap: true to shift anyway"
            )


def describe(slot: Slot) -> str:
    return f"{slot.station_id} {slot.starts_at.strftime('%H:%M')}-{slot.ends_at.strftime('%H:%M')}"


def _names(others: Sequence[Slot]) -> str:
    shown = ", ".join(f"slot {o.id} ({describe(o)})" for o in others[:_MAX_NAMED])
    more = len(others) - _MAX_NAMED
    return shown + (f" and {more} more" if more > 0 else "")
