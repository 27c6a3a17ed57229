"""One function per action: `(request, caller, collaborators) -> frame`.

Reads (subscribe, sync) post their pages through the poster and return the ack, which
the handler sends last as the route response. Writes go through the coordination store's
conditional transaction and return an ack carrying the item as stored.

The order of checks on a write is fixed, so a client always learns the most useful thing
first: not_found, then forbidden (station), then conflict (stale version), then
invalid / invalid_state (the result would be wrong), and only then the write.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from pydantic import ValidationError

from mediaday.coordination import WriteResult
from mediaday.errors import (
    Conflict,
    DeliveryThrottled,
    InvalidRequest,
    InvalidState,
    NotFound,
    ResyncRequired,
)
from mediaday.models import (
    ACTIVE_CALL_STATES,
    Call,
    CallState,
    Item,
    Shot,
    Slot,
    Station,
    Talent,
    item_to_plain,
)
from mediaday.protocol import (
    Ack,
    CallAck,
    CallCancel,
    CallPush,
    Ping,
    Pong,
    ShotAdd,
    ShotDelete,
    ShotSetStatus,
    ShotUpdate,
    SlotCreate,
    SlotDelete,
    SlotMove,
    SlotUpdate,
    SnapshotPage,
    StationPut,
    Subscribe,
    Sync,
    SyncPage,
    TalentPut,
    Unsubscribe,
)
from mediaday.topics import TopicSpec, parse_topic
from messaging.authorization import authorize_station
from messaging.context import Caller, Collaborators
from messaging.paging import WIDEST_PAGE_NUMBER, split_items
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
_ID_PREFIX = {"slot": "sl", "shot": "sh", "call": "ca"}
_POST_ATTEMPTS = 3
TOPIC_HELP = "topics are roster, schedule, calls, station:<id> and shots:<id>"


# ---------------------------------------------------------------------------------------
# reads
# ---------------------------------------------------------------------------------------
def ping(request: Ping, caller: Caller, deps: Collaborators) -> Pong:
    """The server clock, for countdown offsets; also keeps the connection from idling."""
    return Pong(id=request.id, server_time=deps.now_ms())


def subscribe(request: Subscribe, caller: Caller, deps: Collaborators) -> Ack:
    """Subscribe FIRST, then read rev and state: a change committed in between reaches the
    client as an event (it is subscribed) and possibly in the snapshot too (harmless, the
    version rule drops the copy)."""
    specs = parse_topics(request.topics)
    deps.connections.subscribe(caller.connection, [spec.name for spec in specs])
    rev = deps.coordination.current_rev(caller.media_day)
    live_by_type: dict[str, list[Item]] = {}
    answers: list[tuple[TopicSpec, list[dict[str, Any]]]] = []
    for spec in specs:
        items: list[dict[str, Any]] = []
        for item_type in spec.item_types:
            if item_type not in live_by_type:
                live_by_type[item_type] = list(
                    deps.coordination.items_of_type(caller.media_day, item_type)
                )
            items.extend(
                item_to_plain(item) for item in live_by_type[item_type] if spec.holds(item)
            )
        answers.append((spec, items))

    def page_of(spec: TopicSpec, items: list[dict[str, Any]], page: int, pages: int) -> bytes:
        return SnapshotPage(
            id=request.id,
            topic=spec.name,
            rev=rev,
            page=page,
            pages=pages,
            items=items,
            server_time=deps.now_ms(),
        ).encode()

    split: list[tuple[TopicSpec, list[dict[str, Any]]]] = []
    for spec, items in answers:
        overhead = len(page_of(spec, [], WIDEST_PAGE_NUMBER, WIDEST_PAGE_NUMBER))
        split.extend((spec, run) for run in split_items(items, overhead=overhead))
    _deliver(
        deps,
        caller,
        (page_of(spec, run, number, len(split)) for number, (spec, run) in enumerate(split, 1)),
    )
    return Ack(
        id=request.id,
        action=request.action,
        rev=rev,
        pages=len(split),
        topics=[spec.name for spec in specs],
        server_time=deps.now_ms(),
    )


def unsubscribe(request: Unsubscribe, caller: Caller, deps: Collaborators) -> Ack:
    specs = parse_topics(request.topics)
    deps.connections.unsubscribe(caller.connection, [spec.name for spec in specs])
    return Ack(
        id=request.id,
        action=request.action,
        topics=[spec.name for spec in specs],
        server_time=deps.now_ms(),
    )


def sync(request: Sync, caller: Caller, deps: Collaborators) -> Ack:
    """Every item of the topics' types changed since `since`, tombstones included.

    Station topics are not filtered by station: an item that moved away must reach the
    client so it can drop it. Rev is read before the changes, so everything up to rev is
    in the answer (later changes may be too; the version rule makes them harmless).
    """
    names = request.topics or deps.connections.topics_of(caller.connection.connection_id)
    if not names:
        raise InvalidRequest("sync needs `topics`: name them or subscribe first")
    specs = parse_topics(names)
    rev = deps.coordination.current_rev(caller.media_day)
    if request.since > rev:
        raise ResyncRequired(
            f"rev {request.since} is ahead of the server's rev {rev}: subscribe again"
        )
    wanted = {item_type for spec in specs for item_type in spec.item_types}
    items = [
        item_to_plain(item)
        for item in deps.coordination.changes_since(caller.media_day, request.since)
        if item.type in wanted
    ]

    def page_of(run: list[dict[str, Any]], page: int, pages: int) -> bytes:
        return SyncPage(
            id=request.id,
            since=request.since,
            rev=rev,
            page=page,
            pages=pages,
            items=run,
            server_time=deps.now_ms(),
        ).encode()

    overhead = len(page_of([], WIDEST_PAGE_NUMBER, WIDEST_PAGE_NUMBER))
    runs = split_items(items, overhead=overhead)
    _deliver(deps, caller, (page_of(run, n, len(runs)) for n, run in enumerate(runs, 1)))
    return Ack(
        id=request.id,
        action=request.action,
        rev=rev,
        pages=len(runs),
        topics=[spec.name for spec in specs],
        server_time=deps.now_ms(),
    )


def parse_topics(names: Sequence[str]) -> list[TopicSpec]:
    """The topics' selections, duplicates dropped; an unknown name refuses the request."""
    specs: list[TopicSpec] = []
    for name in dict.fromkeys(names):
        spec = parse_topic(name)
        if spec is None:
            raise InvalidRequest(f"unknown topic '{name}': {TOPIC_HELP}")
        specs.append(spec)
    return specs


