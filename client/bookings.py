"""The double-booking rule on a spreadsheet, before anything is written: the CSV import
lists each row that would put an athlete in two overlapping slots, like any bad row."""

from __future__ import annotations

from collections.abc import Sequence

from client.csvio import RowError, SlotRow
from client.mirror import Mirror
from mediaday.booking import booking_changed, describe, overlaps
from mediaday.models import Slot


def double_bookings(rows: Sequence[SlotRow], mirror: Mirror) -> list[RowError]:
    """Rows that would leave an athlete in two overlapping slots (with another row or with
    a slot of the day the file does not change), each named by line: the service's rule
    (`mediaday.booking`), checked before anything is written. As on the service, a row
    that keeps its slot's athlete and times is not checked."""
    in_file = {row.slot.id for row in rows if row.slot.id}
    kept = [s for s in mirror.slots() if s.id not in in_file]
    booked = [(row, _as_slot(row)) for row in rows]
    errors = []
    for row, slot in booked:
        current = mirror.get("slot", slot.id)
        if not booking_changed(current if isinstance(current, Slot) else None, slot):
            continue
        clashes = [
            f"line {other_row.line}"
            for other_row, other in booked
            if other_row is not row and other.talent_id == slot.talent_id and overlaps(slot, other)
        ]
        clashes += [
            f"slot {other.id} ({describe(other)})"
            for other in kept
            if other.talent_id == slot.talent_id
            and overlaps(slot, other)
            and not _same_booking(slot, other)
        ]
        if clashes:
            errors.append(
                RowError(
                    row.line,
                    f"double_booked: athlete {slot.talent_id} would be in two places at once "
                    f"({describe(slot)} overlaps {', '.join(clashes)}); fix the times or "
                    "import with --allow-overlap",
                )
            )
    return errors


def _as_slot(row: SlotRow) -> Slot:
    fields = {**row.slot.model_dump(), "id": row.slot.id or f"line-{row.line}"}
    return Slot.model_validate({**fields, "media_day": "check"})


def _same_booking(row: Slot, other: Slot) -> bool:
    """A slot exactly like an id-less row is that row's earlier import (its id derives from
    the row's request): the re-run is answered as a duplicate, not a double-booking. The
    service decides anyway when it is not."""
    return (row.station_id, row.talent_id, row.starts_at, row.ends_at) == (
        other.station_id,
        other.talent_id,
        other.starts_at,
        other.ends_at,
    )
