"""$connect: the token is checked before anything is written."""

from __future__ import annotations

import base64

import pytest

from connect.handler import on_connect
from infra.local.events import LambdaContext
from mediaday.models import Role
from mediaday.protocol import SUBPROTOCOL
from mediaday.tokens import issue_token
from tests.conftest import CONNECTIONS_TABLE
from tests.support.events import connect_event
from tests.support.tables import table_rows


@pytest.fixture
def crew_token(keys):
    return issue_token(
        keys.current_key(),
        role=Role.CREW,
        media_day="md-1",
        subject="cam-a",
        station="st-3",
        ttl_seconds=600,
    )


def test_valid_token_admits_and_records_the_connection(
    dynamodb, key_file, connection_store, crew_token
):
    # When a crew connects with a valid token in the query string
    response = on_connect(connect_event("c-1", token=crew_token), LambdaContext("test-function"))
    # Then the handshake succeeds and the connection is recorded with its role and station
    assert response["statusCode"] == 200
    connection = connection_store.get("c-1")
    assert connection is not None
    assert (connection.role, connection.station, connection.subject) == (Role.CREW, "st-3", "cam-a")
    assert connection.source_ip == "203.0.113.7"
    # And its row expires a little after API Gateway's 2-hour limit
    assert 7200 < connection.expires_at - connection.connected_at / 1000 < 7200 + 3600


def test_token_in_subprotocol_header_is_accepted_and_echoed(
    dynamodb, key_file, connection_store, crew_token
):
    event = connect_event("c-2", headers={"Sec-WebSocket-Protocol": f"{SUBPROTOCOL}, {crew_token}"})
    response = on_connect(event, LambdaContext("test-function"))
    assert response["statusCode"] == 200
    assert response["headers"] == {"Sec-WebSocket-Protocol": SUBPROTOCOL}
    assert connection_store.get("c-2") is not None


@pytest.mark.parametrize(
    "token,status",
    [
        (None, 401),
        ("garbage", 403),
        ("mdl1.e30.AAAA", 403),
        # an unsigned token of 1,400 "[": once a RecursionError and a 500 (issue #15)
        ("mdl1." + base64.urlsafe_b64encode(b"[" * 1400).decode().rstrip("=") + ".AAAA", 403),
        ("[" * 1400, 403),
    ],
    ids=["none", "garbage", "empty-claims", "nested-1400", "brackets"],
)
def test_missing_or_bad_token_is_refused_and_nothing_written(dynamodb, key_file, token, status):
    response = on_connect(connect_event("c-3", token=token), LambdaContext("test-function"))
    assert response["statusCode"] == status
    assert table_rows(dynamodb, CONNECTIONS_TABLE) == []


def test_expired_token_is_refused_and_nothing_written(dynamodb, key_file, keys):
    expired = issue_token(
        keys.current_key(),
        role=Role.KIOSK,
        media_day="md-1",
        subject="tv",
        ttl_seconds=60,
        now=1_000_000,
    )
    assert (
        on_connect(connect_event(token=expired), LambdaContext("test-function"))["statusCode"]
        == 403
    )
    assert table_rows(dynamodb, CONNECTIONS_TABLE) == []


def test_origin_outside_the_allowlist_is_refused_and_nothing_written(
    dynamodb, key_file, crew_token, monkeypatch
):
    monkeypatch.setenv("MEDIADAY_ALLOWED_ORIGINS", '["https://kiosk.example.org"]')
    from mediaday.factories import reset_all

    reset_all()
    event = connect_event(token=crew_token, headers={"Origin": "https://evil.example.com"})
    assert on_connect(event, LambdaContext("test-function"))["statusCode"] == 403
    assert table_rows(dynamodb, CONNECTIONS_TABLE) == []
    good = connect_event("c-ok", token=crew_token, headers={"Origin": "https://kiosk.example.org"})
    assert on_connect(good, LambdaContext("test-function"))["statusCode"] == 200
