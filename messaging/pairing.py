"""Device pairing on the message path (docs/security.md, "Device pairing").

- A *pending device* (connect.pairing: a socket without a token) may send `ping` and
  `pair.start` and nothing else (`unauthorized`); its messages are counted, and a code
  costs its source address one of a few a minute.
- `pair.watch`, `pair.approve`, `pair.reject` are producers' (messaging.authorization).
  An approval spends the code with one conditional write, mints a token for the
  producer's media day (role maximum lifetime at most), sends it to that screen only and
  closes the pending socket. A retry of the same request is answered as before, never
  applied twice; any other use of a spent code is refused.
"""

from __future__ import annotations

import secrets
from typing import Any

from mediaday.errors import (
    ConnectionGone,
    DeliveryError,
    InvalidRequest,
    NotFound,
    PairingCodeExpired,
    PairingCodeUnknown,
    PairingCodeUsed,
    PairingRateLimited,
    RateLimited,
    RequestError,
    Unauthorized,
)
from mediaday.observability import logger
from mediaday.pairing import CodeState, PairingCode, PairingStore, PendingDevice
from mediaday.pairing_watch import PairingChange, announce_pairing
from mediaday.protocol import Ack, ErrorFrame, Pong, Request
from mediaday.protocol.pairing import PairApprove, PairedFrame, PairReject, PairStart, PairWatch
from mediaday.tokens import LifetimeTooLong, issue_token, max_lifetime_seconds, verify_token
from messaging.actions import answers
from messaging.context import Caller, Collaborators

NOT_REGISTERED = "this connection is not registered (it expired or was closed): reconnect"
WAITING = "this screen is waiting to be paired: it may only ask for a pairing code"
DECLINED = "a producer declined to pair this screen"


# -- a pending device ----------------------------------------------------------------------
def serve_pending(request: Request, connection_id: str, deps: Collaborators) -> Ack | Pong:
    """Answer a connection that has no connection record: a pending device's `ping` or
    `pair.start`; Unauthorized for anything else, and for connections that are not
    pending devices either."""
    device = deps.pairing.device(connection_id) if deps.pairing is not None else None
    if device is None or deps.pairing is None:
        raise Unauthorized(NOT_REGISTERED)
    if request.action == "ping":
        return Pong(id=request.id, server_time=deps.now_ms())
    now, limits = deps.clock(), deps.pairing_limits
    if deps.connections.count_message(connection_id, now=now) > limits.messages_per_minute:
        _disconnect(connection_id, deps)
        raise RateLimited(
            f"over {limits.messages_per_minute} messages a minute while waiting to be paired: "
            "this screen is disconnected; reload it"
        )
    if not isinstance(request, PairStart):
        raise Unauthorized(WAITING)
    asked = deps.pairing.count_source(device.source_ip, "codes", now=now)
    if asked > limits.codes_per_source_per_minute:
        raise PairingRateLimited(
            f"{asked} pairing codes asked for from this address this minute "
            f"(at most {limits.codes_per_source_per_minute}): try again in a minute"
        )
    waiting = deps.pairing.issue_code(device, now=now, lifetime_seconds=limits.code_seconds)
    _announce(waiting, "waiting", deps)
    logger.info("pairing code issued", connection_id=connection_id, source_ip=device.source_ip)
    return Ack(
        id=request.id,
        action=request.action,
        item={"code": waiting.code, "expires_at": waiting.code_expires_at},
        server_time=deps.now_ms(),
    )


@answers(PairStart)
def pair_start(request: PairStart, caller: Caller, deps: Collaborators) -> Ack:
    """A connection that has a token is paired already (pending devices never get here)."""
    raise InvalidRequest("pair.start is for screens without a token: this one has a token")


# -- producers -----------------------------------------------------------------------------
@answers(PairWatch)
def pair_watch(request: PairWatch, caller: Caller, deps: Collaborators) -> Ack:
    """The screens waiting now; `pairing` frames follow for the connection's life."""
    store = _store(deps)
    store.watch(caller.connection.connection_id, until=caller.connection.expires_at)
    devices = [device.listed() for device in store.devices(now=deps.clock()) if device.code]
    return _ack(request, {"devices": devices}, deps)


@answers(PairApprove)
def pair_approve(request: PairApprove, caller: Caller, deps: Collaborators) -> Ack:
    now = deps.clock()
    earlier = _answered_before(request, caller, deps)
    if earlier is not None:
        return earlier
    if deps.keys is None:
        raise RuntimeError("pair.approve needs the signing key")
    if request.station_id is not None:
        _require_station(request.station_id, caller, deps)
    keys = deps.keys()
    ttl = request.ttl_seconds or max_lifetime_seconds(request.role)
    try:
        token = issue_token(
            keys.current_key(),
            role=request.role,
            media_day=caller.media_day,
            subject=f"paired-{secrets.token_hex(4)}",
            ttl_seconds=ttl,
            station=request.station_id,
            label=request.label,
            now=now,
        )
    except LifetimeTooLong as error:
        raise InvalidRequest(str(error)) from None
    claims = verify_token(token, keys, now=now)
    outcome: dict[str, Any] = {
        "code": request.code,
        "media_day": caller.media_day,
        "role": request.role.value,
        "station_id": request.station_id,
        "label": request.label,
        "subject": claims.subject,
        "token_id": claims.token_id,
        "token_expires_at": claims.expires_at,
        "paired_by": caller.actor,
    }
    outcome = {key: value for key, value in outcome.items() if value is not None}
    settled = _settle(request.code, "used", outcome, caller, deps)
    paired = PairedFrame(
        token=token,
        role=request.role,
        media_day=caller.media_day,
        station_id=request.station_id,
        label=request.label,
        expires_at=claims.expires_at,
        server_time=deps.now_ms(),
    )
    _deliver(settled, paired.encode(), caller, deps)
    _finish(settled, "paired", deps)
    logger.info("device paired", code=request.code, role=request.role.value)
    return _ack(request, {**outcome, "connection_id": settled.connection_id}, deps)


