"""Ending a connection the service no longer admits: its token expired, or was revoked.

One routine for every place that finds such a connection (a message from it, the expiry
sweep, a revocation): tell the client why (an `unauthorized` error frame, so it reconnects
with a fresh token or shows that access ended), close its socket through
`DELETE @connections`, forget its rows, and announce it on the devices topic.
"""

from __future__ import annotations

from mediaday.connections import Connection, ConnectionStore
from mediaday.errors import DeliveryError
from mediaday.observability import logger
from mediaday.poster import Poster
from mediaday.presence import DeviceChange, announce
from mediaday.protocol import ErrorFrame

EXPIRED_MESSAGE = "your token has expired: reconnect with a fresh token"
REVOKED_MESSAGE = "access revoked by a producer ({reason}): ask for a new token"


def end_connection(
    connection: Connection,
    change: DeviceChange,
    *,
    store: ConnectionStore,
    poster: Poster,
    now_ms: int,
    message: str,
    request_id: str | None = None,
) -> None:
    """Notify, close, forget and announce; a client already gone is fine."""
    notice = ErrorFrame(
        id=request_id, code="unauthorized", message=message, server_time=now_ms
    ).encode()
    connection_id = connection.connection_id
    tell_and_close(poster, connection_id, notice)
    store.remove(connection_id)
    announce(connection, change, store=store, poster=poster, now_ms=now_ms)
    logger.info("connection ended", connection_id=connection_id, change=change)


def tell_and_close(poster: Poster, connection_id: str, notice: bytes) -> None:
    """Post the client why, then `DELETE @connections` (API Gateway closes with 1000: no
    other code can be asked for). Either failing is logged, not raised: the caller forgets
    the rows anyway, and the connection cannot act any more (every message re-checks)."""
    try:
        poster.post(connection_id, notice)
    except DeliveryError as error:
        logger.info("closing notice not delivered", connection_id=connection_id, code=error.code)
    try:
        poster.close(connection_id)
    except DeliveryError as error:
        logger.warning("connection not closed", connection_id=connection_id, code=error.code)
