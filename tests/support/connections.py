"""A connection record as `$connect` stores it, for tests that lay rows out by hand."""

from __future__ import annotations

from mediaday.connections import Connection
from mediaday.models import Role


def kiosk_connection(connection_id: str, media_day: str = "md-1") -> Connection:
    """A kiosk of subject `tv` whose connection and token outlive any test."""
    return Connection(
        connection_id=connection_id,
        media_day=media_day,
        role=Role.KIOSK,
        subject="tv",
        connected_at=1_800_000_000_000,
        expires_at=4_000_000_000,
        token_expires_at=4_000_000_000,
    )
