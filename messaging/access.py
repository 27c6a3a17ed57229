"""Is the connection still admitted? Checked on every message, after the connection is
read and before anything is counted or done.

A token that has expired since `$connect`, or a subject or token revoked since, ends the
connection (mediaday.closing): the client is told `unauthorized` (reconnect with a fresh
token), the socket is closed through `DELETE @connections`, its rows are forgotten and the
devices topic hears of it. Revocations come from the bounded-staleness cache
(mediaday.revocations), so a revocation holds here within `revocation_cache_seconds`.

The message also marks the device active, at most once a minute (one small write).
"""

from __future__ import annotations

from mediaday.closing import EXPIRED_MESSAGE, REVOKED_MESSAGE, end_connection
from mediaday.connections import Connection
from mediaday.errors import Unauthorized
from mediaday.presence import DeviceChange
from messaging.context import Collaborators

ACTIVE_EVERY_MS = 60_000


def check_access(connection: Connection, request_id: str | None, deps: Collaborators) -> None:
    """Raise Unauthorized (after ending the connection) when it may no longer act."""
    now = deps.clock()
    change: DeviceChange | None = None
    if connection.token_expires_at <= now:
        change, message = "expired", EXPIRED_MESSAGE
    elif deps.revocations is not None:
        revoked = deps.revocations.find(
            connection.media_day, connection.subject, connection.token_id, now=now
        )
        if revoked is not None:
            change, message = "revoked", REVOKED_MESSAGE.format(reason=revoked.describe())
    if change is None:
        _mark_active(connection, deps)
        return
    end_connection(
        connection,
        change,
        store=deps.connections,
        poster=deps.poster,
        now_ms=deps.now_ms(),
        message=message,
        request_id=request_id,
    )
    raise Unauthorized(message)


def _mark_active(connection: Connection, deps: Collaborators) -> None:
    """`$connect` sets `last_active`; a record without one predates presence: left as is."""
    now_ms = deps.now_ms()
    if connection.last_active is not None and now_ms - connection.last_active >= ACTIVE_EVERY_MS:
        deps.connections.touch(connection.connection_id, now_ms=now_ms)
