"""The fake server's live-day writes: `schedule.shift`, `slot.arrive` / `slot.done` and
`notice.post` (`notice.clear` is the store's plain delete), with the real service's role
rules; and the producer-only `devices` topic's snapshot. Refusals the CLI must word
(`double_booked`, `batch_too_large`, ...) are scripted with the server's `fail_next`."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.unit.client.fake_day import Caller
    from tests.unit.client.fake_store import FakeStore

# Actions a crew may send (its own station's items only), as in messaging.authorization.
CREW_ACTIONS = frozenset({"call.ack", "shot.set_status", "slot.arrive", "slot.done"})


def live_day_write(store: FakeStore, caller: Caller, request: Any) -> dict[str, Any] | None:
    """The answer to a live-day action, or None when the action is not one of them."""
    if request.action == "schedule.shift":
        return _shift(store, caller, request)
    if request.action in ("slot.arrive", "slot.done"):
        return _mark(store, caller, request)
    if request.action == "notice.post":
        return _post_notice(store, caller, request)
    return None


def devices_snapshot(store: FakeStore, caller: Caller) -> list[dict[str, Any]] | str:
    """The devices the fake pretends are connected, or why the caller may not see them."""
    if caller.role != "producer":
        return f"a {caller.role} connection may not watch devices"
    return list(getattr(store, "devices", []))


def _shift(store: FakeStore, caller: Caller, request: Any) -> dict[str, Any]:
    if caller.role != "producer":
        return store._error(request.id, "forbidden", f"a {caller.role} may not shift")
    if request.minutes == 0:
        return store._error(request.id, "invalid", "`minutes` must not be 0: nothing would move")
    starting = request.starting_at or datetime.fromtimestamp(store.now_ms() / 1000, UTC)
    delta = timedelta(minutes=request.minutes)
    moved = []
    for slot in sorted(store.live("slot"), key=lambda s: s["starts_at"]):
        begins = datetime.fromisoformat(slot["starts_at"])
        if request.station_id not in (None, slot["station_id"]) or begins < starting:
            continue
        ends = datetime.fromisoformat(slot["ends_at"])
        changes = {
            "planned_starts_at": slot.get("planned_starts_at", slot["starts_at"]),
            "planned_ends_at": slot.get("planned_ends_at", slot["ends_at"]),
            "starts_at": (begins + delta).isoformat(),
            "ends_at": (ends + delta).isoformat(),
            "request_key": f"{caller.subject}/{request.id}",
        }
        moved.append(store.put({**slot, **changes}))
    return store._ack(request, items=moved, rev=store.rev)


def _mark(store: FakeStore, caller: Caller, request: Any) -> dict[str, Any]:
    if caller.role == "kiosk":
        return store._error(request.id, "forbidden", "a kiosk may not write")
    slot = store.items.get(("slot", request.slot_id))
    if slot is None or slot["deleted"]:
        return store._error(request.id, "not_found", f"no slot {request.slot_id}")
    if caller.role == "crew" and slot["station_id"] != caller.station:
        return store._error(
            request.id, "forbidden", f"slot {slot['id']} is at {slot['station_id']}, not yours"
        )
    if slot["version"] != request.version:
        return store._error(request.id, "conflict", f"stale version {request.version}", slot)
    field, earlier = (
        ("actual_start", None)
        if request.action == "slot.arrive"
        else ("actual_end", "actual_start")
    )
    if earlier is not None and slot.get(earlier) is None:
        return store._error(request.id, "invalid_state", f"mark slot {slot['id']} arrived first")
    if slot.get(field) is not None:
        return store._error(request.id, "invalid_state", f"slot {slot['id']} is already marked")
    now = datetime.fromtimestamp(store.now_ms() / 1000, UTC).isoformat()
    stored = store.put({**slot, field: now, "request_key": f"{caller.subject}/{request.id}"})
    return store._ack(request, item=stored, version=stored["version"], rev=stored["rev"])


def _post_notice(store: FakeStore, caller: Caller, request: Any) -> dict[str, Any]:
    if caller.role != "producer":
        return store._error(request.id, "forbidden", f"a {caller.role} may not post notices")
    fields = request.notice.model_dump(mode="json", exclude_none=True)
    key = f"{caller.subject}/{request.id}"
    notice_id = fields.pop("id", None) or f"nt-{hashlib.sha256(key.encode()).hexdigest()[:16]}"
    stored = store.put(
        {
            "type": "notice",
            "id": notice_id,
            **fields,
            "posted_by": caller.subject,
            "request_key": key,
        }
    )
    return store._ack(request, item=stored, version=stored["version"], rev=stored["rev"])
