"""The write path every write action shares, so an action states only what is its own.

A create checks the roster, builds the item and writes it. An edit (update or delete) checks
the roster, reads the item, checks the station and the version, revises, writes and acks.
The order of checks is fixed, so a client always learns the most useful thing first:
not_found (the roster, then the item), then forbidden (station), then conflict (stale
version), then invalid / invalid_state (the result would be wrong), and only then the write.
A retry of an edit already applied (same request key) is answered as a duplicate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from mediaday.coordination import WriteResult
from mediaday.errors import Conflict, InvalidRequest, NotFound
from mediaday.models import Call, Shot, Slot, Station, Talent, item_to_plain
from mediaday.protocol import Ack
from messaging.authorization import authorize_station
from messaging.context import Caller, Collaborators
from messaging.parsing import describe

# Items the store writes: a constrained variable keeps each helper's result its own type.
Editable = TypeVar("Editable", Slot, Shot, Call, Station, Talent)
_TYPE_NAME: dict[type[Any], str] = {
    Slot: "slot",
    Shot: "shot",
    Call: "call",
    Station: "station",
    Talent: "talent",
}
# Ids derived for creates that name none: "<prefix>-<hash of the request key>".
_ID_PREFIX = {"slot": "sl", "shot": "sh", "call": "ca", "notice": "nt"}
# A write's `<type>_id` fields that must name a live item of the day's roster, in this order.
_ROSTER_TYPES = ("station", "talent")


class Asked(Protocol):
    """What the write path reads off a request: the id and action its ack echoes."""

    @property
    def id(self) -> str: ...

    @property
    def action(self) -> str: ...


def create(
    request: Asked,
    caller: Caller,
    deps: Collaborators,
    model: type[Editable],
    fields: BaseModel,
    *,
    stamps: Mapping[str, Any] | None = None,
) -> Ack:
    """Create the item `fields` describe (their `id`, or one derived from the request);
    `stamps` are fields only the server sets (e.g. when a call was pushed)."""
    plain = fields.model_dump()
    _require_roster(deps, caller, plain)
    item_id = plain.pop("id") or derive_id(_TYPE_NAME[model], caller.request_key)
    item = _build(model, caller, {**plain, **(stamps or {})}, item_id)
    result = deps.coordination.create(item, actor=caller.actor, request_key=caller.request_key)
    return _ack(request, result, deps)


def edit(
    request: Asked,
    caller: Caller,
    deps: Collaborators,
    model: type[Editable],
    item_id: str,
    *,
    version: int,
    changes: Mapping[str, Any] | None,
    check: Callable[[Editable], None] | None = None,
    unless_set: Mapping[str, Any] | None = None,
) -> Ack:
    """Update a live item the client saw at `version` with `changes` (None: delete it).

    `check` refuses a change the item's state forbids, after the version is confirmed;
    `unless_set` are changes made only where the item has no value yet (a first time).
    """
    if changes is not None:
        _require_roster(deps, caller, changes)
    item_type = _TYPE_NAME[model]
    current = deps.coordination.get(caller.media_day, item_type, item_id)
    if current is not None and current.request_key == caller.request_key:
        return _ack(request, WriteResult(current, duplicate=True), deps)  # already applied
    if not isinstance(current, model) or current.deleted:
        raise NotFound(f"no {item_type} '{item_id}' (it may have been deleted)")
    authorize_station(caller.connection, request.action, getattr(current, "station_id", None))
    if current.version != version:
        raise Conflict(
            f"stale version {version}: {item_type} '{item_id}' is at version {current.version}",
            item_to_plain(current),
        )
    store = deps.coordination
    if changes is None:
        result = store.delete(
            current, expected_version=version, actor=caller.actor, request_key=caller.request_key
        )
    else:
        if check is not None:
            check(current)
        firsts = {k: v for k, v in (unless_set or {}).items() if getattr(current, k) is None}
        result = store.update(
            _revise(current, {**firsts, **changes}),
            expected_version=version,
            actor=caller.actor,
            request_key=caller.request_key,
        )
    return _ack(request, result, deps)


def put(
    request: Asked,
    caller: Caller,
    deps: Collaborators,
    model: type[Editable],
    fields: BaseModel,
    *,
    version: int | None,
) -> Ack:
    """No version: create (conflict if it exists). A version: replace every field."""
    if version is None:
        return create(request, caller, deps, model, fields)
    plain = fields.model_dump()
    item_id = plain.pop("id")
    return edit(request, caller, deps, model, item_id, version=version, changes=plain)


def require_changes(changes: BaseModel) -> dict[str, Any]:
    """The fields an update names; an update that names none is refused."""
    named = changes.model_dump(exclude_none=True)
    if not named:
        raise InvalidRequest("`changes` names nothing to change")
    return named


def derive_id(item_type: str, request_key: str) -> str:
    """A create without an id gets one from its request key: a retry lands on the same item
    and is answered as a duplicate instead of creating a second one."""
    digest = hashlib.sha256(request_key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{_ID_PREFIX[item_type]}-{digest[:16]}"


def _build(model: type[Editable], caller: Caller, fields: dict[str, Any], item_id: str) -> Editable:
    try:
        return model.model_validate({**fields, "media_day": caller.media_day, "id": item_id})
    except ValidationError as error:
        raise InvalidRequest(describe(error)) from None


def _revise(current: Editable, changes: Mapping[str, Any]) -> Editable:
    """The item with `changes` applied, validated as a whole (e.g. ends after it starts)."""
    try:
        return type(current).model_validate({**current.model_dump(), **changes})
    except ValidationError as error:
        raise InvalidRequest(describe(error)) from None


def _require_roster(deps: Collaborators, caller: Caller, fields: Mapping[str, Any]) -> None:
    """Writes may only point at stations and talent that are on the day's roster."""
    for item_type in _ROSTER_TYPES:
        item_id = fields.get(f"{item_type}_id")
        if item_id is None:
            continue
        found = deps.coordination.get(caller.media_day, item_type, item_id)
        if found is None or found.deleted:
            raise NotFound(f"unknown {item_type} '{item_id}': add it to the roster first")


def _ack(request: Asked, result: WriteResult, deps: Collaborators) -> Ack:
    return Ack(
        id=request.id,
        action=request.action,
        item=item_to_plain(result.item),
        version=result.item.version,
        rev=result.item.rev,
        duplicate=True if result.duplicate else None,
        server_time=deps.now_ms(),
    )
