"""`batch`: many writes in one request, applied all or nothing with consecutive revs.

Each write is a request of the protocol's own (slot, shot, station and talent writes) with
its own `id`: its request key (`<subject>/<write id>`) is what a retry, or a re-run import
that groups rows differently, is recognised by. Everything is checked first (roster, item,
version, state, double-booking) and then written in ONE DynamoDB transaction, so at most
`MAX_BATCH_WRITES` (99: 100 actions less the rev counter) writes, each item once.

Rate limit: the message counts once, like any other, and the batch adds one more count
per started ten writes (`extra_cost`): a full batch of 99 costs 11 of the minute's
messages, a tenth of what the same writes cost one by one.
"""

from __future__ import annotations

from typing import Any

from mediaday.coordination import MAX_TRANSACTION_ITEMS
from mediaday.errors import BatchTooLarge, RateLimited
from mediaday.protocol import (
    MAX_BATCH_WRITES,
    Ack,
    Batch,
    ShotAdd,
    ShotDelete,
    ShotSetStatus,
    ShotUpdate,
    SlotCreate,
    SlotDelete,
    SlotMove,
    SlotUpdate,
    StationPut,
    TalentPut,
)
from messaging.actions import answers
from messaging.context import Caller, Collaborators
from messaging.edits import require_changes
from messaging.schedule_ops import slot_create_intent, slot_move_intent, slot_update_intent
from messaging.writes import Intent, write_all, written_ack

WRITES_PER_EXTRA_COUNT = 10
assert MAX_BATCH_WRITES == MAX_TRANSACTION_ITEMS


def extra_cost(writes: int) -> int:
    """Counts a batch adds to the rate limit beyond its own message: one per started ten."""
    return -(-writes // WRITES_PER_EXTRA_COUNT)


@answers(Batch)
def batch(request: Batch, caller: Caller, deps: Collaborators) -> Ack:
    """Check every write, then apply them all in one transaction (or none)."""
    if len(request.writes) > MAX_BATCH_WRITES:
        raise BatchTooLarge(
            f"{len(request.writes)} writes in one batch: at most {MAX_BATCH_WRITES} fit one "
            "transaction; split it into several batches"
        )
    _charge(request, caller, deps)
    intents = [
        _intent(write, f"{caller.connection.subject}/{write.id}", f"writes[{n}] {write.action}")
        for n, write in enumerate(request.writes)
    ]
    return written_ack(request.id, request.action, write_all(caller, deps, intents), deps)


def _charge(request: Batch, caller: Caller, deps: Collaborators) -> None:
    now = deps.clock()
    count = deps.connections.count_message(
        caller.connection.connection_id, now=now, weight=extra_cost(len(request.writes))
    )
    if count > deps.rate_limit_per_minute:
        retry_in = 60 - int(now) % 60
        cost = 1 + extra_cost(len(request.writes))
        raise RateLimited(
            f"this batch of {len(request.writes)} writes counts {cost} messages, over the "
            f"{deps.rate_limit_per_minute} a minute; retry in {retry_in} s"
        )


def _intent(write: Any, key: str, label: str) -> Intent:
    """The batch write as an item write (the same fields its own action would write)."""
    if isinstance(write, SlotCreate):
        return slot_create_intent(write, key, label)
    if isinstance(write, SlotUpdate):
        return slot_update_intent(write, key, label)
    if isinstance(write, SlotMove):
        return slot_move_intent(write, key, label)
    if isinstance(write, SlotDelete):
        return Intent(write.action, "slot", write.slot_id, write.version, None, key, label=label)
    if isinstance(write, ShotAdd):
        fields = write.shot.model_dump()
        return Intent(write.action, "shot", fields.pop("id"), None, fields, key, label=label)
    if isinstance(write, ShotUpdate):
        changes = require_changes(write.changes)
        return Intent(write.action, "shot", write.shot_id, write.version, changes, key, label=label)
    if isinstance(write, ShotSetStatus):
        changes = {"status": write.status}
        return Intent(write.action, "shot", write.shot_id, write.version, changes, key, label=label)
    if isinstance(write, ShotDelete):
        return Intent(write.action, "shot", write.shot_id, write.version, None, key, label=label)
    if isinstance(write, StationPut | TalentPut):
        item_type = "station" if isinstance(write, StationPut) else "talent"
        fields = (write.station if isinstance(write, StationPut) else write.talent).model_dump()
        item_id = fields.pop("id")
        if write.version is not None:  # a put with a version replaces every field
            return Intent(write.action, item_type, item_id, write.version, fields, key, label=label)
        return Intent(write.action, item_type, item_id, None, fields, key, label=label)
    raise AssertionError(f"unhandled batch write {write.action}")  # pragma: no cover
