"""Device actions, producers only (messaging.authorization: they are not crew writes).

- `device.label` names a connection; the devices topic hears `updated`.
- `device.identify` / `device.redirect` send the device's page a `command` frame.
- `revoke` stores a revocation (mediaday.revocations) of a subject, a token id or one
  connection's token, then ends every open connection it covers (mediaday.closing): told
  `unauthorized`, closed through `DELETE @connections`, announced `revoked`. From then on
  `$connect` refuses the token with 403 and any message from it is refused.

Each acts only on connections of the caller's own media day (another day's is not_found),
and each is safe to retry: the same label, command or revocation again changes nothing
more.
"""

from __future__ import annotations

from typing import Any

from mediaday.closing import REVOKED_MESSAGE, end_connection
from mediaday.connections import Connection
from mediaday.errors import ConnectionGone, InvalidRequest, NotFound
from mediaday.presence import announce
from mediaday.protocol import (
    Ack,
    CommandFrame,
    DeviceIdentify,
    DeviceLabel,
    DeviceRedirect,
    Revoke,
)
from mediaday.revocations import Revocation
from mediaday.settings import get_settings
from messaging.actions import answers
from messaging.context import Caller, Collaborators


@answers(DeviceLabel)
def device_label(request: DeviceLabel, caller: Caller, deps: Collaborators) -> Ack:
    _device(request.connection_id, caller, deps)
    labelled = deps.connections.set_label(request.connection_id, request.label)
    if labelled is None:
        raise NotFound(f"device {request.connection_id} is no longer connected")
    announce(labelled, "updated", store=deps.connections, poster=deps.poster, now_ms=deps.now_ms())
    return _ack(request.id, request.action, labelled.device(), deps)


@answers(DeviceIdentify)
def device_identify(request: DeviceIdentify, caller: Caller, deps: Collaborators) -> Ack:
    """The screen flashes its label (or its subject when it has none)."""
    device = _device(request.connection_id, caller, deps)
    label = device.label or device.subject
    return _command(request, device, deps, command="identify", label=label, seconds=request.seconds)


@answers(DeviceRedirect)
def device_redirect(request: DeviceRedirect, caller: Caller, deps: Collaborators) -> Ack:
    if request.view is None and request.station_id is None:
        raise InvalidRequest("device.redirect needs `view`, `station_id` or both")
    device = _device(request.connection_id, caller, deps)
    fields = {"view": request.view, "station_id": request.station_id}
    return _command(request, device, deps, command="redirect", **fields)


@answers(Revoke)
def revoke(request: Revoke, caller: Caller, deps: Collaborators) -> Ack:
    """Store the revocation first, then close what it covers: a connection opened in
    between is refused by `$connect`, which reads revocations afresh."""
    if deps.revocations is None:
        raise RuntimeError("revoke needs the revocation store")
    now = deps.clock()
    until = int(request.until.timestamp()) if request.until is not None else None
    if until is not None and until <= now:
        raise InvalidRequest("`until` is in the past: a revocation must end in the future")
    revocation = _revocation_of(request, caller, deps, until, int(now * 1000))
    mine = caller.connection
    if revocation.covers(mine.subject, mine.token_id):
        raise InvalidRequest("that would revoke your own connection: revoke it from another")
    deps.revocations.revoke(revocation, keep_until=int(now) + _longest_token_seconds())
    closed = _close_covered(revocation, deps)
    item = {
        "media_day": caller.media_day,
        "subject": revocation.subject,
        "token_id": revocation.token_id,
        "until": until,
        "revoked_by": caller.actor,
        "closed": closed,
    }
    return _ack(request.id, request.action, {k: v for k, v in item.items() if v is not None}, deps)


def _revocation_of(
    request: Revoke, caller: Caller, deps: Collaborators, until: int | None, now_ms: int
) -> Revocation:
    token_id = request.token_id
    if request.connection_id is not None:
        token_id = _device(request.connection_id, caller, deps).token_id
        if not token_id:
            raise InvalidRequest("that connection's token has no id: revoke its subject")
    return Revocation(
        media_day=caller.media_day,
        subject=request.subject,
        token_id=None if request.subject is not None else token_id,
        until=until,
        revoked_by=caller.actor,
        revoked_at=now_ms,
    )


def _close_covered(revocation: Revocation, deps: Collaborators) -> list[str]:
    """End every open connection of the day the revocation covers; their ids."""
    closed: list[str] = []
    for device in deps.connections.devices(revocation.media_day):
        if not revocation.covers(device.subject, device.token_id):
            continue
        end_connection(
            device,
            "revoked",
            store=deps.connections,
            poster=deps.poster,
            now_ms=deps.now_ms(),
            message=REVOKED_MESSAGE.format(reason=revocation.describe()),
        )
        closed.append(device.connection_id)
    return closed


def _device(connection_id: str, caller: Caller, deps: Collaborators) -> Connection:
    device = deps.connections.get(connection_id)
    if device is None or device.media_day != caller.media_day:
        raise NotFound(f"no device {connection_id} is connected to {caller.media_day}")
    return device


def _command(
    request: DeviceIdentify | DeviceRedirect,
    device: Connection,
    deps: Collaborators,
    **fields: Any,
) -> Ack:
    """Post the device's page a `command` frame of `fields`; a device gone meanwhile is
    forgotten, announced `gone` and not_found."""
    command = CommandFrame(server_time=deps.now_ms(), **fields)
    try:
        deps.poster.post(device.connection_id, command.encode())
    except ConnectionGone:
        deps.connections.remove(device.connection_id)
        announce(device, "gone", store=deps.connections, poster=deps.poster, now_ms=deps.now_ms())
        raise NotFound(f"device {device.connection_id} is gone") from None
    return _ack(request.id, request.action, device.device(), deps)


def _ack(request_id: str, action: str, item: dict[str, object], deps: Collaborators) -> Ack:
    return Ack(id=request_id, action=action, item=dict(item), server_time=deps.now_ms())


def _longest_token_seconds() -> int:
    """No token lives longer than this, so a token revocation may be forgotten after it."""
    settings = get_settings()
    return max(settings.token_max_seconds(role) for role in ("producer", "crew", "kiosk"))
