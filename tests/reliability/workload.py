"""Writers making changes at once, and a ledger of every answer they got.

Producers create, edit, move and delete slots, edit shot lists, push and cancel calls, and
all of them keep editing the same few "hot" slots with the version their own mirror shows,
so they collide. Crews mark shots of their station. A refused write (`conflict`) is never
applied: the writer re-reads the item from the error and tries again, as a person would.
A request that timed out or met a busy server is retried with the same request id, which
the service recognises (`duplicate: true`), so nothing is applied twice.

Every answer goes into a Ledger (ledger.py); the roster, the hot slots and the patient
setup write are in roster.py.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from client.connection import MediaDayClient
from client.errors import (
    ClientClosed,
    ConflictError,
    DoubleBookedError,
    ForbiddenError,
    InvalidError,
    InvalidStateError,
    NotFoundError,
)
from mediaday.models import Call, CallState, Item, Shot, Slot, parse_item
from tests.reliability.ledger import Ledger, WriteAck
from tests.reliability.roster import BASE_TIME, HOT_PREFIX, POISON_PREFIX, RESEND, RETRYABLE

WORKLOAD_PREFIX = "rl-"


Request = tuple[str, dict[str, Any]]  # action and fields
Operation = Callable[[MediaDayClient, random.Random, Item | None], Request | None]


# -- operations: each builds a request from what the writer's mirror shows -----------------
def _slot_times(rng: random.Random) -> tuple[str, str]:
    begins = BASE_TIME + timedelta(minutes=5 * rng.randrange(0, 200))
    return begins.isoformat(), (begins + timedelta(minutes=rng.choice((10, 15, 20)))).isoformat()


def _pick(items: Sequence[Any], rng: random.Random) -> Any | None:
    return rng.choice(items) if items else None


def _editable_slots(client: MediaDayClient) -> list[Slot]:
    return [s for s in client.mirror.slots() if not s.id.startswith((HOT_PREFIX, POISON_PREFIX))]


class Operations:
    """The changes writers make; `stations` and `talent` come from the demo roster."""

    def __init__(self, stations: list[str], talent: list[str]) -> None:
        self.stations = stations
        self.talent = talent

    def create_slot(self, client: MediaDayClient, rng: random.Random, _: Item | None) -> Request:
        starts, ends = _slot_times(rng)
        slot = {
            "id": f"{WORKLOAD_PREFIX}{uuid.uuid4().hex[:12]}",
            "station_id": rng.choice(self.stations),
            "talent_id": rng.choice(self.talent),
            "starts_at": starts,
            "ends_at": ends,
            "title": f"created {rng.randrange(10**6)}",
        }
        return "slot.create", {"slot": slot}

    def update_slot(
        self, client: MediaDayClient, rng: random.Random, current: Item | None
    ) -> Request | None:
        slot = current if isinstance(current, Slot) else _pick(_editable_slots(client), rng)
        if slot is None:
            return None
        title = f"edited {rng.randrange(10**6)}"
        return "slot.update", {
            "slot_id": slot.id,
            "version": slot.version,
            "changes": {"title": title},
        }

    def move_slot(
        self, client: MediaDayClient, rng: random.Random, current: Item | None
    ) -> Request | None:
        slot = current if isinstance(current, Slot) else _pick(_editable_slots(client), rng)
        if slot is None:
            return None
        others = [s for s in self.stations if s != slot.station_id]
        return "slot.move", {
            "slot_id": slot.id,
            "version": slot.version,
            "station_id": rng.choice(others),
        }

    def delete_slot(
        self, client: MediaDayClient, rng: random.Random, current: Item | None
    ) -> Request | None:
        if isinstance(current, Slot):
            slot: Slot | None = current
        else:
            ours = [s for s in _editable_slots(client) if s.id.startswith(WORKLOAD_PREFIX)]
            slot = _pick(ours, rng)
        if slot is None:
            return None
        return "slot.delete", {"slot_id": slot.id, "version": slot.version}

    def edit_hot_slot(
        self, client: MediaDayClient, rng: random.Random, current: Item | None
    ) -> Request | None:
        """Everyone edits the same few slots with the version they last saw: conflicts."""
        if isinstance(current, Slot):
            slot: Slot | None = current
        else:
            slot = _pick([s for s in client.mirror.slots() if s.id.startswith(HOT_PREFIX)], rng)
        if slot is None:
            return None
        title = f"hot edit {rng.randrange(10**6)}"
        return "slot.update", {
            "slot_id": slot.id,
            "version": slot.version,
            "changes": {"title": title},
        }

    def edit_shot(
        self, client: MediaDayClient, rng: random.Random, current: Item | None
    ) -> Request | None:
        shot = current if isinstance(current, Shot) else _pick(client.mirror.shots(), rng)
        if shot is None:
            return None
        return "shot.update", {
            "shot_id": shot.id,
            "version": shot.version,
            "changes": {"description": f"shot {rng.randrange(10**6)}"},
        }

    def push_call(self, client: MediaDayClient, rng: random.Random, _: Item | None) -> Request:
        call = {
            "id": f"{WORKLOAD_PREFIX}call-{uuid.uuid4().hex[:10]}",
            "talent_id": rng.choice(self.talent),
            "station_id": rng.choice(self.stations),
            "note": f"to the station, now ({rng.randrange(1000)})",
        }
        return "call.push", {"call": call}

    def cancel_call(
        self, client: MediaDayClient, rng: random.Random, current: Item | None
    ) -> Request | None:
        active = [c for c in client.mirror.calls() if c.state is CallState.PENDING]
        call = current if isinstance(current, Call) else _pick(active, rng)
        if call is None or call.state is CallState.CANCELLED:
            return None
        return "call.cancel", {"call_id": call.id, "version": call.version}

    def mark_shot(
        self, client: MediaDayClient, rng: random.Random, current: Item | None
    ) -> Request | None:
        """A crew marks a shot of its station captured or skipped (or pending again)."""
        shot = current if isinstance(current, Shot) else _pick(client.mirror.shots(), rng)
        if shot is None:
            return None
        status = rng.choice([s for s in ("pending", "captured", "skipped") if s != shot.status])
        return "shot.set_status", {"shot_id": shot.id, "version": shot.version, "status": status}

    # -- running the day (issue #14): shifts and batches race the single edits above -----
    def shift_station(self, client: MediaDayClient, rng: random.Random, _: Item | None) -> Request:
        """Running late (or early) from some time on: every later slot moves at once."""
        starts = BASE_TIME + timedelta(minutes=5 * rng.randrange(0, 200))
        return "schedule.shift", {
            "station_id": rng.choice(self.stations),
            "minutes": rng.choice((-5, -1, 1, 5, 10)),
            "starting_at": starts.isoformat(),
            "allow_overlap": rng.random() < 0.5,  # else double_booked now and then
        }

    def batch_edit(
        self, client: MediaDayClient, rng: random.Random, _: Item | None
    ) -> Request | None:
        """A few slots (hot ones included) retitled and a slot created, all or nothing,
        from the versions this writer's mirror shows: conflicts with single edits."""
        slots = [s for s in client.mirror.slots() if not s.id.startswith(POISON_PREFIX)]
        picked = rng.sample(slots, min(len(slots), rng.randrange(1, 5)))
        writes: list[dict[str, Any]] = [
            {
                "action": "slot.update",
                "id": uuid.uuid4().hex,
                "slot_id": slot.id,
                "version": slot.version,
                "changes": {"title": f"batch {rng.randrange(10**6)}"},
            }
            for slot in picked
        ]
        _, create = self.create_slot(client, rng, None)
        writes.append(
            {"action": "slot.create", "id": uuid.uuid4().hex, "allow_overlap": True, **create}
        )
        return "batch", {"writes": writes}

    def post_notice(self, client: MediaDayClient, rng: random.Random, _: Item | None) -> Request:
        notice = {
            "id": f"{WORKLOAD_PREFIX}nt-{uuid.uuid4().hex[:10]}",
            "text": f"notice {rng.randrange(10**6)}",
            "level": rng.choice(("info", "urgent")),
            "stations": rng.sample(self.stations, rng.randrange(0, 2)),
        }
        return "notice.post", {"notice": notice}

    def mark_arrival(
        self, client: MediaDayClient, rng: random.Random, current: Item | None
    ) -> Request | None:
        """A crew marks the athlete of one of its station's slots arrived, later done."""
        slots = [current] if isinstance(current, Slot) else client.mirror.slots()
        open_slots = [
            s for s in slots if s.actual_end is None and not s.id.startswith(POISON_PREFIX)
        ]
        slot = _pick(open_slots, rng)
        if slot is None:
            return None
        action = "slot.arrive" if slot.actual_start is None else "slot.done"
        return action, {"slot_id": slot.id, "version": slot.version}

    def producer_mix(self) -> list[tuple[Operation, int]]:
        return [
            (self.create_slot, 20),
            (self.update_slot, 18),
            (self.move_slot, 10),
            (self.delete_slot, 8),
            (self.edit_hot_slot, 22),
            (self.edit_shot, 10),
            (self.push_call, 8),
            (self.cancel_call, 4),
            (self.shift_station, 3),
            (self.batch_edit, 5),
            (self.post_notice, 2),
        ]

    def crew_mix(self) -> list[tuple[Operation, int]]:
        return [(self.mark_shot, 3), (self.mark_arrival, 1)]


