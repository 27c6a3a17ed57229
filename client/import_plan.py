"""Planning a spreadsheet import: each row against the mirror, pure and offline.

A row whose `id` names a live item becomes the smallest set of edits that makes the item
match the row (nothing when it already does); any other row is a create. Writing the plans
is `client.importer`'s job. Rows that would put one athlete in two overlapping slots are
bad rows (`client.bookings`), unless the import allows overlaps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from client.csvio import CsvInvalid, RowError, ShotRow, SlotRow
from client.mirror import Mirror
from mediaday.models import Shot, ShotStatus, Slot


@dataclass(frozen=True)
class Step:
    action: str
    fields: dict[str, Any]
    # True: the step edits the row's item, so it carries `<type>_id` and `version`
    edits_item: bool = True


@dataclass(frozen=True)
class RowPlan:
    line: int
    key: str
    item_type: Literal["slot", "shot"]
    outcome: Literal["create", "update", "unchanged"]
    steps: tuple[Step, ...] = ()
    item_id: str | None = None
    version: int | None = None
    # the athlete a slot row books: batches group rows by athlete (see _booking_order)
    talent_id: str = ""


def plan_schedule(rows: Sequence[SlotRow], mirror: Mirror) -> list[RowPlan]:
    plans = []
    for row in rows:
        new = row.slot
        current = mirror.get("slot", new.id) if new.id else None
        if not isinstance(current, Slot):
            create = Step(
                "slot.create",
                {"slot": new.model_dump(mode="json", exclude_none=True)},
                edits_item=False,
            )
            plans.append(
                RowPlan(row.line, row.key, "slot", "create", (create,), talent_id=new.talent_id)
            )
            continue
        steps: list[Step] = []
        if new.station_id != current.station_id:
            move = {
                "station_id": new.station_id,
                "starts_at": new.starts_at.isoformat(),
                "ends_at": new.ends_at.isoformat(),
            }
            steps.append(Step("slot.move", move))
            changes = _differences(new, current, ("talent_id", "title"))
        else:
            changes = _differences(new, current, ("talent_id", "starts_at", "ends_at", "title"))
        if changes:
            steps.append(Step("slot.update", {"changes": changes}))
        plan = _edit_plan(row.line, row.key, "slot", current, steps)
        plans.append(replace(plan, talent_id=new.talent_id or current.talent_id))
    return plans


def plan_shots(rows: Sequence[ShotRow], mirror: Mirror) -> list[RowPlan]:
    """Plans for every row; CsvInvalid when a row would move a shot to another station."""
    plans = []
    errors = []
    for row in rows:
        new = row.shot
        current = mirror.get("shot", new.id) if new.id else None
        if not isinstance(current, Shot):
            steps = [
                Step(
                    "shot.add",
                    {"shot": new.model_dump(mode="json", exclude_none=True)},
                    edits_item=False,
                )
            ]
            if row.status not in (None, ShotStatus.PENDING):
                steps.append(Step("shot.set_status", {"status": str(row.status)}))
            plans.append(RowPlan(row.line, row.key, "shot", "create", tuple(steps)))
            continue
        if new.station_id != current.station_id:
            errors.append(
                RowError(
                    row.line,
                    f"shot {current.id!r} belongs to station {current.station_id!r}: a shot "
                    "cannot move to another station (delete it or use a new id)",
                )
            )
            continue
        steps = []
        changes = _differences(new, current, ("talent_id", "description", "position"))
        if changes:
            steps.append(Step("shot.update", {"changes": changes}))
        if row.status is not None and row.status != current.status:
            steps.append(Step("shot.set_status", {"status": str(row.status)}))
        plans.append(_edit_plan(row.line, row.key, "shot", current, steps))
    if errors:
        raise CsvInvalid(errors)
    return plans


def _differences(new: Any, current: Any, names: Sequence[str]) -> dict[str, Any]:
    changes = {}
    for name in names:
        value = getattr(new, name)
        if value is not None and value != getattr(current, name):
            changes[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return changes


def _edit_plan(
    line: int,
    key: str,
    item_type: Literal["slot", "shot"],
    current: Slot | Shot,
    steps: list[Step],
) -> RowPlan:
    outcome: Literal["update", "unchanged"] = "update" if steps else "unchanged"
    return RowPlan(line, key, item_type, outcome, tuple(steps), current.id, current.version)
