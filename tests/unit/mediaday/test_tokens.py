from __future__ import annotations

import base64
import json

import pytest

from mediaday.errors import TokenMissing, TokenRejected
from mediaday.models import Role
from mediaday.tokens import SigningKey, issue_token, verify_token

NOW = 1_800_000_000.0
KEY = SigningKey(b"k" * 32)
OTHER_KEY = SigningKey(b"o" * 32)


class Keys:
    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)

    def current_key(self) -> SigningKey:
        return self.keys[0]

    def verification_keys(self) -> list[SigningKey]:
        return self.keys

    def refresh(self) -> None:
        return


def crew_token(key: SigningKey = KEY, ttl: int = 3600) -> str:
    return issue_token(
        key,
        role=Role.CREW,
        media_day="md-1",
        subject="cam-a",
        station="st-3",
        ttl_seconds=ttl,
        now=NOW,
    )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_fresh_token_verifies_with_its_claims():
    claims = verify_token(crew_token(), Keys(KEY), now=NOW + 10)
    assert (claims.role, claims.station, claims.media_day, claims.subject) == (
        Role.CREW,
        "st-3",
        "md-1",
        "cam-a",
    )
    assert claims.expires_at == NOW + 3600


def test_token_uses_only_characters_safe_in_urls_and_subprotocols():
    token = crew_token()
    assert set(token) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


@pytest.mark.parametrize("token", [None, ""])
def test_missing_token_is_401(token):
    with pytest.raises(TokenMissing):
        verify_token(token, Keys(KEY), now=NOW)


def test_expired_token_is_rejected():
    with pytest.raises(TokenRejected, match="expired"):
        verify_token(crew_token(ttl=60), Keys(KEY), now=NOW + 61)


def test_token_signed_with_another_key_is_rejected():
    with pytest.raises(TokenRejected):
        verify_token(crew_token(OTHER_KEY), Keys(KEY), now=NOW)


def test_forged_key_id_pointing_at_a_real_key_is_rejected():
    prefix, payload, _signature = crew_token(OTHER_KEY).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["kid"] = KEY.key_id
    forged = f"{prefix}.{_b64(json.dumps(claims).encode())}.{_signature}"
    with pytest.raises(TokenRejected, match="signature"):
        verify_token(forged, Keys(KEY), now=NOW)


@pytest.mark.parametrize(
    "field,value",
    [("role", "producer"), ("st", "st-4"), ("exp", 9_999_999_999), ("md", "md-2"), ("sub", "boss")],
)
def test_tampering_with_any_claim_breaks_the_signature(field, value):
    prefix, payload, signature = crew_token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims[field] = value
    tampered = f"{prefix}.{_b64(json.dumps(claims).encode())}.{signature}"
    with pytest.raises(TokenRejected):
        verify_token(tampered, Keys(KEY), now=NOW)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2],
        lambda t: t + "x",
        lambda t: t.replace("mdl1", "mdl2", 1),
        lambda t: ".".join(t.split(".")[:2]),
        lambda t: t.split(".")[0] + ".!!!." + t.split(".")[2],
        lambda t: "x" * 5000,
    ],
)
def test_malformed_tokens_are_rejected_not_crashing(mangle):
    with pytest.raises(TokenRejected):
        verify_token(mangle(crew_token()), Keys(KEY), now=NOW)


def test_rotated_key_still_verifies_during_its_grace_period():
    retired = SigningKey(KEY.secret, retired_after=NOW + 100)
    token = crew_token(KEY)
    assert verify_token(token, Keys(OTHER_KEY, retired), now=NOW + 50).subject == "cam-a"


def test_rotated_key_stops_verifying_after_its_grace_period():
    retired = SigningKey(KEY.secret, retired_after=NOW + 100)
    with pytest.raises(TokenRejected, match="retired"):
        verify_token(crew_token(KEY, ttl=10_000), Keys(OTHER_KEY, retired), now=NOW + 101)


def test_crew_token_without_station_cannot_be_issued():
    with pytest.raises(ValueError, match="station"):
        issue_token(KEY, role=Role.CREW, media_day="md-1", subject="x", ttl_seconds=60, now=NOW)