def _deliver(deps: Collaborators, caller: Caller, frames: Iterable[bytes]) -> None:
    """Post pages in order; a throttled post is retried briefly, anything else raises."""
    connection_id = caller.connection.connection_id
    for frame in frames:
        for attempt in range(_POST_ATTEMPTS):
            try:
                deps.poster.post(connection_id, frame)
                break
            except DeliveryThrottled:  # 429 / 5xx; Gone and refusals are final
                if attempt == _POST_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * 4**attempt)


# ---------------------------------------------------------------------------------------
# schedule
# ---------------------------------------------------------------------------------------
def slot_create(request: SlotCreate, caller: Caller, deps: Collaborators) -> Ack:
    fields = request.slot
    _require_roster(deps, caller, station_id=fields.station_id, talent_id=fields.talent_id)
    slot = _build(
        Slot,
        caller,
        fields.model_dump(exclude={"id"}),
        fields.id or derive_id("slot", caller.request_key),
    )
    return _ack(request.id, request.action, _create(deps, caller, slot), deps)


def slot_update(request: SlotUpdate, caller: Caller, deps: Collaborators) -> Ack:
    changes = _changes(request.changes.model_dump(exclude_none=True))
    _require_roster(deps, caller, talent_id=changes.get("talent_id"))
    result = _change(
        deps,
        caller,
        Slot,
        action=request.action,
        item_id=request.slot_id,
        version=request.version,
        change=lambda slot: _revise(slot, changes),
    )
    return _ack(request.id, request.action, result, deps)


