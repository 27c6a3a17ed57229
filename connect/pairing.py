"""`$connect` and `$disconnect` for a screen that has no token yet (device pairing).

A socket opened with `?pair` and no token at all is admitted as a *pending device*, after
two checks that write nothing else: its source address has not opened too many pairing
sockets this minute, and fewer than the cap of screens are waiting. Either refusal is 429
(the page retries after a while). A pending device is no connection (mediaday.pairing):
every message but `ping` and `pair.start` is refused `unauthorized` (messaging.pairing).
"""

from __future__ import annotations

from connect.logic import Handshake, Refused, refuse_foreign_origin
from mediaday.pairing import PairingLimits, PairingStore, PendingDevice
from mediaday.pairing_watch import announce_pairing
from mediaday.poster import Poster

PAIRING_QUERY = "pair"


def wants_pairing(handshake: Handshake) -> bool:
    """`?pair`, and no token in the query or as a subprotocol."""
    return (
        PAIRING_QUERY in handshake.query
        and "token" not in handshake.query
        and not handshake.headers.get("sec-websocket-protocol")
    )


def admit_pending(
    handshake: Handshake,
    *,
    store: PairingStore,
    limits: PairingLimits,
    allowed_origins: list[str],
    connection_ttl_seconds: int,
    now: float,
) -> PendingDevice:
    """Record the screen as waiting to be paired; raises Refused past a limit."""
    refuse_foreign_origin(handshake, allowed_origins)
    source = handshake.source_ip
    opened = store.count_source(source, "connects", now=now)
    if opened > limits.connects_per_source_per_minute:
        raise Refused(429, f"{opened} pairing connections from {source} this minute")
    waiting = store.pending_count(now=now)
    if waiting >= limits.max_pending:
        raise Refused(429, f"{waiting} screens are already waiting to be paired")
    device = PendingDevice(
        connection_id=handshake.connection_id,
        source_ip=source,
        user_agent=handshake.user_agent[:512],
        connected_at=handshake.connected_at_ms,
        expires_at=int(now) + connection_ttl_seconds,
    )
    store.add_device(device)
    return device


def release_pending(
    connection_id: str, *, store: PairingStore, poster: Poster, now_ms: int
) -> PendingDevice | None:
    """Forget a pending device that disconnected; producers watching hear `left` when it
    had shown a code. None when the connection was no pending device."""
    device = store.forget_device(connection_id)
    if device is not None and device.code is not None:
        announce_pairing(device, "left", store=store, poster=poster, now_ms=now_ms)
    return device
