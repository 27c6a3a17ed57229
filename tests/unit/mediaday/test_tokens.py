from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

import pytest

from mediaday.errors import TokenMissing, TokenRejected
from mediaday.models import Role
from mediaday.settings import get_settings
from mediaday.tokens import (
    LifetimeTooLong,
    SigningKey,
    issue_token,
    max_lifetime_seconds,
    verify_token,
)

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


# -- lifetimes, clocks, canonical encoding, unique ids (issue #15) --------------------------
def signed(claims: dict, key: SigningKey = KEY) -> str:
    """A token with exactly these claims, genuinely signed: what a leaked key could mint."""
    signing_input = f"mdl1.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(key.secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def claims_of(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


@pytest.mark.parametrize(
    "role,station,longest",
    [
        (Role.CREW, "st-3", 24 * 3600),
        (Role.PRODUCER, None, 24 * 3600),
        (Role.KIOSK, None, 7 * 86400),
    ],
)
def test_a_token_is_minted_up_to_its_role_maximum_and_not_a_second_more(role, station, longest):
    mint = {"role": role, "media_day": "md-1", "subject": "s", "station": station, "now": NOW}
    assert verify_token(issue_token(KEY, ttl_seconds=longest, **mint), Keys(KEY), now=NOW)
    with pytest.raises(LifetimeTooLong, match=f"a {role.value} token lives at most"):
        issue_token(KEY, ttl_seconds=longest + 1, **mint)


def test_the_role_maximum_is_configurable(monkeypatch):
    monkeypatch.setenv("MEDIADAY_TOKEN_MAX_SECONDS_KIOSK", "3600")
    get_settings.cache_clear()
    try:
        assert max_lifetime_seconds(Role.KIOSK) == 3600
        with pytest.raises(LifetimeTooLong, match="at most 1h, not 2h"):
            issue_token(KEY, role=Role.KIOSK, media_day="md", subject="tv", ttl_seconds=7200)
    finally:
        get_settings.cache_clear()


def test_a_genuinely_signed_token_living_longer_than_its_role_allows_is_rejected():
    claims = claims_of(crew_token())
    claims["exp"] = claims["iat"] + 3_000_000 * 86400
    with pytest.raises(TokenRejected, match="lifetime exceeds the crew maximum"):
        verify_token(signed(claims), Keys(KEY), now=NOW + 10)


@pytest.mark.parametrize(
    "ahead,admitted", [(30, True), (60, True), (61, False), (10 * 365 * 86400, False)]
)
def test_iat_may_be_ahead_of_our_clock_only_by_a_small_skew(ahead, admitted):
    claims = claims_of(crew_token())
    claims["iat"] = int(NOW) + ahead
    claims["exp"] = claims["iat"] + 3600
    if admitted:
        assert verify_token(signed(claims), Keys(KEY), now=NOW).subject == "cam-a"
    else:
        with pytest.raises(TokenRejected, match="issued in the future"):
            verify_token(signed(claims), Keys(KEY), now=NOW)


def test_expiry_before_issue_is_rejected():
    claims = claims_of(crew_token())
    claims["iat"], claims["exp"] = int(NOW) + 50, int(NOW) + 40
    with pytest.raises(TokenRejected, match="lifetime"):
        verify_token(signed(claims), Keys(KEY), now=NOW)


def _flip_unused_bits(part: str) -> str:
    # a 32-byte HMAC is 43 characters: the last one carries 2 unused low bits
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return part[:-1] + alphabet[alphabet.index(part[-1]) ^ 1]


@pytest.mark.parametrize(
    "respell",
    [
        lambda s: s + "=",
        lambda s: s + "==",
        _flip_unused_bits,
        lambda s: s.replace("-", "+").replace("_", "/") if ("-" in s or "_" in s) else s + "=",
        lambda s: s[:10] + "\n" + s[10:],
    ],
)
def test_only_the_canonical_signature_encoding_verifies(respell):
    prefix, payload, signature = crew_token().split(".")
    variant = respell(signature)
    assert base64.urlsafe_b64decode(variant + "==") == base64.urlsafe_b64decode(signature + "=")
    with pytest.raises(TokenRejected, match="not well formed"):
        verify_token(f"{prefix}.{payload}.{variant}", Keys(KEY), now=NOW)


@pytest.mark.parametrize("claims_json", [b"[" * 1400, b'{"a":' * 1400, b"[" * 100_000])
def test_deeply_nested_unsigned_claims_are_rejected_not_a_recursion_error(claims_json):
    token = f"mdl1.{_b64(claims_json)}.AAAA"
    with pytest.raises(TokenRejected):
        verify_token(token[:2048], Keys(KEY), now=NOW)


def test_every_token_carries_its_own_random_id():
    ids = {verify_token(crew_token(), Keys(KEY), now=NOW).token_id for _ in range(50)}
    assert len(ids) == 50
    assert all(len(token_id) >= 16 for token_id in ids)


def test_a_token_id_is_hex_so_it_never_reads_as_a_command_line_option():
    # token_urlsafe ids began with '-' one time in 64: `revoke --token-id -7zS...` failed
    ids = [verify_token(crew_token(), Keys(KEY), now=NOW).token_id for _ in range(20)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", token_id) for token_id in ids)


def test_a_token_without_an_id_is_rejected():
    claims = claims_of(crew_token())
    del claims["jti"]
    with pytest.raises(TokenRejected, match="claims are invalid"):
        verify_token(signed(claims), Keys(KEY), now=NOW)
