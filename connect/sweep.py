"""Closing connections whose token has run out, including those that send nothing.

A connection that sends a message after its token expired is refused and closed by the
message Lambda (messaging.service). One that stays silent is found here: every pass is one
Query per hour bucket of the connections table's `by_token_expiry` index (three buckets),
and each connection found is ended (mediaday.closing): told why, closed through
`DELETE @connections`, forgotten, and announced `expired` on the devices topic.

Where it runs: locally the stack runs a pass every `expiry_sweep_seconds` (2 s); on AWS
an EventBridge rule starts the sweep function every minute and it passes every
`expiry_sweep_seconds` until 5 s before its 60 s timeout. Locally an idle connection is
closed within about `expiry_sweep_seconds` (plus the index's propagation, well under a
second) after its token expires; on AWS also within ~7 s around each minute's handover
from one sweep invocation to the next.
"""

from __future__ import annotations

from mediaday.closing import EXPIRED_MESSAGE, end_connection
from mediaday.connections import ConnectionStore
from mediaday.observability import logger
from mediaday.poster import Poster
from mediaday.settings import API_GATEWAY_MAX_CONNECTION_SECONDS

# Rows outlive API Gateway's 2-hour cap by 15 minutes; older expiries have no rows left.
LOOKBACK_SECONDS = API_GATEWAY_MAX_CONNECTION_SECONDS + 15 * 60


def sweep_expired(store: ConnectionStore, poster: Poster, *, now: float) -> list[str]:
    """End every connection whose token expired by `now`; returns their ids."""
    closed: list[str] = []
    for connection in store.expired(now=now, lookback_seconds=LOOKBACK_SECONDS):
        end_connection(
            connection,
            "expired",
            store=store,
            poster=poster,
            now_ms=int(now * 1000),
            message=EXPIRED_MESSAGE,
        )
        closed.append(connection.connection_id)
    if closed:
        logger.info("expired connections closed", count=len(closed))
    return closed
