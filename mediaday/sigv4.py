"""AWS Signature Version 4 for the Management API's calls, with the day's signing key cached.

botocore's `SigV4Auth` derives the signing key (four HMACs) and builds a generic canonical
request through its header and URL machinery on every call: ~0.07 ms of CPU per post, a
third of what a bare local POST costs. A fan-out signs a thousand requests of one shape
(`POST`/`DELETE /{stage}/@connections/{id}`, headers host, x-amz-date and
x-amz-security-token), so this signer builds exactly that canonical request and derives the
key once per (credentials, UTC day): ~0.01 ms. The result is byte for byte botocore's (a
test compares the headers with boto3's own request), so API Gateway accepts it the same.

The key is HMAC(secret) chained over the date, region and service: it is as secret as the
key it is derived from and is only kept in memory, for one day, for the current secret.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from botocore.credentials import Credentials
from botocore.utils import normalize_url_path

ALGORITHM = "AWS4-HMAC-SHA256"
_TIMESTAMP = "%Y%m%dT%H%M%SZ"  # botocore.auth.SIGV4_TIMESTAMP


def utcnow() -> datetime:
    """The signing time (tests freeze it, and botocore's, to compare signatures)."""
    return datetime.now(UTC)


def host_of(url: str) -> str:
    """The Host header (and signed host) of `url`, as botocore writes it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(parts.scheme)
    if parts.port is not None and parts.port != default:
        host = f"{host}:{parts.port}"
    return host


class SigV4Signer:
    """Signs requests to one host for `service` in `region` with `credentials` (refreshable
    ones are frozen afresh for every request, as botocore does)."""

    def __init__(self, credentials: Credentials, *, region: str, service: str, host: str) -> None:
        self._credentials = credentials
        self._region = region
        self._service = service
        self._host = host
        self._key: tuple[str, str, bytes] | None = None  # (secret, day, signing key)
        self._lock = threading.Lock()

    def headers(self, method: str, path: str, body: bytes) -> dict[str, str]:
        """The headers that sign `method path` with `body`: X-Amz-Date, the session token
        when there is one, and Authorization. `path` is as sent (already percent-encoded)."""
        frozen = self._credentials.get_frozen_credentials()
        stamp = utcnow().strftime(_TIMESTAMP)
        day = stamp[:8]
        token = frozen.token
        if token:
            signed = "host;x-amz-date;x-amz-security-token"
            canonical_headers = (
                f"host:{self._host}\nx-amz-date:{stamp}\nx-amz-security-token:{token}\n"
            )
        else:
            signed = "host;x-amz-date"
            canonical_headers = f"host:{self._host}\nx-amz-date:{stamp}\n"
        canonical = "\n".join(
            (
                method,
                quote(normalize_url_path(path), safe="/~"),  # SigV4 encodes the path again
                "",  # no query string
                canonical_headers,
                signed,
                hashlib.sha256(body).hexdigest(),
            )
        )
        scope = f"{day}/{self._region}/{self._service}/aws4_request"
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        to_sign = f"{ALGORITHM}\n{stamp}\n{scope}\n{digest}"
        key = self._signing_key(frozen.secret_key or "", day)
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        headers = {
            "X-Amz-Date": stamp,
            "Authorization": f"{ALGORITHM} Credential={frozen.access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}",
        }
        if token:
            headers["X-Amz-Security-Token"] = token
        return headers

    def _signing_key(self, secret: str, day: str) -> bytes:
        cached = self._key
        if cached is not None and cached[0] == secret and cached[1] == day:
            return cached[2]
        key = hmac.new(f"AWS4{secret}".encode(), day.encode(), hashlib.sha256).digest()
        for part in (self._region, self._service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        with self._lock:
            self._key = (secret, day, key)
        return key
