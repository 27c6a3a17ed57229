"""Abuse limits on messages: per connection and per subject, refusals counted, and a
connection refused too often closed.

The counters live in the connections table (one row per connection or subject and minute,
with a TTL), so every concurrent Lambda instance sees the same counts. A second socket
opened with the same token shares its subject's budget, and a malformed or refused
message costs as much as a good one: both were free before (issue #15).
"""

from __future__ import annotations

from dataclasses import dataclass

from mediaday.closing import tell_and_close
from mediaday.connections import Connection, ConnectionStore
from mediaday.errors import (
    Forbidden,
    InvalidRequest,
    MessageTooLarge,
    RateLimited,
    RequestError,
    UnknownAction,
)
from mediaday.observability import log_failure, logger
from mediaday.poster import Poster
from mediaday.settings import ReadFromSettings, from_setting

# Refusals that say the client is broken or probing. Not counted: conflict, not_found,
# invalid_state, resync_required, the ordinary outcomes of producers racing each other.
ABUSIVE_REFUSALS: tuple[type[RequestError], ...] = (
    InvalidRequest,
    UnknownAction,
    MessageTooLarge,
    Forbidden,
    RateLimited,
)


@dataclass(frozen=True)
class AbuseLimits(ReadFromSettings):
    """The limits beside the per-connection rate (settings `MEDIADAY_*`)."""

    per_subject_per_minute: int = from_setting("rate_limit_per_subject_per_minute")
    refusals_before_close: int = from_setting("refusals_before_close")
    subscriptions_per_connection: int = from_setting("max_subscriptions_per_connection")


def enforce_rate_limit(
    store: ConnectionStore,
    connection: Connection,
    *,
    limit_per_minute: int,
    limits: AbuseLimits,
    now: float,
) -> int:
    """Count this message for its connection and its subject; refuse it when either is
    over its limit this minute. Returns the connection's count so far this minute."""
    count = store.count_message(connection.connection_id, now=now)
    subject_count = store.count_subject_message(connection.media_day, connection.subject, now=now)
    retry_in = 60 - int(now) % 60
    if count > limit_per_minute:
        raise RateLimited(
            f"more than {limit_per_minute} messages this minute; retry in {retry_in} s"
        )
    if subject_count > limits.per_subject_per_minute:
        raise RateLimited(
            f"more than {limits.per_subject_per_minute} messages this minute from the "
            f"connections of this token's subject; retry in {retry_in} s"
        )
    return count


def count_refusal(
    store: ConnectionStore,
    connection_id: str,
    error: RequestError,
    *,
    counted: bool,
    limits: AbuseLimits,
    now: float,
) -> bool:
    """Count an abusive refusal, and the message itself when it was refused before the
    rate counters saw it (malformed input costs a message too: one write, on the
    connection's row; the connection is not read for it, so its subject's counter does
    not move). True once the connection has had `refusals_before_close` such refusals
    this minute and must be closed (asked again if one more slips in before the close)."""
    if not isinstance(error, ABUSIVE_REFUSALS):
        return False
    refusals = store.count_refusal(connection_id, now=now, as_message=not counted)
    return refusals >= limits.refusals_before_close


def closing_message(limits: AbuseLimits) -> str:
    return (
        f"{limits.refusals_before_close} refused messages within a minute: this connection "
        "is closed; fix the client before reconnecting"
    )


def close_abusive(
    store: ConnectionStore, poster: Poster, connection_id: str, notice: bytes
) -> None:
    """Tell the client why, close its socket and forget its rows, so a socket that
    lingers is refused `unauthorized` from its next message on."""
    tell_and_close(poster, connection_id, notice)
    try:
        store.remove(connection_id)
    except Exception as error:  # the refusal is still answered; the rows expire by TTL
        log_failure("rows of a closed connection not removed", error, connection_id=connection_id)
    logger.warning("connection closed for refusals", connection_id=connection_id)