def slot_move(request: SlotMove, caller: Caller, deps: Collaborators) -> Ack:
    """Another station and optionally another time; broadcast reaches both stations."""
    _require_roster(deps, caller, station_id=request.station_id)
    changes = request.model_dump(include={"station_id", "starts_at", "ends_at"}, exclude_none=True)
    result = _change(
        deps,
        caller,
        Slot,
        action=request.action,
        item_id=request.slot_id,
        version=request.version,
        change=lambda slot: _revise(slot, changes),
    )
    return _ack(request.id, request.action, result, deps)


def slot_delete(request: SlotDelete, caller: Caller, deps: Collaborators) -> Ack:
    result = _change(
        deps,
        caller,
        Slot,
        action=request.action,
        item_id=request.slot_id,
        version=request.version,
        change=None,
    )
    return _ack(request.id, request.action, result, deps)


# ---------------------------------------------------------------------------------------
# shot lists
# ---------------------------------------------------------------------------------------
def shot_add(request: ShotAdd, caller: Caller, deps: Collaborators) -> Ack:
    fields = request.shot
    _require_roster(deps, caller, station_id=fields.station_id, talent_id=fields.talent_id)
    shot = _build(
        Shot,
        caller,
        fields.model_dump(exclude={"id"}),
        fields.id or derive_id("shot", caller.request_key),
    )
    return _ack(request.id, request.action, _create(deps, caller, shot), deps)


def shot_update(request: ShotUpdate, caller: Caller, deps: Collaborators) -> Ack:
    changes = _changes(request.changes.model_dump(exclude_none=True))
    _require_roster(deps, caller, talent_id=changes.get("talent_id"))
    result = _change(
        deps,
        caller,
        Shot,
        action=request.action,
        item_id=request.shot_id,
        version=request.version,
        change=lambda shot: _revise(shot, changes),
    )
    return _ack(request.id, request.action, result, deps)


def shot_set_status(request: ShotSetStatus, caller: Caller, deps: Collaborators) -> Ack:
    """Crews mark shots captured or skipped (own station only); any status to any."""
    result = _change(
        deps,
        caller,
        Shot,
        action=request.action,
        item_id=request.shot_id,
        version=request.version,
        change=lambda shot: _revise(shot, {"status": request.status}),
    )
    return _ack(request.id, request.action, result, deps)


def shot_delete(request: ShotDelete, caller: Caller, deps: Collaborators) -> Ack:
    result = _change(
        deps,
        caller,
        Shot,
        action=request.action,
        item_id=request.shot_id,
        version=request.version,
        change=None,
    )
    return _ack(request.id, request.action, result, deps)


# ---------------------------------------------------------------------------------------
# interview calls
# ---------------------------------------------------------------------------------------
def call_push(request: CallPush, caller: Caller, deps: Collaborators) -> Ack:
    fields = request.call
    _require_roster(deps, caller, station_id=fields.station_id, talent_id=fields.talent_id)
    call = _build(
        Call,
        caller,
        fields.model_dump(exclude={"id"}),
        fields.id or derive_id("call", caller.request_key),
    )
    return _ack(request.id, request.action, _create(deps, caller, call), deps)


def call_ack(request: CallAck, caller: Caller, deps: Collaborators) -> Ack:
    """Crew of the call's station (or a producer) reports progress: en-route, arrived,
    done. Done and cancelled calls are closed: acknowledging them is `invalid_state`."""

    def acknowledged(call: Call) -> Call:
        _require_open(call, "acknowledged")
        return _revise(call, {"state": request.state, "acked_by": caller.actor})

    result = _change(
        deps,
        caller,
        Call,
        action=request.action,
        item_id=request.call_id,
        version=request.version,
        change=acknowledged,
    )
    return _ack(request.id, request.action, result, deps)


def call_cancel(request: CallCancel, caller: Caller, deps: Collaborators) -> Ack:
    def cancelled(call: Call) -> Call:
        _require_open(call, "cancelled")
        return _revise(call, {"state": CallState.CANCELLED})

    result = _change(
        deps,
        caller,
        Call,
        action=request.action,
        item_id=request.call_id,
        version=request.version,
        change=cancelled,
    )
    return _ack(request.id, request.action, result, deps)


def _require_open(call: Call, verb: str) -> None:
    if call.state not in ACTIVE_CALL_STATES:
        raise InvalidState(f"call {call.id} is {call.state.value}: it can no longer be {verb}")


