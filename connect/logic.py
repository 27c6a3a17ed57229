"""Admitting and releasing WebSocket connections.

The token is verified, the origin checked and the revocations read (afresh, not from the
cache) before anything is written: a refused connection leaves no trace in the
connections table, and a revoked subject or token is refused with 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from mediaday.connections import Connection, ConnectionStore
from mediaday.errors import TokenError
from mediaday.revocations import RevocationStore
from mediaday.settings import Settings
from mediaday.tokens import SUBPROTOCOL, Claims, KeyProvider, verify_token


class Refused(Exception):
    """The handshake is refused with `status` (401: no token, 403: anything else)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Handshake:
    """What the connect handler needs from API Gateway's $connect event."""

    connection_id: str
    connected_at_ms: int
    source_ip: str
    headers: dict[str, str]  # lower-cased names
    query: dict[str, str]
    user_agent: str = ""


@dataclass(frozen=True)
class Admission:
    connection: Connection
    # Set when the browser offered subprotocols: API Gateway must echo exactly one back.
    subprotocol: str | None


def admit(
    handshake: Handshake,
    *,
    keys: KeyProvider,
    store: ConnectionStore,
    revocations: RevocationStore,
    allowed_origins: list[str],
    connection_ttl_seconds: int,
    now: float,
    max_connections_per_subject: int = Settings.model_fields["max_connections_per_subject"].default,
) -> Admission:
    """Verify the handshake and record the connection; raises Refused otherwise."""
    refuse_foreign_origin(handshake, allowed_origins)
    token, subprotocol = _token_of(handshake)
    try:
        claims = verify_token(token, keys, now=now)
    except TokenError as error:
        raise Refused(error.status, error.message) from error
    except (ValueError, RecursionError) as error:  # the client's bytes broke a parser
        raise Refused(403, "token is not well formed") from error
    revoked = revocations.find(
        claims.media_day, claims.subject, claims.token_id, now=now, fresh=True
    )
    if revoked is not None:
        raise Refused(403, revoked.describe())
    # A stolen token cannot open sockets without bound: 429, so a client retries later
    # (a TV whose old socket was never released gets in once that one is gone).
    held = store.subject_connections(
        claims.media_day, claims.subject, now=now, at_most=max_connections_per_subject
    )
    if held >= max_connections_per_subject:
        raise Refused(429, f"this token's subject already has {held} connections")
    connection = _connection_for(handshake, claims, connection_ttl_seconds, now)
    store.add(connection)
    return Admission(connection, subprotocol)


def refuse_foreign_origin(handshake: Handshake, allowed_origins: list[str]) -> None:
    """403 for a browser page from an origin off the allowlist (cross-site WebSocket
    hijacking); clients that send no Origin (the CLI) pass."""
    origin = handshake.headers.get("origin")
    if allowed_origins and origin is not None and origin not in allowed_origins:
        raise Refused(403, "origin not allowed")


def release(connection_id: str, *, store: ConnectionStore) -> tuple[Connection | None, int]:
    """Forget a connection and its subscriptions: the connection as it was (None when it
    was already gone) and the number of rows removed."""
    connection = store.get(connection_id)
    return connection, store.remove(connection_id)


def _token_of(handshake: Handshake) -> tuple[str | None, str | None]:
    """The token from `?token=` or from `Sec-WebSocket-Protocol: mediaday.v1, <token>`."""
    offered = handshake.headers.get("sec-websocket-protocol")
    if offered:
        protocols = [p.strip() for p in offered.split(",") if p.strip()]
        others = [p for p in protocols if p != SUBPROTOCOL]
        if SUBPROTOCOL in protocols and others:
            return others[0], SUBPROTOCOL
    return handshake.query.get("token"), None


def _connection_for(handshake: Handshake, claims: Claims, ttl: int, now: float) -> Connection:
    return Connection(
        connection_id=handshake.connection_id,
        media_day=claims.media_day,
        role=claims.role,
        subject=claims.subject,
        station=claims.station,
        connected_at=handshake.connected_at_ms,
        expires_at=int(now) + ttl,
        token_expires_at=claims.expires_at,
        source_ip=handshake.source_ip,
        token_id=claims.token_id,
        label=claims.label or "",
        user_agent=handshake.user_agent[:512],
        last_active=handshake.connected_at_ms,
    )
