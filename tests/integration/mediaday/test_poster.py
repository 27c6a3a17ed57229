"""The Management API poster on the wire: boto3's exact signed request, and the statuses
mapped to the domain's delivery errors."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import datetime

import boto3
import pytest
from botocore.credentials import Credentials

from mediaday.aws import management_api_poster, reset_clients
from mediaday.errors import ConnectionGone, DeliveryRefused, DeliveryThrottled
from mediaday.poster import ManagementApiPoster
from tests.support.management_api import FakeManagementApi, fake_management_api

CREDENTIALS = Credentials("AKIDEXAMPLE", "secret-example", "session-token-example")
CONNECTION_ID = "L0SM9cOFvHcCIhw="  # API Gateway's ids end in "=", which paths must encode


@pytest.fixture
def api() -> Iterator[FakeManagementApi]:
    with fake_management_api() as server:
        yield server


@pytest.fixture
def poster(api: FakeManagementApi) -> ManagementApiPoster:
    return ManagementApiPoster(
        f"{api.url}/prod", credentials=CREDENTIALS, region="eu-west-1", pool_size=4
    )


def test_a_post_is_the_request_boto3_would_send_byte_for_byte(api, poster, monkeypatch):
    # Given the clock stands still, so both signatures are over the same instant
    monkeypatch.setattr(
        "botocore.auth.get_current_datetime", lambda: datetime(2026, 11, 25, 14, 0, 0)
    )
    monkeypatch.setattr("mediaday.sigv4.utcnow", lambda: datetime(2026, 11, 25, 14, 0, 0))
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"{api.url}/prod",
        region_name="eu-west-1",
        aws_access_key_id=CREDENTIALS.access_key,
        aws_secret_access_key=CREDENTIALS.secret_key,
        aws_session_token=CREDENTIALS.token,
    )
    # When boto3 and the poster post the same bytes to the same connection
    client.post_to_connection(ConnectionId=CONNECTION_ID, Data=b'{"type":"event"}')
    poster.post(CONNECTION_ID, b'{"type":"event"}')
    # Then API Gateway receives the same path, body and signature from both
    by_boto3, by_poster = api.received
    assert by_poster.path == by_boto3.path == "/prod/@connections/L0SM9cOFvHcCIhw%3D"
    assert by_poster.body == by_boto3.body == b'{"type":"event"}'
    for header in ("authorization", "x-amz-date", "x-amz-security-token"):
        assert by_poster.headers[header] == by_boto3.headers[header], header
    assert by_poster.headers["authorization"].startswith(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/eu-west-1/execute-api/aws4_request"
    )


def test_a_disconnect_is_a_signed_delete_and_a_gone_connection_is_fine(api, poster):
    api.answer(204, 410)
    poster.close(CONNECTION_ID)
    poster.close("already-gone")
    assert [(r.method, r.path) for r in api.received] == [
        ("DELETE", "/prod/@connections/L0SM9cOFvHcCIhw%3D"),
        ("DELETE", "/prod/@connections/already-gone"),
    ]
    assert all("execute-api" in r.headers["authorization"] for r in api.received)


@pytest.mark.parametrize(
    "status,expected",
    [
        (410, ConnectionGone),
        (429, DeliveryThrottled),
        (500, DeliveryThrottled),
        (503, DeliveryThrottled),
        (403, DeliveryRefused),
        (413, DeliveryRefused),
        (400, DeliveryRefused),
    ],
)
def test_answers_map_to_delivery_errors(api, poster, status, expected):
    api.answer(status)
    with pytest.raises(expected):
        poster.post("c-1", b"x")


def test_a_failed_disconnect_says_whether_a_retry_can_help(api, poster):
    api.answer(429, 403)
    with pytest.raises(DeliveryThrottled):
        poster.close("c-1")
    with pytest.raises(DeliveryRefused):
        poster.close("c-1")


def test_an_unreachable_api_is_worth_a_retry():
    with fake_management_api() as api:
        endpoint = f"{api.url}/prod"
    closed = ManagementApiPoster(endpoint, credentials=CREDENTIALS, region="eu-west-1", pool_size=1)
    with pytest.raises(DeliveryThrottled, match="unreachable"):
        closed.post("c-1", b"x")


def test_payload_over_128_kb_is_refused_without_a_call(api, poster):
    with pytest.raises(DeliveryRefused, match="128 KB"):
        poster.post("c-1", b"x" * (128 * 1024 + 1))
    assert api.received == []


def test_the_factory_signs_with_the_sessions_credentials_and_region(api, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    reset_clients()
    management_api_poster(f"{api.url}/prod", 2).post("c-1", b"hi")
    (received,) = api.received
    assert "AKIDFROMENV/" in received.headers["authorization"]
    assert "/ap-southeast-2/execute-api/" in received.headers["authorization"]
    reset_clients()


def test_an_execute_api_host_names_the_signing_region_before_the_session_does(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    reset_clients()
    api = "https://abc123.execute-api.sa-east-1.amazonaws.com/prod"
    assert management_api_poster(api, 1).region == "sa-east-1"
    assert management_api_poster("http://127.0.0.1:1/local", 1).region == "eu-west-1"
    # Without a configured region, only an execute-api host can say which
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    reset_clients()
    assert management_api_poster(api, 1).region == "sa-east-1"
    with pytest.raises(RuntimeError, match="no AWS region"):
        management_api_poster("http://127.0.0.1:1/prod", 1)
    reset_clients()


def test_a_connection_the_server_closed_while_idle_is_replaced_not_reported():
    # Given a server that answers each request, then closes the connection without saying so
    listener = socket.create_server(("127.0.0.1", 0))
    answered: list[bytes] = []

    def serve() -> None:
        for _ in range(3):
            conn, _ = listener.accept()
            with conn:
                answered.append(conn.recv(65536))
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    poster = ManagementApiPoster(
        f"http://127.0.0.1:{port}/prod", credentials=CREDENTIALS, region="eu-west-1", pool_size=2
    )
    # When three posts go out one after another, Then each is delivered on a fresh connection
    for n in range(3):
        poster.post(f"c-{n}", b"hello")
    thread.join(5)
    listener.close()
    assert [request.split(b" ", 2)[1] for request in answered] == [
        b"/prod/@connections/c-0",
        b"/prod/@connections/c-1",
        b"/prod/@connections/c-2",
    ]
