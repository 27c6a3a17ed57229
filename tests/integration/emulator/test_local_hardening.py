"""The local stack listens to no one but its own user (issue #15 §7): `@connections` needs
SigV4 with the stack's credentials, as API Gateway needs IAM, and DynamoDB Local is
reachable on loopback only."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from unittest import mock

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from websockets.asyncio.client import connect

from infra.local.dynamodb import DynamoDBLocal
from infra.local.layout import REGION
from tests.support.gateway import last_connection_id, management


def _call(
    method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """(status, x-amzn-ErrorType, message) of a raw HTTP call."""
    request = urllib.request.Request(url, data=body or None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, "", ""
    except urllib.error.HTTPError as error:
        message = json.loads(error.read() or b"{}").get("message", "")
        return error.code, error.headers.get("x-amzn-ErrorType", ""), message


def _signed_headers(
    method: str, url: str, body: bytes, *, secret: str = "testing", at: datetime | None = None
) -> dict[str, str]:
    """Headers of a call signed with the tests' credentials (or another secret), now or
    at `at`."""
    request = AWSRequest(method=method, url=url, data=body)
    signer = SigV4Auth(Credentials("testing", secret), "execute-api", REGION)
    if at is None:
        signer.add_auth(request)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=at):
            signer.add_auth(request)
    return dict(request.headers.items())


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
async def test_unsigned_management_calls_are_refused_403_forbidden_and_do_nothing(
    gateway, recorder, method
):
    async with connect(gateway.url) as ws:
        connection_id = await last_connection_id(recorder)
        url = f"{recorder.management_endpoint}/@connections/{connection_id}"
        body = b"injected" if method == "POST" else b""
        status, kind, message = await asyncio.to_thread(_call, method, url, body)
        assert (status, kind, message) == (
            403,
            "ForbiddenException",
            "Missing Authentication Token",
        )
        # the socket got nothing and is still open
        await ws.send(json.dumps({"action": "ping"}))
        assert "injected" not in str(await ws.recv())


async def test_calls_signed_with_other_credentials_are_refused_403_forbidden(gateway, recorder):
    async with connect(gateway.url) as ws:
        connection_id = await last_connection_id(recorder)
        for key, secret in (("testing", "guessed"), ("someone-else", "testing")):
            api = boto3.client(
                "apigatewaymanagementapi",
                endpoint_url=recorder.management_endpoint,
                region_name=REGION,
                aws_access_key_id=key,
                aws_secret_access_key=secret,
                config=Config(retries={"max_attempts": 1}),
            )
            with pytest.raises(ClientError) as refused:
                await asyncio.to_thread(api.delete_connection, ConnectionId=connection_id)
            assert refused.value.response["Error"]["Code"] == "ForbiddenException"
            assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert ws.close_code is None  # not deleted


async def test_a_tampered_body_or_a_stale_signature_is_refused(gateway, recorder):
    async with connect(gateway.url) as ws:
        connection_id = await last_connection_id(recorder)
        url = f"{recorder.management_endpoint}/@connections/{connection_id}"
        # Given a genuinely signed POST whose body is swapped after signing
        headers = _signed_headers("POST", url, b"hello")
        status, kind, message = await asyncio.to_thread(_call, "POST", url, b"evil!", headers)
        assert (status, kind) == (403, "ForbiddenException")
        assert "signature" in message
        # And one signed 10 minutes ago (a replay)
        old = datetime.now(UTC) - timedelta(minutes=10)
        headers = _signed_headers("POST", url, b"hello", at=old)
        status, kind, message = await asyncio.to_thread(_call, "POST", url, b"hello", headers)
        assert (status, kind) == (403, "ForbiddenException") and "expired" in message
        # While the same call signed now is delivered
        headers = _signed_headers("POST", url, b"hello")
        assert (await asyncio.to_thread(_call, "POST", url, b"hello", headers))[0] == 200
        assert await ws.recv() == "hello"


async def test_the_handlers_signed_calls_still_work(gateway, recorder):
    # the tests' boto3 client signs with the process's credentials, as the handlers do
    api = management(recorder.management_endpoint)
    async with connect(gateway.url) as ws:
        connection_id = await last_connection_id(recorder)
        await asyncio.to_thread(api.post_to_connection, ConnectionId=connection_id, Data=b"ok")
        assert await ws.recv() == "ok"


def _non_loopback_address() -> str | None:
    """An IPv4 address of this machine that is not loopback (the one its default route
    leaves from), or None when it has none."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: no packet is sent for UDP connect
        address = str(probe.getsockname()[0])
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_dynamodb_local_is_unreachable_from_a_non_loopback_address(
    dynamodb_local: DynamoDBLocal,
):
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    # Given DynamoDB Local answering on loopback
    assert dynamodb_local.client().list_tables(Limit=1) is not None
    # When the same port is tried on the machine's network address
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, dynamodb_local.port), timeout=2).close()
