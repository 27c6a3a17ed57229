"""The client's side of token expiry: renew before it, or say plainly that access ended.

The server closes a connection whose token has expired (docs/security.md) and refuses the
token at the next handshake, so a client that cannot get a new token must stop and say
"access expired", not reconnect forever. A client given `ClientOptions.token_source` (a
callable that mints or fetches a fresh token) asks it for a new token shortly before the
current one runs out and renews its connection with it, make-before-break, so nothing is
missed; it also asks it before any reconnect with a token about to expire.

The token's `exp` is read without verifying the token (the server does that).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

from client.errors import AccessExpired, ClientError, TokenRefused

TokenSource = Callable[[], str]


def token_expires_at(token: str) -> float | None:
    """The token's `exp` (epoch seconds), read without verifying; None if unreadable."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    expiry = claims.get("exp") if isinstance(claims, dict) else None
    return float(expiry) if isinstance(expiry, int | float) else None


def seconds_left(token: str, *, now: float | None = None) -> float | None:
    """How long the token still admits a connection; None when it names no expiry."""
    expiry = token_expires_at(token)
    if expiry is None:
        return None
    return expiry - (time.time() if now is None else now)


def fresh_token(token: str, source: TokenSource | None, *, margin: float) -> str:
    """`token`, or a new one from `source` when it runs out within `margin` seconds."""
    left = seconds_left(token)
    if source is None or left is None or left > margin:
        return token
    return source()


def explain(error: ClientError, token: str) -> ClientError:
    """A refused handshake with an expired token is AccessExpired, in plain words."""
    expiry = token_expires_at(token)
    if not isinstance(error, TokenRefused) or expiry is None or expiry > time.time():
        return error
    at = datetime.fromtimestamp(expiry, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return AccessExpired(f"access expired: the token ran out at {at}; get a new token", 403)
