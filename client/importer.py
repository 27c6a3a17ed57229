"""Applying validated spreadsheet rows: plan each row against the mirror, then write.

Planning is pure: a row whose `id` names a live item becomes the smallest set of edits
that makes the item match the row (nothing when it already does); any other row is a
create. Writing sends each row's steps in order (a step that edits the item just written
uses that write's version) with a few rows in flight at a time, and request ids derived
from the row, so a re-run after a crash finds its earlier writes acknowledged as
duplicates or sees the rows as unchanged.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from client.connection import MediaDayClient
from client.csvio import CsvInvalid, RowError, ShotRow, SlotRow, request_id
from client.errors import (
    RateLimitedError,
    RequestFailed,
    RequestTimeout,
    ServerError,
)
from client.mirror import Mirror
from mediaday.backoff import Backoff
from mediaday.models import Shot, ShotStatus, Slot
from mediaday.protocol import Ack

_MAX_ATTEMPTS = 6
# A busy or silent server: retry the same id after 0-0.4 s, 0-0.8 s, ... at most 5 s.
_RETRY_BACKOFF = Backoff(base=0.4, cap=5.0)


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


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: list[RowError] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


# -- planning -------------------------------------------------------------------------------
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
            plans.append(RowPlan(row.line, row.key, "slot", "create", (create,)))
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
        plans.append(_edit_plan(row.line, row.key, "slot", current, steps))
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


# -- writing --------------------------------------------------------------------------------
async def apply_plans(
    client: MediaDayClient,
    plans: Sequence[RowPlan],
    *,
    concurrency: int = 8,
    on_row_done: Callable[[RowPlan], None] | None = None,
    rng: random.Random | None = None,
) -> ImportResult:
    """Write every plan; stops starting rows at the first refusal (reported by line)."""
    result = ImportResult()
    gate = asyncio.Semaphore(concurrency)
    stop = asyncio.Event()
    jitter = rng or random.Random()  # noqa: S311 (jitter, not secrets)

    async def run(plan: RowPlan) -> None:
        async with gate:
            if stop.is_set():
                return
            try:
                wrote = await _apply_row(client, plan, jitter)
            except (RequestFailed, RequestTimeout) as error:
                stop.set()
                result.failures.append(RowError(plan.line, f"{error.code}: {error.message}"))
                return
            if not wrote:  # unchanged, or every write was already applied by an earlier run
                result.unchanged += 1
            elif plan.outcome == "create":
                result.created += 1
            else:
                result.updated += 1
            if on_row_done is not None:
                on_row_done(plan)

    await asyncio.gather(*(run(plan) for plan in plans))
    result.failures.sort(key=lambda failure: failure.line)
    return result


async def _apply_row(client: MediaDayClient, plan: RowPlan, rng: random.Random) -> bool:
    """Send the row's steps in order; whether anything was written this time."""
    wrote = False
    item_id, version = plan.item_id, plan.version
    for number, step in enumerate(plan.steps):
        fields = dict(step.fields)
        if step.edits_item:
            fields[f"{plan.item_type}_id"] = item_id
            fields["version"] = version
        rid = request_id(plan.key, f"{number}:{step.action}:v{version}")
        ack = await _send(client, step.action, rid, fields, rng)
        wrote = wrote or not ack.duplicate
        if ack.item is not None:
            item_id, version = str(ack.item["id"]), ack.version or ack.item.get("version")
    return wrote


def rate_limit_pause(server_time: float, rng: random.Random) -> float:
    """Seconds until the server's next minute (the rate limit counts per fixed minute),
    plus a little jitter so the rows in flight do not all come back at once."""
    return 60.0 - server_time % 60.0 + rng.uniform(0.0, 1.0)


async def _send(
    client: MediaDayClient, action: str, rid: str, fields: dict[str, Any], rng: random.Random
) -> Ack:
    """One request, retried with the same id while the failure is temporary."""
    for attempt in range(1, _MAX_ATTEMPTS + 1):
        try:
            return await client.request(action, request_id=rid, **fields)
        except RateLimitedError:
            if attempt == _MAX_ATTEMPTS:
                raise
            await asyncio.sleep(rate_limit_pause(client.server_time(), rng))
        except (ServerError, RequestTimeout):
            if attempt == _MAX_ATTEMPTS:
                raise
            await asyncio.sleep(_RETRY_BACKOFF.delay(attempt, rng.uniform))
    raise AssertionError("unreachable")  # pragma: no cover
