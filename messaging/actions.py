"""One function per action: `(request, caller, collaborators) -> frame`, registered for
its request model with `@answers(Model)`; `perform` routes a request to it.

Reads (subscribe, sync) post their pages through the poster and return the ack, which
the handler sends last as the route response. Writes go through `messaging.edits`, the
one write path (roster, read, station, version, revise, write, ack), and state only what
is their own: the item type, which item, and the change.

Adding an action: its request model in `mediaday.protocol` (and the `Request` union), its
function here, its row in docs/protocol.md. Nothing else lists actions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from mediaday.backoff import Backoff
from mediaday.errors import DeliveryThrottled, InvalidRequest, InvalidState, ResyncRequired
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
    Request,
    ShotAdd,
    ShotDelete,
    ShotSetStatus,
    ShotUpdate,
    SlotDelete,
    SnapshotPage,
    StationPut,
    Subscribe,
    Sync,
    SyncPage,
    TalentPut,
    Unsubscribe,
    action_of,
)
from mediaday.topics import TOPIC_HELP, TopicSpec, UnknownTopic, topic_specs
from messaging.context import Caller, Collaborators
from messaging.edits import create, edit, put, require_changes
from messaging.paging import WIDEST_PAGE_NUMBER, split_items
from messaging.presence import presence_items, require_devices_access, topic_snapshot
from messaging.topicaccess import admit_topics

ActionFunction = Callable[[Any, Caller, Collaborators], Ack | Pong]
_Function = TypeVar("_Function", bound=ActionFunction)
BY_ACTION: dict[str, ActionFunction] = {}
_POST_ATTEMPTS = 3
# A throttled page is retried after up to 0.05 s, then up to 0.2 s (full jitter).
_POST_BACKOFF = Backoff(base=0.05, cap=0.2, factor=4.0)


def answers(model: type[BaseModel]) -> Callable[[_Function], _Function]:
    """Register the decorated function as the one that answers `model`'s action."""

    def register(function: _Function) -> _Function:
        BY_ACTION[action_of(model)] = function
        return function

    return register


def perform(request: Request, caller: Caller, deps: Collaborators) -> Ack | Pong:
    """Route a validated, authorized request to the function registered for its action."""
    return BY_ACTION[request.action](request, caller, deps)


# ---------------------------------------------------------------------------------------
# reads
# ---------------------------------------------------------------------------------------
@answers(Ping)
def ping(request: Ping, caller: Caller, deps: Collaborators) -> Pong:
    """The server clock, for countdown offsets; also keeps the connection from idling."""
    return Pong(id=request.id, server_time=deps.now_ms())


@answers(Subscribe)
def subscribe(request: Subscribe, caller: Caller, deps: Collaborators) -> Ack:
    """Subscribe FIRST, then read rev and state: a change committed in between reaches the
    client as an event (it is subscribed) and possibly in the snapshot too (harmless, the
    version rule drops the copy)."""
    specs = parse_topics(request.topics)
    names = [spec.name for spec in specs]
    require_devices_access(caller, names)
    admit_topics(specs, caller, deps)
    deps.connections.subscribe(caller.connection, names, batched=request.events == "batched")
    rev = deps.coordination.current_rev(caller.media_day)
    live_by_type: dict[str, list[Item]] = {}
    answers: list[tuple[TopicSpec, list[dict[str, Any]]]] = []
    for spec in specs:
        items = topic_snapshot(spec.name, caller, deps)
        for item_type in spec.item_types:
            if item_type not in live_by_type:
                live_by_type[item_type] = list(
                    deps.coordination.items_of_type(caller.media_day, item_type)
                )
            items.extend(
                item_to_plain(item) for item in live_by_type[item_type] if spec.holds(item)
            )
        answers.append((spec, items))
    groups = [({"topic": spec.name}, items) for spec, items in answers]
    return _answer_in_pages(
        request, caller, deps, SnapshotPage, rev=rev, specs=specs, groups=groups
    )


@answers(Unsubscribe)
def unsubscribe(request: Unsubscribe, caller: Caller, deps: Collaborators) -> Ack:
    specs = parse_topics(request.topics)
    deps.connections.unsubscribe(caller.connection, [spec.name for spec in specs])
    return Ack(
        id=request.id,
        action=request.action,
        topics=[spec.name for spec in specs],
        server_time=deps.now_ms(),
    )


@answers(Sync)
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
    changes = deps.coordination.changes_since(caller.media_day, request.since) if wanted else []
    items = presence_items([spec.name for spec in specs], caller, deps) + [
        item_to_plain(item) for item in changes if item.type in wanted
    ]
    groups = [({"since": request.since}, items)]
    return _answer_in_pages(request, caller, deps, SyncPage, rev=rev, specs=specs, groups=groups)


