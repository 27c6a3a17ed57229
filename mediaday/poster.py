"""Posting to connections through the API Gateway Management API.

Each call is signed with SigV4 (mediaday.sigv4: botocore's exact signature, the day's
signing key cached) and sent over a small pool of keep-alive `http.client` connections
that every posting thread shares. A fan-out to a thousand screens is CPU-bound on the
client's cost per post (bench/poster_cost.py): a boto3 client spends ~4x a bare POST on
its per-call machinery, botocore's signer over urllib3 ~3x, this ~1.2x. The API has two
calls we use and four statuses that matter, so the mapping is short: 410 Gone, 429 and
5xx worth a retry, everything else refused.

Errors are the domain's DeliveryError family: callers never see HTTP or botocore.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from botocore.credentials import Credentials

from mediaday.errors import ConnectionGone, DeliveryError, DeliveryRefused, DeliveryThrottled
from mediaday.keepalive import KeepAlivePool
from mediaday.observability import logger
from mediaday.settings import API_GATEWAY_MAX_MESSAGE_BYTES
from mediaday.sigv4 import SigV4Signer, host_of

SIGNING_SERVICE = "execute-api"


class Poster(Protocol):
    """Sends one message to one connection; raises a DeliveryError when it cannot."""

    def post(self, connection_id: str, data: bytes) -> None: ...

    def close(self, connection_id: str) -> None: ...


# Posting one frame to many connections, a few at a time: the first crew of a station must
# not hold its $connect for 100 sequential posts.
ANNOUNCERS = 8


def post_to_each(
    poster: Poster,
    recipients: Sequence[str],
    frame: bytes,
    *,
    on_gone: Callable[[str], None] | None = None,
    **log_fields: Any,
) -> int:
    """Best-effort push of one frame to every recipient: a failed post is logged with
    `log_fields` and dropped, a gone one (410) also handed to `on_gone`. Returns how many
    received it."""

    def deliver(recipient: str) -> bool:
        try:
            poster.post(recipient, frame)
        except DeliveryError as error:
            logger.info("frame not delivered", recipient=recipient, code=error.code, **log_fields)
            if on_gone is not None and isinstance(error, ConnectionGone):
                on_gone(recipient)
            return False
        return True

    if len(recipients) <= 1:
        return sum(map(deliver, recipients))
    with ThreadPoolExecutor(max_workers=min(ANNOUNCERS, len(recipients))) as pool:
        return sum(pool.map(deliver, recipients))


class ManagementApiPoster:
    """The Management API at `endpoint` (https://{api-id}.execute-api.{region}.amazonaws.com/
    {stage}, or the local emulator's), signed for `region` with `credentials`, which may be
    refreshable: they are frozen afresh for every request. Up to `pool_size` idle
    connections are kept for reuse."""

    def __init__(
        self,
        endpoint: str,
        *,
        credentials: Credentials,
        region: str,
        pool_size: int,
        connect_timeout: float = 2.0,
        read_timeout: float = 5.0,
    ) -> None:
        self._endpoint = endpoint.rstrip("/")
        parts = urlsplit(self._endpoint)
        self._host = host_of(self._endpoint)
        self._base_path = parts.path
        self._region = region
        self._signer = SigV4Signer(
            credentials, region=region, service=SIGNING_SERVICE, host=self._host
        )
        self._pool = KeepAlivePool(
            f"{parts.scheme}://{parts.netloc}",
            size=pool_size,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )

    @property
    def region(self) -> str:
        """The region requests are signed for."""
        return self._region

    def post(self, connection_id: str, data: bytes) -> None:
        if len(data) > API_GATEWAY_MAX_MESSAGE_BYTES:
            raise DeliveryRefused(
                f"payload of {len(data)} bytes exceeds API Gateway's 128 KB message limit"
            )
        status = self._send("POST", connection_id, data)
        if status == 200:
            return
        if status == 410:
            raise ConnectionGone(f"connection {connection_id} is gone")
        if status == 429:
            raise DeliveryThrottled("Management API throttled the post (429)")
        if status >= 500:
            raise DeliveryThrottled(f"Management API answered {status}")
        if status == 413:
            raise DeliveryRefused("Management API refused the payload as too large (413)")
        if status == 403:
            raise DeliveryRefused("Management API refused the post (403): check IAM")
        raise DeliveryRefused(f"Management API answered {status}")

    def close(self, connection_id: str) -> None:
        """Disconnect a client; one that is already gone is fine."""
        status = self._send("DELETE", connection_id, b"")
        if status in (200, 204, 410):
            return
        if status == 429 or status >= 500:
            raise DeliveryThrottled(f"Management API answered {status} to a disconnect")
        raise DeliveryRefused(f"Management API answered {status} to a disconnect")

    def _send(self, method: str, connection_id: str, body: bytes) -> int:
        path = f"{self._base_path}/@connections/{quote(connection_id, safe='')}"
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self._host}"]
        lines += [
            f"{name}: {value}" for name, value in self._signer.headers(method, path, body).items()
        ]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        try:
            return self._pool.request(head, body, method=method)
        except (OSError, http.client.HTTPException) as error:  # reset, refused, timeout
            raise DeliveryThrottled(f"Management API unreachable: {error}") from error
