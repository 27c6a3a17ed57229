"""$connect and $disconnect when the connections table does not answer in time (issue #19):
a 503 to retry, or a release left to TTL, each logged in one WARNING line, no traceback;
presence (best effort) gives up the same way, while a bug in it keeps its traceback."""

from __future__ import annotations

import pytest

from connect.handler import on_connect, on_disconnect
from infra.local.events import LambdaContext
from mediaday.aws import dynamodb_client
from mediaday.connections import ConnectionStore
from mediaday.models import Role
from mediaday.presence import announce
from mediaday.tokens import issue_token
from tests.conftest import CONNECTIONS_TABLE
from tests.support.connections import kiosk_connection
from tests.support.delivery import RecordingPoster
from tests.support.events import connect_event, disconnect_event
from tests.support.unanswered import handler_log, stop_answering


def test_a_connect_the_table_cannot_record_in_time_is_refused_503_without_a_traceback(
    dynamodb, keys, connection_store
):
    token = issue_token(
        keys.current_key(), role=Role.KIOSK, media_day="md-1", subject="tv", ttl_seconds=600
    )
    stop_answering(dynamodb_client(), "PutItem")
    with handler_log() as log:
        response = on_connect(connect_event("c-1", token=token), LambdaContext("test-function"))
    # Then the handshake is refused as a transient (the client's backoff retries), not 502
    assert response["statusCode"] == 503
    assert "busy" in response["body"]
    assert connection_store.get("c-1") is None
    assert "Traceback" not in log.text
    [warning] = log.entries("store did not answer")
    assert (warning["operation"], warning["error"]) == ("PutItem", "ReadTimeoutError")
    [refused] = log.entries("connection not admitted: store busy")
    assert (refused["level"], refused["status"]) == ("WARNING", 503)


def test_a_disconnect_the_table_cannot_release_in_time_is_left_to_ttl_without_a_traceback(
    dynamodb, connection_store
):
    connection_store.add(kiosk_connection("leaving"))
    connection_store.subscribe(kiosk_connection("leaving"), ["schedule"])
    stop_answering(dynamodb_client(), "BatchWriteItem")
    with handler_log() as log:
        response = on_disconnect(disconnect_event("leaving"), LambdaContext("test-function"))
    # Then $disconnect ends normally (its rows expire by TTL), with one warning per cause
    assert response == {"statusCode": 200}
    assert list(connection_store.subscribers("md-1", "schedule")) == ["leaving"]
    assert "Traceback" not in log.text
    [warning] = log.entries("store did not answer")
    assert (warning["operation"], warning["error"]) == ("BatchWriteItem", "ReadTimeoutError")
    [unreleased] = log.entries("connection not released")
    assert (unreleased["level"], unreleased["error"]) == ("WARNING", "StoreUnavailable")


def test_presence_gives_up_on_an_unanswering_table_with_a_warning(dynamodb):
    store = ConnectionStore(CONNECTIONS_TABLE, dynamodb_client())
    stop_answering(dynamodb_client(), "Query")
    with handler_log() as log:
        sent = announce(
            kiosk_connection("c-1"), "connected", store=store, poster=RecordingPoster(), now_ms=1
        )
    assert sent == 0
    assert "Traceback" not in log.text
    [unreadable] = log.entries("devices topic unreadable")
    assert (unreadable["level"], unreadable["error"]) == ("WARNING", "StoreUnavailable")
    assert unreadable["location"].startswith("announce:")  # the caller's line, not the helper's


def test_presence_failing_with_a_bug_still_logs_its_traceback(
    dynamodb, monkeypatch: pytest.MonkeyPatch
):
    store = ConnectionStore(CONNECTIONS_TABLE, dynamodb_client())

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug in presence")

    monkeypatch.setattr(store, "subscribers", broken)
    with handler_log() as log:
        announce(
            kiosk_connection("c-1"), "connected", store=store, poster=RecordingPoster(), now_ms=1
        )
    [unreadable] = log.entries("devices topic unreadable")
    assert unreadable["level"] == "ERROR"
    assert "Traceback" in unreadable["exception"] and "a bug in presence" in unreadable["exception"]