def _answer_in_pages(
    request: Subscribe | Sync,
    caller: Caller,
    deps: Collaborators,
    page_type: type[SnapshotPage | SyncPage],
    *,
    rev: int,
    specs: Sequence[TopicSpec],
    groups: Sequence[tuple[dict[str, Any], list[dict[str, Any]]]],
) -> Ack:
    """Post each group's items as pages of `page_type` (a group's own fields on each of
    its pages, numbered across all groups), then the ack that says how many were sent."""

    def page_of(fields: dict[str, Any], run: list[dict[str, Any]], page: int, pages: int) -> bytes:
        return page_type(
            id=request.id,
            rev=rev,
            page=page,
            pages=pages,
            items=run,
            server_time=deps.now_ms(),
            **fields,
        ).encode()

    split: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    for fields, items in groups:
        overhead = len(page_of(fields, [], WIDEST_PAGE_NUMBER, WIDEST_PAGE_NUMBER))
        split.extend((fields, run) for run in split_items(items, overhead=overhead))
    pages = (page_of(fields, run, n, len(split)) for n, (fields, run) in enumerate(split, 1))
    _deliver(deps, caller, pages)
    return Ack(
        id=request.id,
        action=request.action,
        rev=rev,
        pages=len(split),
        topics=[spec.name for spec in specs],
        server_time=deps.now_ms(),
    )


def parse_topics(names: Sequence[str]) -> list[TopicSpec]:
    """The topics' selections, duplicates dropped; an unknown name refuses the request."""
    try:
        return topic_specs(names)
    except UnknownTopic as error:
        raise InvalidRequest(f"unknown topic '{error.name}': {TOPIC_HELP}") from None


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
                time.sleep(_POST_BACKOFF.delay(attempt + 1))


# ---------------------------------------------------------------------------------------
# schedule
# ---------------------------------------------------------------------------------------
# slot.create / slot.update / slot.move book an athlete: they live in
# messaging.schedule_ops, through the double-booking check (imported at the end).
@answers(SlotDelete)
def slot_delete(request: SlotDelete, caller: Caller, deps: Collaborators) -> Ack:
    return edit(request, caller, deps, Slot, request.slot_id, version=request.version, changes=None)


# ---------------------------------------------------------------------------------------
# shot lists
# ---------------------------------------------------------------------------------------
@answers(ShotAdd)
def shot_add(request: ShotAdd, caller: Caller, deps: Collaborators) -> Ack:
    return create(request, caller, deps, Shot, request.shot)


@answers(ShotUpdate)
def shot_update(request: ShotUpdate, caller: Caller, deps: Collaborators) -> Ack:
    changes = require_changes(request.changes)
    return edit(
        request, caller, deps, Shot, request.shot_id, version=request.version, changes=changes
    )


@answers(ShotSetStatus)
def shot_set_status(request: ShotSetStatus, caller: Caller, deps: Collaborators) -> Ack:
    """Crews mark shots captured or skipped (own station only); any status to any."""
    changes = {"status": request.status}
    return edit(
        request, caller, deps, Shot, request.shot_id, version=request.version, changes=changes
    )


@answers(ShotDelete)
def shot_delete(request: ShotDelete, caller: Caller, deps: Collaborators) -> Ack:
    return edit(request, caller, deps, Shot, request.shot_id, version=request.version, changes=None)


# ---------------------------------------------------------------------------------------
# interview calls
# ---------------------------------------------------------------------------------------
@answers(CallPush)
def call_push(request: CallPush, caller: Caller, deps: Collaborators) -> Ack:
    pushed = {"pushed_at": datetime.fromtimestamp(deps.clock(), UTC)}
    return create(request, caller, deps, Call, request.call, stamps=pushed)


@answers(CallAck)
def call_ack(request: CallAck, caller: Caller, deps: Collaborators) -> Ack:
    """Crew of the call's station (or a producer) reports progress: en-route, arrived,
    done. Done and cancelled calls are closed: acknowledging them is `invalid_state`."""
    acked_at = {"acked_at": datetime.fromtimestamp(deps.clock(), UTC)}
    changes = {"state": request.state, "acked_by": caller.actor}
    return _edit_open_call(request, caller, deps, "acknowledged", changes, unless_set=acked_at)


@answers(CallCancel)
def call_cancel(request: CallCancel, caller: Caller, deps: Collaborators) -> Ack:
    changes = {"state": CallState.CANCELLED}
    return _edit_open_call(request, caller, deps, "cancelled", changes)


def _edit_open_call(
    request: CallAck | CallCancel,
    caller: Caller,
    deps: Collaborators,
    verb: str,
    changes: dict[str, Any],
    *,
    unless_set: dict[str, Any] | None = None,
) -> Ack:
    """Change a call that is still open; a closed one (done or cancelled) is refused."""

    def check(call: Call) -> None:
        if call.state not in ACTIVE_CALL_STATES:
            raise InvalidState(f"call {call.id} is {call.state.value}: it can no longer be {verb}")

    return edit(
        request,
        caller,
        deps,
        Call,
        request.call_id,
        version=request.version,
        changes=changes,
        check=check,
        unless_set=unless_set,
    )


# ---------------------------------------------------------------------------------------
# roster
# ---------------------------------------------------------------------------------------
@answers(StationPut)
def station_put(request: StationPut, caller: Caller, deps: Collaborators) -> Ack:
    """No version: create (conflict if it exists). A version: replace every field."""
    return put(request, caller, deps, Station, request.station, version=request.version)


@answers(TalentPut)
def talent_put(request: TalentPut, caller: Caller, deps: Collaborators) -> Ack:
    return put(request, caller, deps, Talent, request.talent, version=request.version)


# Actions defined in their own modules register themselves with @answers when imported.
from messaging import batch as _batch  # noqa: E402, F401
from messaging import devices as _devices  # noqa: E402, F401
from messaging import notices as _notices  # noqa: E402, F401
from messaging import pairing as _pairing  # noqa: E402, F401
from messaging import schedule_ops as _schedule_ops  # noqa: E402, F401
