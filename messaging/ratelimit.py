"""Per-connection message rate limit: a fixed one-minute window counted in DynamoDB.

The counter lives in the connections table (one row per connection and minute, with a
TTL), so every concurrent Lambda instance sees the same count.
"""

from __future__ import annotations

from mediaday.connections import ConnectionStore
from mediaday.errors import RateLimited


def enforce_rate_limit(
    store: ConnectionStore, connection_id: str, *, limit_per_minute: int, now: float
) -> None:
    """Count this message; refuse it when the connection is over its limit this minute."""
    count = store.count_message(connection_id, now=now)
    if count > limit_per_minute:
        retry_in = 60 - int(now) % 60
        raise RateLimited(
            f"more than {limit_per_minute} messages this minute; retry in {retry_in} s"
        )
