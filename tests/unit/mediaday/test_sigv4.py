"""The Management API signer: botocore's exact SigV4 headers, the day's key cached safely."""

from __future__ import annotations

from datetime import datetime

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from mediaday.sigv4 import SigV4Signer, host_of

ENDPOINT = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"


def botocore_headers(credentials, url: str, method: str, body: bytes) -> dict[str, str]:
    request = AWSRequest(method=method, url=url, data=body)
    SigV4Auth(credentials.get_frozen_credentials(), "execute-api", "eu-west-1").add_auth(request)
    names = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")
    return {name: request.headers[name] for name in names if name in request.headers}


def at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: moment)
    monkeypatch.setattr("mediaday.sigv4.utcnow", lambda: moment)


@pytest.mark.parametrize(
    "credentials",
    [
        Credentials("AKIDEXAMPLE", "secret-example", "session-token-example"),
        Credentials("AKIDEXAMPLE", "secret-example"),  # no session token: two signed headers
    ],
)
@pytest.mark.parametrize(
    ("url", "method", "body"),
    [
        (f"{ENDPOINT}/@connections/L0SM9cOFvHcCIhw%3D", "POST", b'{"type":"events"}'),
        (f"{ENDPOINT}/@connections/abc", "DELETE", b""),
        ("http://127.0.0.1:8123/local/@connections/a%2Bb%2F%3D", "POST", b"x" * 5000),
        ("http://localhost:80/local/@connections/x", "POST", b"{}"),
    ],
)
def test_the_headers_are_botocores_byte_for_byte(monkeypatch, credentials, url, method, body):
    at(monkeypatch, datetime(2026, 11, 25, 14, 0, 7))
    path = url.split("/", 3)[3]
    signer = SigV4Signer(credentials, region="eu-west-1", service="execute-api", host=host_of(url))
    assert signer.headers(method, f"/{path}", body) == botocore_headers(
        credentials, url, method, body
    )


class Rotating:
    """Credentials whose secret changes, as a Lambda role's do when they are refreshed."""

    def __init__(self) -> None:
        self.current = Credentials("AKIDEXAMPLE", "first-secret", "token")

    def get_frozen_credentials(self):
        return self.current.get_frozen_credentials()


def test_the_cached_key_follows_the_day_and_a_rotated_secret(monkeypatch):
    credentials = Rotating()
    signer = SigV4Signer(credentials, region="eu-west-1", service="execute-api", host="h")
    url = "https://h/prod/@connections/c"
    signatures = []
    # When signing late one day, after the secret rotated, and after midnight
    for moment, secret in (
        (datetime(2026, 11, 25, 23, 59, 58), "first-secret"),
        (datetime(2026, 11, 25, 23, 59, 59), "second-secret"),
        (datetime(2026, 11, 26, 0, 0, 1), "second-secret"),
    ):
        at(monkeypatch, moment)
        credentials.current = Credentials("AKIDEXAMPLE", secret, "token")
        # Then each signature is the one botocore makes at that moment with that secret
        expected = botocore_headers(credentials.current, url, "POST", b"x")
        assert signer.headers("POST", "/prod/@connections/c", b"x") == expected
        signatures.append(expected["Authorization"])
    assert len(set(signatures)) == 3


def test_the_host_is_written_as_botocore_signs_it():
    assert host_of("https://ABC.execute-api.eu-west-1.amazonaws.com/prod") == (
        "abc.execute-api.eu-west-1.amazonaws.com"
    )
    assert host_of("https://h:443/p") == "h"
    assert host_of("http://127.0.0.1:8080/local") == "127.0.0.1:8080"
    assert host_of("http://[::1]:8080/local") == "[::1]:8080"
