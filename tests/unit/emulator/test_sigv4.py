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


def signed(
    *, secret: str = STACK.secret_key, region: str = "eu-west-1", body: bytes = b"hi"
) -> dict[str, str]:
    request = AWSRequest(method="POST", url=URL, data=body)
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW.replace(tzinfo=None)):
        SigV4Auth(Credentials("local", secret), "execute-api", region).add_auth(request)
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