# -- running them ---------------------------------------------------------------------------
class Workload:
    """`changes` operations spread over the writers, `per_writer` in flight on each."""

    def __init__(
        self,
        writers: Sequence[tuple[str, MediaDayClient, list[tuple[Operation, int]]]],
        *,
        changes: int,
        per_writer: int = 3,
        seed: int = 0,
        max_conflict_retries: int = 8,
        max_same_id_retries: int = 20,
        pace: float = 0.0,
        fallback: Operation | None = None,
    ) -> None:
        self.writers = writers
        self.changes = changes
        self.per_writer = per_writer
        self.rng = random.Random(seed)
        self.max_conflict_retries = max_conflict_retries
        self.max_same_id_retries = max_same_id_retries
        self.pace = pace  # seconds each worker waits between operations
        self.fallback = fallback  # when an operation finds nothing to change (no slot yet)
        self.ledger = Ledger()
        self._started = 0
        self.on_ack: Callable[[WriteAck], None] | None = None

    def stop(self) -> None:
        """Start no more operations (those under way finish, retries included)."""
        self.changes = min(self.changes, self._started)

    async def run(self, *, within: float) -> Ledger:
        """Run every operation; TimeoutError if they take longer than `within`."""
        workers = [
            self._worker(name, client, mix, random.Random(self.rng.random()))
            for name, client, mix in self.writers
            for _ in range(self.per_writer)
        ]
        async with asyncio.timeout(within):
            await asyncio.gather(*workers)
        return self.ledger

    async def _worker(
        self,
        name: str,
        client: MediaDayClient,
        mix: list[tuple[Operation, int]],
        rng: random.Random,
    ) -> None:
        operations = [op for op, _ in mix]
        weights = [weight for _, weight in mix]
        while self._started < self.changes:
            self._started += 1
            self.ledger.operations += 1
            operation = rng.choices(operations, weights)[0]
            await self._perform(name, client, operation, rng)
            if self.pace:
                await asyncio.sleep(rng.uniform(0, 2 * self.pace))

    async def _perform(
        self, name: str, client: MediaDayClient, operation: Operation, rng: random.Random
    ) -> None:
        current: Item | None = None
        for _ in range(self.max_conflict_retries + 1):
            built = operation(client, rng, current)
            if built is None and current is None and self.fallback is not None:
                built = self.fallback(client, rng, None)
            if built is None:
                self.ledger.refused["nothing_to_do"] += 1
                return
            action, fields = built
            try:
                await self._send(name, client, action, fields)
            except ConflictError as conflict:
                self.ledger.conflicts += 1
                if conflict.current is None:
                    self.ledger.refused["conflict"] += 1
                    return
                current = parse_item(conflict.current)  # re-read, then try again
                continue
            except (
                NotFoundError,
                InvalidStateError,
                ForbiddenError,
                InvalidError,
                DoubleBookedError,
            ) as refused:
                # deleted or cancelled meanwhile, or the athlete is booked elsewhere then
                self.ledger.refused[refused.code] += 1
                return
            return
        self.ledger.refused["conflict"] += 1

    async def _send(
        self, name: str, client: MediaDayClient, action: str, fields: dict[str, Any]
    ) -> None:
        """One write, retried with the same id while the answer is lost or the server busy."""
        request_id = uuid.uuid4().hex
        started = time.monotonic()
        for attempt in range(self.max_same_id_retries + 1):
            try:
                ack = await client.request(action, request_id=request_id, **fields)
            except RETRYABLE as error:
                if attempt == self.max_same_id_retries:
                    self.ledger.gave_up.append(f"{action} {request_id}: {error}")
                    return
                self.ledger.retried[error.code] += 1
                await asyncio.sleep(RESEND.window(attempt + 1))
                continue
            except ClientClosed:
                self.ledger.gave_up.append(f"{action} {request_id}: client closed")
                return
            self.ledger.record(ack, action, request_id, time.monotonic() - started, name)
            if self.on_ack is not None:
                self.on_ack(self.ledger.acks[-1])
            return
