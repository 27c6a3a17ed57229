"""Notices: producers' announcements to every screen or to some stations' screens.

A notice is an item like any other (version, rev, tombstone on clear), in the `notices`
topic; screens show the ones aimed at them. It expires on the server's clock: a notice
whose `expires_at` has passed stays stored until cleared, but every screen hides it at
that moment, comparing with the server time it already tracks (the `server_time` offset).
So posting one already expired is refused: no screen would ever show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mediaday.errors import InvalidRequest
from mediaday.models import item_sk
from mediaday.protocol import Ack, NoticeClear, NoticePost, NoticeUpdate
from messaging.actions import answers
from messaging.context import Caller, Collaborators
from messaging.edits import require_changes
from messaging.writes import Intent, single_ack, write_all


@answers(NoticePost)
def notice_post(request: NoticePost, caller: Caller, deps: Collaborators) -> Ack:
    fields = request.notice.model_dump()
    item_id = fields.pop("id")
    _refuse_past_expiry(fields, deps)
    fields["posted_by"] = caller.actor
    intent = Intent(request.action, "notice", item_id, None, fields, caller.request_key)
    return _write(request.id, request.action, intent, caller, deps)


@answers(NoticeUpdate)
def notice_update(request: NoticeUpdate, caller: Caller, deps: Collaborators) -> Ack:
    changes = require_changes(request.changes)
    _refuse_past_expiry(changes, deps)
    intent = Intent(
        request.action, "notice", request.notice_id, request.version, changes, caller.request_key
    )
    return _write(request.id, request.action, intent, caller, deps)


@answers(NoticeClear)
def notice_clear(request: NoticeClear, caller: Caller, deps: Collaborators) -> Ack:
    """Take the notice off every screen (a tombstone, so `sync` reports it)."""
    intent = Intent(
        request.action, "notice", request.notice_id, request.version, None, caller.request_key
    )
    return _write(request.id, request.action, intent, caller, deps)


def _write(
    request_id: str, action: str, intent: Intent, caller: Caller, deps: Collaborators
) -> Ack:
    stations = (intent.fields or {}).get("stations") or []
    _require_stations(stations, caller, deps)
    return single_ack(request_id, action, write_all(caller, deps, [intent]), deps)


def _refuse_past_expiry(fields: Mapping[str, Any], deps: Collaborators) -> None:
    expires_at = fields.get("expires_at")
    if isinstance(expires_at, datetime) and expires_at <= datetime.fromtimestamp(deps.clock(), UTC):
        raise InvalidRequest("`expires_at` has already passed: no screen would show the notice")


def _require_stations(stations: list[str], caller: Caller, deps: Collaborators) -> None:
    """A notice aimed at a station that is not on the roster would reach no screen."""
    if not stations:
        return
    found = deps.coordination.get_many(caller.media_day, (("station", s) for s in stations))
    for station in stations:
        item = found.get(item_sk("station", station))
        if item is None or item.deleted:
            raise InvalidRequest(f"unknown station '{station}' in `stations`")
