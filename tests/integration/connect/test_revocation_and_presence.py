"""$connect refuses revoked tokens; connect and disconnect announce devices; the sweep
closes idle connections whose token ran out."""

from __future__ import annotations

import time

import pytest

import connect.handler
from connect.handler import on_connect, on_disconnect
from connect.sweep import sweep_expired
from infra.local.events import LambdaContext
from mediaday.connections import Connection
from mediaday.models import Role
from mediaday.revocations import Revocation, RevocationStore
from mediaday.tokens import issue_token, verify_token
from tests.conftest import CONNECTIONS_TABLE
from tests.support.delivery import RecordingPoster
from tests.support.events import connect_event, disconnect_event


@pytest.fixture
def poster(monkeypatch) -> RecordingPoster:
    recording = RecordingPoster()
    monkeypatch.setattr(connect.handler, "get_callback_poster", lambda domain, stage: recording)
    return recording


def _token(keys, subject: str = "cam-a", label: str | None = None) -> str:
    return issue_token(
        keys.current_key(),
        role=Role.CREW,
        media_day="md-1",
        subject=subject,
        station="st-3",
        ttl_seconds=600,
        label=label,
    )


def _producer(store, connection_id: str = "c-prod") -> Connection:
    now = int(time.time())
    producer = Connection(
        connection_id=connection_id,
        media_day="md-1",
        role=Role.PRODUCER,
        subject="pat",
        connected_at=now * 1000,
        expires_at=now + 8100,
        token_expires_at=now + 3600,
    )
    store.add(producer)
    store.subscribe(producer, ["devices"])
    return producer


def test_connect_records_the_device_and_announces_it(dynamodb, keys, connection_store, poster):
    _producer(connection_store)
    token = _token(keys, label="Camera 2 tablet")
    response = on_connect(connect_event("c-1", token=token), LambdaContext("test-function"))
    assert response["statusCode"] == 200
    device = connection_store.get("c-1")
    assert (device.label, device.user_agent) == ("Camera 2 tablet", "pytest")
    assert device.token_id == verify_token(token, keys).token_id
    (frame,) = poster.frames("c-prod")
    assert (frame["type"], frame["change"], frame["device"]["label"]) == (
        "device",
        "connected",
        "Camera 2 tablet",
    )
    on_disconnect(disconnect_event("c-1"), LambdaContext("test-function"))
    assert [f["change"] for f in poster.frames("c-prod")] == ["connected", "disconnected"]


@pytest.mark.parametrize("by", ["subject", "token"])
def test_a_revoked_subject_or_token_is_refused_403_and_nothing_written(
    dynamodb, keys, connection_store, poster, by
):
    token = _token(keys)
    claims = verify_token(token, keys)
    revocation = (
        Revocation(media_day="md-1", subject="cam-a")
        if by == "subject"
        else Revocation(media_day="md-1", token_id=claims.token_id)
    )
    # Given a revocation written a moment ago (by another instance: no cache shared)
    RevocationStore(CONNECTIONS_TABLE, dynamodb).revoke(revocation, keep_until=2_000_000_000)
    response = on_connect(connect_event("c-1", token=token), LambdaContext("test-function"))
    assert response["statusCode"] == 403
    assert "revoked" in response["body"]
    assert connection_store.get("c-1") is None
    # And another token of the same subject still connects when only a token was revoked
    other = on_connect(connect_event("c-2", token=_token(keys)), LambdaContext("test-function"))
    assert other["statusCode"] == (403 if by == "subject" else 200)
    # And another subject is untouched either way
    third = on_connect(connect_event("c-3", token=_token(keys, "cam-b")), LambdaContext("t"))
    assert third["statusCode"] == 200


def test_the_sweep_closes_idle_connections_whose_token_ran_out(connection_store):
    now = int(time.time())
    producer = _producer(connection_store)
    for connection_id, token_expires_at in (("c-idle", now - 2), ("c-fine", now + 60)):
        connection_store.add(
            producer.model_copy(
                update={
                    "connection_id": connection_id,
                    "role": Role.KIOSK,
                    "subject": "tv",
                    "token_expires_at": token_expires_at,
                }
            )
        )
    recording = RecordingPoster()
    closed = sweep_expired(connection_store, recording, now=now)
    assert closed == ["c-idle"]
    assert recording.gone == {"c-idle"}
    assert connection_store.get("c-idle") is None and connection_store.get("c-fine") is not None
    (notice,) = recording.frames("c-idle")
    assert (notice["code"], notice["message"]) == (
        "unauthorized",
        "your token has expired: reconnect with a fresh token",
    )
    assert [(f["change"], f["device"]["connection_id"]) for f in recording.frames("c-prod")] == [
        ("expired", "c-idle")
    ]
    # A second pass finds nothing more
    assert sweep_expired(connection_store, recording, now=now) == []


def test_the_sweep_function_passes_until_its_time_is_nearly_up(connection_store, monkeypatch):
    # Given an idle connection past its token, and a sweep invocation with 7.5 s left
    now = int(time.time())
    idle = _producer(connection_store, "c-idle").model_copy(update={"token_expires_at": now - 1})
    connection_store.add(idle)
    recording = RecordingPoster()
    monkeypatch.setattr(connect.handler, "get_poster", lambda: recording)
    monkeypatch.setenv("MEDIADAY_EXPIRY_SWEEP_SECONDS", "1")
    connect.handler.get_settings.cache_clear()
    started = time.monotonic()
    result = connect.handler.on_sweep({}, LambdaContext("sweep", timeout_seconds=7.5))
    # Then it closed the connection, passed about once a second, and stopped 5 s before
    # its timeout (the next minute's invocation takes over)
    assert result == {"closed": 1} and recording.gone == {"c-idle"}
    assert 1.5 <= time.monotonic() - started < 4.0
