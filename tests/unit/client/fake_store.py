"""The fake server's data and write rules, apart from its sockets: items in memory with
`version` and `rev` like the coordination store, the writes the client and CLI use, a
retried request recognised by its key, a batch applied all or none."""

from __future__ import annotations

import hashlib
import time
from abc import ABC, abstractmethod
from typing import Any

from mediaday.models import parse_item
from tests.unit.client.fake_day import MEDIA_DAY, Caller
from tests.unit.client.fake_liveday import CREW_ACTIONS, live_day_write

_NEW_FIELD = {"create": "slot", "add": "shot", "push": "call"}
_ID_PREFIX = {"slot": "sl", "shot": "sh", "call": "ca"}


class FakeStore(ABC):
    """What the fake server holds and how a write changes it; the server pushes changes."""

    def __init__(self, *, clock_offset: float = 0.0) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.rev = 0
        self.clock_offset = clock_offset
        self.lose_events = False

    @abstractmethod
    def _broadcast(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        """Push one stored change to its subscribers."""

    def now_ms(self) -> int:
        return int((time.time() + self.clock_offset) * 1000)

    # -- data ------------------------------------------------------------------------------
    def put(self, item: dict[str, Any], *, broadcast: bool = True) -> dict[str, Any]:
        """Store a change (as a producer would) and push it to subscribers."""
        key = (item["type"], item["id"])
        old = self.items.get(key)
        self.rev += 1
        stored = {
            "media_day": MEDIA_DAY,
            **item,
            "version": (old["version"] if old else 0) + 1,
            "rev": self.rev,
            "updated_at": self.now_ms(),
        }
        stored = parse_item(stored).model_dump(mode="json", exclude_none=True)
        self.items[key] = stored
        if broadcast and not self.lose_events:
            self._broadcast(old, stored)
        return stored

    def delete(self, item_type: str, item_id: str) -> dict[str, Any]:
        return self.put({**self.items[(item_type, item_id)], "deleted": True})

    def live(self, item_type: str) -> list[dict[str, Any]]:
        return [i for (t, _), i in self.items.items() if t == item_type and not i["deleted"]]

    # -- writes ----------------------------------------------------------------------------
    def _batch(self, caller: Caller, request: Any) -> dict[str, Any]:
        """Every write or none (the table is restored on a refusal); events go out only
        once all are applied, like one transaction's stream records."""
        saved_items, saved_rev, lose = dict(self.items), self.rev, self.lose_events
        self.lose_events = True
        items, duplicates, changes = [], [], []
        try:
            for n, write in enumerate(request.writes):
                answer = self._write(caller, write)
                if answer["type"] == "error":
                    self.items, self.rev = saved_items, saved_rev
                    return self._error(
                        request.id,
                        answer["code"],
                        f"writes[{n}] {write.action}: {answer['message']}",
                        current=answer.get("current"),
                    )
                if answer.get("duplicate"):
                    duplicates.append(n)
                else:
                    changes.append(answer["item"])
                items.append(answer["item"])
        finally:
            self.lose_events = lose
        if not self.lose_events:
            for item in changes:
                old = saved_items.get((item["type"], item["id"]))
                self._broadcast(old, item)
        return self._ack(
            request,
            items=items,
            rev=self.rev,
            duplicates=duplicates or None,
            duplicate=True if len(duplicates) == len(items) else None,
        )

    def _write(self, caller: Caller, request: Any) -> dict[str, Any]:
        if request.action == "batch":
            return self._batch(caller, request)
        key = f"{caller.subject}/{request.id}"
        for item in self.items.values():
            if item.get("request_key") == key:
                return self._ack(request, item=item, version=item["version"], duplicate=True)
        action: str = request.action
        live_day = live_day_write(self, caller, request)
        if live_day is not None:
            return live_day
        if caller.role == "kiosk" or (caller.role == "crew" and action not in CREW_ACTIONS):
            return self._error(request.id, "forbidden", f"a {caller.role} may not {action}")
        kind, _, verb = action.partition(".")
        if verb in _NEW_FIELD or (verb == "put" and request.version is None):
            return self._create(request, kind, getattr(request, _NEW_FIELD.get(verb, kind)), key)
        item_id = getattr(request, f"{kind}_id", None) or getattr(request, kind).id
        current = self.items.get((kind, item_id))
        if current is None or current["deleted"]:
            return self._error(request.id, "not_found", f"no {kind} {item_id}")
        if caller.role == "crew" and current.get("station_id") != caller.station:
            return self._error(request.id, "forbidden", "not your station")
        if current["version"] != request.version:
            return self._error(
                request.id, "conflict", f"stale version {request.version}", current=current
            )
        changes: dict[str, Any]
        if verb == "update":
            changes = request.changes.model_dump(mode="json", exclude_none=True)
        elif verb == "move":
            changes = request.model_dump(
                mode="json", exclude_none=True, include={"station_id", "starts_at", "ends_at"}
            )
        elif verb == "set_status":
            changes = {"status": request.status}
        elif verb == "ack":
            if current["state"] in ("done", "cancelled"):
                return self._error(request.id, "invalid_state", f"the call is {current['state']}")
            changes = {"state": request.state, "acked_by": caller.subject}
        elif verb == "cancel":
            changes = {"state": "cancelled"}
        elif verb == "put":
            changes = getattr(request, kind).model_dump(mode="json")
        else:
            changes = {"deleted": True}
        return self._store(request, {**current, **changes}, key)

    def _create(self, request: Any, kind: str, fields: Any, key: str) -> dict[str, Any]:
        item = {"type": kind, **fields.model_dump(mode="json", exclude_none=True)}
        if "id" not in item:
            digest = hashlib.sha256(key.encode()).hexdigest()[:16]
            item["id"] = f"{_ID_PREFIX[kind]}-{digest}"
        missing = self._missing_reference(item)
        if missing:
            return self._error(request.id, "not_found", missing)
        current = self.items.get((kind, item["id"]))
        if current is not None and not current["deleted"]:
            return self._error(request.id, "conflict", "exists", current=current)
        return self._store(request, item, key)

    def _store(self, request: Any, item: dict[str, Any], key: str) -> dict[str, Any]:
        """Write the item unless it names a station or talent not on the roster."""
        missing = self._missing_reference(item)
        if missing:
            return self._error(request.id, "not_found", missing)
        stored = self.put({**item, "request_key": key})
        return self._ack(request, item=stored, version=stored["version"], rev=stored["rev"])

    def _missing_reference(self, item: dict[str, Any]) -> str:
        for field, kind in (("station_id", "station"), ("talent_id", "talent")):
            ref = item.get(field)
            found = self.items.get((kind, ref)) if ref else None
            if ref and (found is None or found["deleted"]):
                return f"no {kind} {ref!r} on the roster"
        return ""

    # -- frames ----------------------------------------------------------------------------
    def _ack(self, request: Any, **fields: Any) -> dict[str, Any]:
        frame = {"type": "ack", "id": request.id, "action": request.action, **fields}
        return {k: v for k, v in frame.items() if v is not None} | {"server_time": self.now_ms()}

    def _error(
        self, request_id: Any, code: str, message: str, current: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        frame = {"type": "error", "id": request_id, "code": code, "message": message}
        if current is not None:
            frame["current"] = current
        return frame | {"server_time": self.now_ms()}