@answers(PairReject)
def pair_reject(request: PairReject, caller: Caller, deps: Collaborators) -> Ack:
    earlier = _answered_before(request, caller, deps)
    if earlier is not None:
        return earlier
    outcome = {"code": request.code, "rejected_by": caller.actor}
    settled = _settle(request.code, "rejected", outcome, caller, deps)
    notice = ErrorFrame(code=Unauthorized.code, message=DECLINED, server_time=deps.now_ms())
    try:
        deps.poster.post(settled.connection_id, notice.encode())
    except DeliveryError as error:
        logger.info("pairing refusal not delivered", code=error.code)
    _finish(settled, "rejected", deps)
    return _ack(request, {**outcome, "connection_id": settled.connection_id}, deps)


# -- the steps -----------------------------------------------------------------------------
def _answered_before(
    request: PairApprove | PairReject, caller: Caller, deps: Collaborators
) -> Ack | None:
    """None when the code is open (pending, unexpired); the earlier answer when this very
    request spent it (a retry); a stable refusal otherwise. Read before anything is
    minted; `_settle` makes it race-safe."""
    current = _store(deps).code(request.code)
    if current is not None and current.request_key == caller.request_key:
        return Ack(
            id=request.id,
            action=request.action,
            item={**(current.outcome or {}), "connection_id": current.connection_id},
            duplicate=True,
            server_time=deps.now_ms(),
        )
    if current is None or current.state != "pending" or _expired(current, deps.clock()):
        raise _refusal(request.code, current, deps.clock())
    return None


def _settle(
    code: str, state: CodeState, outcome: dict[str, Any], caller: Caller, deps: Collaborators
) -> PairingCode:
    """Spend the code: one conditional write, so only one request ever does."""
    store, now = _store(deps), deps.clock()
    settled = store.settle_code(
        code, state, by=caller.actor, request_key=caller.request_key, outcome=outcome, now=now
    )
    if settled is None:  # spent or expired since `_answered_before` read it
        raise _refusal(code, store.code(code), now)
    return settled


def _expired(code: PairingCode, now: float) -> bool:
    return code.code_expires_at <= now * 1000


def _refusal(code: str, current: PairingCode | None, now: float) -> RequestError:
    if current is None:
        return PairingCodeUnknown(
            f"no screen waiting to be paired shows {code}: check the code on the screen"
        )
    if current.state != "pending":
        return PairingCodeUsed(f"code {code} was {current.state} already: a code works once")
    if _expired(current, now):
        return PairingCodeExpired(
            f"code {code} has expired: the screen shows a new one, enter that"
        )
    return PairingCodeUsed(f"code {code} was settled meanwhile")  # a race: the other won


def _deliver(settled: PairingCode, frame: bytes, caller: Caller, deps: Collaborators) -> None:
    """Send the token to the screen that showed the code; a failed send reopens the code
    (gone: the code stays spent, the screen has left)."""
    store = _store(deps)
    try:
        deps.poster.post(settled.connection_id, frame)
    except ConnectionGone:
        device = store.forget_device(settled.connection_id)
        if device is not None:
            _announce(device, "left", deps)
        raise NotFound(
            f"the screen showing {settled.code} disconnected before its approval: "
            "pair it again with the code it shows now"
        ) from None
    except DeliveryError:
        store.reopen_code(settled.code, request_key=caller.request_key)
        raise


def _finish(settled: PairingCode, change: PairingChange, deps: Collaborators) -> None:
    """The screen is paired (or declined): forget it, close its pending socket, tell the
    producers watching."""
    device = _store(deps).forget_device(settled.connection_id)
    _disconnect(settled.connection_id, deps)
    if device is not None:
        _announce(device, change, deps)


def _disconnect(connection_id: str, deps: Collaborators) -> None:
    try:
        deps.poster.close(connection_id)
    except DeliveryError as error:  # gone already, or throttled: its row is gone anyway
        logger.info("pending socket not closed", connection_id=connection_id, code=error.code)


def _announce(device: PendingDevice, change: PairingChange, deps: Collaborators) -> None:
    announce_pairing(device, change, store=_store(deps), poster=deps.poster, now_ms=deps.now_ms())


def _require_station(station_id: str, caller: Caller, deps: Collaborators) -> None:
    found = deps.coordination.get(caller.media_day, "station", station_id)
    if found is None or found.deleted:
        raise NotFound(f"unknown station '{station_id}': add it to the roster first")


def _store(deps: Collaborators) -> PairingStore:
    if deps.pairing is None:
        raise RuntimeError("device pairing needs the pairing store")
    return deps.pairing


def _ack(
    request: PairWatch | PairApprove | PairReject, item: dict[str, Any], deps: Collaborators
) -> Ack:
    return Ack(id=request.id, action=request.action, item=item, server_time=deps.now_ms())
