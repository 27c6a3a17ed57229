"""SigV4 on the emulator's `@connections`, as API Gateway requires IAM there.

A call is accepted only if its `Authorization` header is an AWS4-HMAC-SHA256 signature made
with the stack's local credentials for `execute-api` in the stack's region, over the
request as it arrived, dated within five minutes. The signature is recomputed with
botocore's `SigV4Auth`, not with the handlers' signer (mediaday/sigv4.py, the code under
check), so a mistake there cannot be repeated here and accepted.
Anything else is 403 `ForbiddenException`, as AWS answers an unsigned or wrongly signed
call; the reason is in the message, never the expected signature.

A fan-out verifies a thousand posts a second, so what does not vary between them is kept:
the signing key (four HMACs over the secret, day, region and service) per such tuple; the
parsed X-Amz-Date per stamp (one a second); the body as read, instead of botocore preparing
a copy of the whole request each time `payload` asks for it. The canonical request and
string to sign are still botocore's for every call. The key cache is keyed by all four, so
another secret or another day always derives (and compares) afresh.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

SERVICE = "execute-api"
MAX_CLOCK_SKEW_SECONDS = 5 * 60
_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/\s]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/"
    r"(?P<service>[a-z0-9-]+)/aws4_request, ?SignedHeaders=(?P<headers>[a-z0-9;-]+), ?"
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class LocalCredentials:
    """The stack's credentials: what its handlers sign with, what `@connections` checks."""

    access_key: str
    secret_key: str
    region: str

    @classmethod
    def from_environment(cls, region: str) -> LocalCredentials | None:
        """The process's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (None when unset: then
        every call is refused)."""
        key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
        return cls(key, secret, region) if key and secret else None


def signature_problem(
    credentials: LocalCredentials | None,
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime | None = None,
) -> str | None:
    """Why the request is not validly signed, or None when it is.

    `url` is the request as the client addressed it (scheme, Host, raw path and query);
    `headers` is case-insensitive (aiohttp's CIMultiDictProxy) or lower-cased.
    """
    authorization = _header(headers, "authorization")
    if authorization is None:
        return "Missing Authentication Token"
    match = _AUTHORIZATION.match(authorization)
    if match is None:
        return "Authorization header is not a SigV4 signature"
    if credentials is None or not hmac.compare_digest(match["key"], credentials.access_key):
        return "The security token included in the request is invalid"
    if match["region"] != credentials.region or match["service"] != SERVICE:
        return f"Credential should be scoped to {credentials.region}/{SERVICE}"
    stamp = _header(headers, "x-amz-date") or ""
    signed_at = _signed_at(stamp)
    if signed_at is None:
        return "X-Amz-Date is missing or malformed"
    moment = now or datetime.now(UTC)
    if abs((moment - signed_at).total_seconds()) > MAX_CLOCK_SKEW_SECONDS:
        return "Signature expired: X-Amz-Date is more than 5 minutes from the server's time"
    if match["date"] != stamp[:8]:
        return "Credential date does not match X-Amz-Date"
    names = match["headers"].split(";")
    if "host" not in names or "x-amz-date" not in names:
        return "SignedHeaders must include host and x-amz-date"
    signed: dict[str, str] = {}
    for name in names:
        value = _header(headers, name)
        if value is None:
            return f"signed header {name} is missing"
        signed[name] = value
    checksum = signed.get("x-amz-content-sha256")
    if checksum is not None and checksum != hashlib.sha256(body).hexdigest():
        return "X-Amz-Content-SHA256 does not match the body"
    request = _ArrivedRequest(method=method, url=url, data=body, headers=signed)
    request.context["timestamp"] = stamp
    expected = _signature(credentials, request)
    if not hmac.compare_digest(expected, match["signature"]):
        return "The request signature we calculated does not match the signature you provided"
    return None


def _signature(credentials: LocalCredentials, request: AWSRequest) -> str:
    signer = _signer(credentials)
    canonical = signer.canonical_request(request)
    return signer.signature(signer.string_to_sign(request, canonical), request)


@lru_cache(maxsize=64)
def _signed_at(stamp: str) -> datetime | None:
    try:
        return datetime.strptime(stamp, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


class _ArrivedRequest(AWSRequest):
    """The request as it arrived. botocore's `body` prepares a copy of the whole request on
    every access (`payload` asks twice); for bytes and no params that is the bytes
    themselves, with b"" as None (then `payload` hashes the empty body alike)."""

    @property
    def body(self) -> Any:  # bytes | None (botocore's stubs say str; botocore gives bytes)
        return self.data or None


class _DayKeySigV4Auth(SigV4Auth):
    """botocore's SigV4 with the derived signing key reused: only `signature` differs."""

    def __init__(self, credentials: ReadOnlyCredentials, service: str, region: str) -> None:
        super().__init__(credentials, service, region)
        self._scope = (region, service)

    def signature(self, string_to_sign: str, request: AWSRequest) -> str:
        day = request.context["timestamp"][:8]
        key = signing_key(self.credentials.secret_key, day, *self._scope)
        return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=8)
def _signer(credentials: LocalCredentials) -> _DayKeySigV4Auth:
    """One signer per stack credentials (botocore's holds no per-request state)."""
    frozen = ReadOnlyCredentials(credentials.access_key, credentials.secret_key, None)
    return _DayKeySigV4Auth(frozen, SERVICE, credentials.region)


@lru_cache(maxsize=16)
def signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    """SigV4's kSigning for `day` (YYYYMMDD): HMAC-SHA256 chained from "AWS4" + secret."""
    key = f"AWS4{secret}".encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.title())
    return value
