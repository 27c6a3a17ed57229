"""Signed connection tokens: who may connect, in which role, for which station and day.

Format: ``mdl1.<base64url(claims JSON)>.<base64url(HMAC-SHA256)>``. Only URL-safe
characters and dots, so a token fits in a query string and in a
``Sec-WebSocket-Protocol`` value. The claims name the signing key (`kid`) so a rotated key
can be found without trying every key, and carry a random id (`jti`) so one token can be
revoked on its own.

Only the canonical encoding verifies (no padding, no stray bits, no `+`/`/`), a token lives
no longer than its role's maximum (settings), and its `iat` is not in the future beyond a
small clock skew. Any failure to parse what a client sent is a refusal, never a crash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mediaday.errors import TokenMissing, TokenRejected
from mediaday.models import Id, Role, ShortText, Subject
from mediaday.settings import get_settings

# Browsers pass the token as a second subprotocol; the server answers with this one. It
# lives here, not in mediaday.protocol, so that $connect does not import the whole wire
# protocol (~12 ms of cold start) for one string; mediaday.protocol re-exports it.
SUBPROTOCOL = "mediaday.v1"

TOKEN_PREFIX = "mdl1"  # noqa: S105 (a format tag, not a secret)
MAX_TOKEN_LENGTH = 2048
TOKEN_ID_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"  # noqa: S105 (a pattern, not a secret)


def new_token_id() -> str:
    """A random 128-bit token id in hex: never starts with '-', so `revoke --token-id J` parses.

    token_urlsafe ids started with '-' one time in 64, and argparse read those as an option.
    """
    return secrets.token_hex(16)


class LifetimeTooLong(ValueError):
    """A token was asked to live longer than its role allows (settings.token_max_seconds_*)."""


@dataclass(frozen=True)
class SigningKey:
    secret: bytes
    # None: the current key. Otherwise the epoch second after which a rotated-out key no
    # longer verifies.
    retired_after: float | None = None

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.secret).hexdigest()[:12]


class KeyProvider(Protocol):
    def current_key(self) -> SigningKey: ...

    def verification_keys(self) -> list[SigningKey]: ...

    def refresh(self) -> None:
        """Look for keys again: a token named a key we do not know, and the key may have
        rotated since the keys were cached. Providers bound how often this costs a fetch."""


class Claims(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    role: Role
    media_day: Id = Field(alias="md")
    subject: Subject = Field(alias="sub")
    station: Id | None = Field(default=None, alias="st")
    issued_at: int = Field(alias="iat", ge=0)
    expires_at: int = Field(alias="exp", ge=0)
    key_id: str = Field(alias="kid", max_length=64)
    token_id: str = Field(alias="jti", pattern=TOKEN_ID_PATTERN)
    # A name for the device holding the token ("Camera 2 tablet"), shown in `devices`.
    label: ShortText | None = Field(default=None, alias="lbl")

    @model_validator(mode="after")
    def _crew_has_a_station(self) -> Claims:
        if self.role is Role.CREW and self.station is None:
            raise ValueError("a crew token names its station")
        return self


def issue_token(
    key: SigningKey,
    *,
    role: Role,
    media_day: str,
    subject: str,
    ttl_seconds: int,
    station: str | None = None,
    label: str | None = None,
    now: float | None = None,
) -> str:
    _check_lifetime(role, ttl_seconds)
    issued = int(time.time() if now is None else now)
    claims = Claims.model_validate(
        {
            "role": role,
            "md": media_day,
            "sub": subject,
            "st": station,
            "iat": issued,
            "exp": issued + ttl_seconds,
            "kid": key.key_id,
            "jti": new_token_id(),
            "lbl": label or None,
        }
    )
    payload = _b64encode(
        json.dumps(claims.model_dump(by_alias=True, exclude_none=True, mode="json")).encode()
    )
    signing_input = f"{TOKEN_PREFIX}.{payload}"
    return f"{signing_input}.{_b64encode(_sign(key.secret, signing_input))}"


def verify_token(token: str | None, keys: KeyProvider, *, now: float | None = None) -> Claims:
    """The claims of a genuine, unexpired token; TokenMissing / TokenRejected otherwise."""
    if not token:
        raise TokenMissing("no token: pass ?token=... or the Sec-WebSocket-Protocol header")
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenRejected("token too long")
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise TokenRejected("not a Media Day token")
    signing_input = f"{parts[0]}.{parts[1]}"
    try:
        signature = _b64decode(parts[2])
        raw_claims = json.loads(_b64decode(parts[1]))
    except (binascii.Error, ValueError, RecursionError) as error:
        # RecursionError: deeply nested JSON ("[[[[..."), sent before any signature check.
        raise TokenRejected("token is not well formed") from error
    moment = time.time() if now is None else now
    if not isinstance(raw_claims, dict):
        raise TokenRejected("token is not well formed")
    key = _key_for(str(raw_claims.get("kid", "")), keys, moment)
    if not hmac.compare_digest(signature, _sign(key.secret, signing_input)):
        raise TokenRejected("token signature does not match")
    try:
        claims = Claims.model_validate(raw_claims)
    except ValidationError as error:
        raise TokenRejected("token claims are invalid") from error
    if claims.expires_at <= moment:
        raise TokenRejected("token expired")
    _check_times(claims, moment)
    return claims


def max_lifetime_seconds(role: Role) -> int:
    """The longest a token of `role` may live (settings, read when first needed)."""
    return get_settings().token_max_seconds(role.value)


def _check_lifetime(role: Role, ttl_seconds: int) -> None:
    limit = max_lifetime_seconds(role)
    if ttl_seconds <= 0:
        raise LifetimeTooLong(f"a token must live at least 1 second, not {ttl_seconds}")
    if ttl_seconds > limit:
        raise LifetimeTooLong(
            f"a {role.value} token lives at most {_duration(limit)}, not {_duration(ttl_seconds)}"
        )


def _check_times(claims: Claims, now: float) -> None:
    if claims.issued_at > now + get_settings().token_clock_skew_seconds:
        raise TokenRejected("token issued in the future")
    lifetime = claims.expires_at - claims.issued_at
    if lifetime <= 0 or lifetime > max_lifetime_seconds(claims.role):
        raise TokenRejected(f"token lifetime exceeds the {claims.role.value} maximum")


def _duration(seconds: int) -> str:
    """Whole days, hours or minutes when exact ("7d", "24h"), otherwise seconds."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _key_for(key_id: str, keys: KeyProvider, now: float) -> SigningKey:
    key = _known_key(key_id, keys)
    if key is None:  # perhaps signed with a key rotated in since we cached ours
        keys.refresh()
        key = _known_key(key_id, keys)
    if key is None:
        raise TokenRejected("token signed with an unknown key")
    if key.retired_after is not None and now > key.retired_after:
        raise TokenRejected("token signed with a retired key")
    return key


def _known_key(key_id: str, keys: KeyProvider) -> SigningKey | None:
    return next((key for key in keys.verification_keys() if key.key_id == key_id), None)


def _sign(secret: bytes, signing_input: str) -> bytes:
    return hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    """Only the one canonical spelling decodes: what _b64encode gives back for the bytes.
    Padding, unused low bits set, `+`/`/` or ignored characters are all refused."""
    if not text or len(text) % 4 == 1:
        raise binascii.Error("bad base64 length")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64encode(raw) != text:
        raise binascii.Error("not the canonical base64url encoding")
    return raw
