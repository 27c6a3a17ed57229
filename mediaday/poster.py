"""Posting to connections through the API Gateway Management API.

Each call is signed with SigV4 by botocore's own signer and sent over one urllib3 pool that
every posting thread shares. A boto3 client would spend ~1.7x the CPU per post on its
per-call machinery (event hooks, validation, endpoint rules, response parsing, and an X-Ray
subsegment each), and a fan-out to a thousand screens is CPU-bound on exactly that
(bench/throughput.py). The API has two calls we use and four statuses that matter, so the
mapping is short: 410 Gone, 429 and 5xx worth a retry, everything else refused.

Errors are the domain's DeliveryError family: callers never see HTTP or botocore.
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import quote

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.httpsession import get_cert_path

from mediaday.errors import ConnectionGone, DeliveryRefused, DeliveryThrottled
from mediaday.settings import API_GATEWAY_MAX_MESSAGE_BYTES

SIGNING_SERVICE = "execute-api"


class Poster(Protocol):
    """Sends one message to one connection; raises a DeliveryError when it cannot."""

    def post(self, connection_id: str, data: bytes) -> None: ...

    def close(self, connection_id: str) -> None: ...


class ManagementApiPoster:
    """The Management API at `endpoint` (https://{api-id}.execute-api.{region}.amazonaws.com/
    {stage}, or the local emulator's), signed for `region` with `credentials`, which may be
    refreshable: they are frozen afresh for every request."""

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
        self._credentials = credentials
        self._region = region
        # retries=False: the fan-out retries with jittered backoff per connection.
        self._pool = urllib3.PoolManager(
            num_pools=1,
            maxsize=pool_size,
            block=False,
            retries=False,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            cert_reqs="CERT_REQUIRED",
            ca_certs=get_cert_path(True),
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
        url = f"{self._endpoint}/@connections/{quote(connection_id, safe='')}"
        request = AWSRequest(method=method, url=url, data=body)
        frozen = self._credentials.get_frozen_credentials()
        SigV4Auth(frozen, SIGNING_SERVICE, self._region).add_auth(request)
        try:
            response = self._pool.request(
                method,
                url,
                body=body or None,
                headers=dict(request.headers.items()),
                redirect=False,
            )
        except urllib3.exceptions.HTTPError as error:  # reset, refused, timeout: retry
            raise DeliveryThrottled(f"Management API unreachable: {error}") from error
        return int(response.status)
