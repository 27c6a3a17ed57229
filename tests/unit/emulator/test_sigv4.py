"""infra/local/sigv4.py: the emulator accepts exactly botocore's signature with the stack's
credentials, and says why it refuses anything else (never the expected signature)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from infra.local.sigv4 import LocalCredentials, signature_problem

STACK = LocalCredentials("local", "s3cr3t" * 8, "eu-west-1")
URL = "http://127.0.0.1:8080/local/@connections/abc%3D"
NOW = datetime(2026, 11, 25, 14, 0, 0, tzinfo=UTC)


class KeyOfAnotherDay(SigV4Auth):
    """botocore's signer, but with the signing key of `key_day` whatever the request's date:
    what a verifier that reused a cached key across days would wrongly accept."""

    key_day = NOW.strftime("%Y%m%d")

    def signature(self, string_to_sign, request):
        stamp = request.context["timestamp"]
        request.context["timestamp"] = self.key_day + stamp[8:]
        try:
            return super().signature(string_to_sign, request)
        finally:
            request.context["timestamp"] = stamp


def signed(
    *,
    secret: str = STACK.secret_key,
    region: str = "eu-west-1",
    body: bytes = b"hi",
    at: datetime = NOW,
    signer: type[SigV4Auth] = SigV4Auth,
) -> dict[str, str]:
    request = AWSRequest(method="POST", url=URL, data=body)
    with mock.patch("botocore.auth.get_current_datetime", return_value=at.replace(tzinfo=None)):
        signer(Credentials("local", secret), "execute-api", region).add_auth(request)
    return {name.lower(): value for name, value in request.headers.items()} | {
        "host": "127.0.0.1:8080"
    }


def problem(headers: dict[str, str], *, body: bytes = b"hi", now: datetime = NOW) -> str | None:
    return signature_problem(STACK, method="POST", url=URL, headers=headers, body=body, now=now)


def test_botocores_own_signature_with_the_stacks_credentials_is_accepted():
    assert problem(signed()) is None
    assert problem(signed(), now=NOW + timedelta(minutes=4)) is None  # within the skew


@pytest.mark.parametrize(
    ("headers", "body", "reason"),
    [
        ({}, b"hi", "Missing Authentication Token"),
        ({"authorization": "Bearer x"}, b"hi", "not a SigV4 signature"),
        (signed(secret="guessed"), b"hi", "signature we calculated does not match"),
        (signed(region="us-east-1"), b"hi", "scoped to eu-west-1/execute-api"),
        (signed(), b"other", "signature we calculated does not match"),
        ({**signed(), "x-amz-date": "yesterday"}, b"hi", "X-Amz-Date"),
    ],
)
def test_anything_else_is_refused_with_a_reason(headers, body, reason):
    found = problem(headers, body=body)
    assert found is not None and reason in found


def test_a_signature_older_than_five_minutes_is_expired():
    found = problem(signed(), now=NOW + timedelta(minutes=6))
    assert found is not None and "expired" in found


def test_without_stack_credentials_every_call_is_refused():
    found = signature_problem(None, method="POST", url=URL, headers=signed(), body=b"hi", now=NOW)
    assert found == "The security token included in the request is invalid"


def test_the_cached_day_key_accepts_no_other_secret_and_no_other_day():
    assert problem(signed()) is None  # the key for (secret, NOW's day) is now cached
    found = problem(signed(secret="guessed"))
    assert found is not None and "does not match" in found
    # another stack (same key id, region, day; another secret) checks against its own key
    other = LocalCredentials("local", "other" * 8, "eu-west-1")
    found = signature_problem(other, method="POST", url=URL, headers=signed(), body=b"hi", now=NOW)
    assert found is not None and "does not match" in found
    # the next day: yesterday's key signing today's date is refused, today's key accepted
    tomorrow = NOW + timedelta(days=1)
    stale = signed(at=tomorrow, signer=KeyOfAnotherDay)
    assert stale["x-amz-date"].startswith(tomorrow.strftime("%Y%m%d"))
    found = problem(stale, now=tomorrow)
    assert found is not None and "does not match" in found
    assert problem(signed(at=tomorrow), now=tomorrow) is None
    assert problem(signed(), now=tomorrow) is not None  # yesterday's signature: expired


def test_a_bodyless_call_is_checked_against_the_empty_body():
    request = AWSRequest(method="DELETE", url=URL)
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW.replace(tzinfo=None)):
        SigV4Auth(Credentials("local", STACK.secret_key), "execute-api", "eu-west-1").add_auth(
            request
        )
    headers = {name.lower(): value for name, value in request.headers.items()}
    headers["host"] = "127.0.0.1:8080"

    def check(body: bytes) -> str | None:
        return signature_problem(
            STACK, method="DELETE", url=URL, headers=headers, body=body, now=NOW
        )

    assert check(b"") is None
    found = check(b"x")
    assert found is not None and "does not match" in found