# ---------------------------------------------------------------------------------------
# roster
# ---------------------------------------------------------------------------------------
def station_put(request: StationPut, caller: Caller, deps: Collaborators) -> Ack:
    """No version: create (conflict if it exists). A version: replace every field."""
    result = _put(
        deps,
        caller,
        Station,
        action=request.action,
        item_id=request.station.id,
        fields=request.station.model_dump(exclude={"id"}),
        version=request.version,
    )
    return _ack(request.id, request.action, result, deps)


def talent_put(request: TalentPut, caller: Caller, deps: Collaborators) -> Ack:
    result = _put(
        deps,
        caller,
        Talent,
        action=request.action,
        item_id=request.talent.id,
        fields=request.talent.model_dump(exclude={"id"}),
        version=request.version,
    )
    return _ack(request.id, request.action, result, deps)


def _put(
    deps: Collaborators,
    caller: Caller,
    model: type[Editable],
    *,
    action: str,
    item_id: str,
    fields: dict[str, Any],
    version: int | None,
) -> WriteResult:
    if version is None:
        return _create(deps, caller, _build(model, caller, fields, item_id))
    return _change(
        deps,
        caller,
        model,
        action=action,
        item_id=item_id,
        version=version,
        change=lambda item: _revise(item, fields),
    )


# ---------------------------------------------------------------------------------------
# the write path
# ---------------------------------------------------------------------------------------
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


def _revise(current: Editable, changes: dict[str, Any]) -> Editable:
    """The item with `changes` applied, validated as a whole (e.g. ends after it starts)."""
    try:
        return type(current).model_validate({**current.model_dump(), **changes})
    except ValidationError as error:
        raise InvalidRequest(describe(error)) from None


def _changes(changes: dict[str, Any]) -> dict[str, Any]:
    if not changes:
        raise InvalidRequest("`changes` names nothing to change")
    return changes


def _require_roster(
    deps: Collaborators,
    caller: Caller,
    *,
    station_id: str | None = None,
    talent_id: str | None = None,
) -> None:
    """Writes may only point at stations and talent that are on the day's roster."""
    for item_type, item_id in (("station", station_id), ("talent", talent_id)):
        if item_id is None:
            continue
        found = deps.coordination.get(caller.media_day, item_type, item_id)
        if found is None or found.deleted:
            raise NotFound(f"unknown {item_type} '{item_id}': add it to the roster first")


def _create(deps: Collaborators, caller: Caller, item: Editable) -> WriteResult:
    return deps.coordination.create(item, actor=caller.actor, request_key=caller.request_key)


def _change(
    deps: Collaborators,
    caller: Caller,
    model: type[Editable],
    *,
    action: str,
    item_id: str,
    version: int,
    change: Callable[[Editable], Editable] | None,
) -> WriteResult:
    """Update (or, with no `change`, delete) a live item the client saw at `version`."""
    item_type = _TYPE_NAME[model]
    current = deps.coordination.get(caller.media_day, item_type, item_id)
    if current is not None and current.request_key == caller.request_key:
        return WriteResult(current, duplicate=True)  # a retry of a write already applied
    if not isinstance(current, model) or current.deleted:
        raise NotFound(f"no {item_type} '{item_id}' (it may have been deleted)")
    authorize_station(caller.connection, action, getattr(current, "station_id", None))
    if current.version != version:
        raise Conflict(
            f"stale version {version}: {item_type} '{item_id}' is at version {current.version}",
            item_to_plain(current),
        )
    store = deps.coordination
    if change is None:
        return store.delete(
            current, expected_version=version, actor=caller.actor, request_key=caller.request_key
        )
    return store.update(
        change(current),
        expected_version=version,
        actor=caller.actor,
        request_key=caller.request_key,
    )


def _ack(request_id: str, action: str, result: WriteResult, deps: Collaborators) -> Ack:
    return Ack(
        id=request_id,
        action=action,
        item=item_to_plain(result.item),
        version=result.item.version,
        rev=result.item.rev,
        duplicate=True if result.duplicate else None,
        server_time=deps.now_ms(),
    )
