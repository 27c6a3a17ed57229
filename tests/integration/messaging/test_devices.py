"""Devices, expiry and revocation through the message Lambda (moto tables, fake poster)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from mediaday.connections import Connection
from mediaday.models import Role
from tests.integration.messaging.conftest import MEDIA_DAY, Client


def _device(store, connection_id: str, role: Role, subject: str, **extra) -> Connection:
    now = int(time.time())
    connection = Connection(
        connection_id=connection_id,
        media_day=MEDIA_DAY,
        role=role,
        subject=subject,
        station="st-1" if role is Role.CREW else None,
        connected_at=now * 1000,
        expires_at=now + 8100,
        token_expires_at=extra.pop("token_expires_at", now + 3600),
        token_id=extra.pop("token_id", uuid.uuid4().hex),
        **extra,
    )
    store.add(connection)
    return connection


def _revocations(rows):
    return [row for row in rows if row["pk"]["S"].startswith("revoked#")]


@pytest.fixture
def producer(connection_store, poster) -> Client:
    _device(connection_store, "c-prod", Role.PRODUCER, "pat")
    return Client("c-prod", poster)


def test_a_message_after_token_expiry_is_refused_and_the_connection_closed(
    connection_store, poster, producer, roster
):
    # Given a crew whose token expired a second ago while its socket stayed open
    _device(connection_store, "c-late", Role.CREW, "cam-a", token_expires_at=int(time.time()) - 1)
    producer.request("subscribe", topics=["devices"])
    crew = Client("c-late", poster)
    # When it sends a write
    frame = crew.request("shot.set_status", shot_id="sh-1", version=1, status="captured")
    # Then it is refused `unauthorized`, told to reconnect with a fresh token
    assert (frame["type"], frame["code"]) == ("error", "unauthorized")
    assert "fresh token" in frame["message"]
    # And the connection is closed, forgotten, and the producer hears it expired
    assert "c-late" in poster.gone
    assert connection_store.get("c-late") is None
    changes = [f for f in poster.frames("c-prod") if f["type"] == "device"]
    assert [(f["change"], f["device"]["connection_id"]) for f in changes] == [("expired", "c-late")]
    # And nothing was written: the shot is still at version 1
    assert roster.get("md-test", "shot", "sh-1").version == 1


def test_revoking_a_subject_closes_its_connections_and_leaves_others(
    connection_store, poster, producer
):
    # Given two tablets of one subject and a tablet of another
    for connection_id in ("c-a1", "c-a2"):
        _device(connection_store, connection_id, Role.CREW, "cam-a")
    _device(connection_store, "c-b", Role.CREW, "cam-b")
    # When a producer revokes the subject
    ack = producer.request("revoke", subject="cam-a")
    # Then both of its connections are closed through DELETE and forgotten; the other stays
    assert ack["type"] == "ack", ack
    assert sorted(ack["item"]["closed"]) == ["c-a1", "c-a2"]
    assert {"c-a1", "c-a2"} <= poster.gone and "c-b" not in poster.gone
    assert connection_store.get("c-a1") is None and connection_store.get("c-b") is not None
    # And each was told why before the close
    notices = [f for f in poster.frames("c-a1") if f["type"] == "error"]
    assert notices and notices[0]["code"] == "unauthorized" and "revoked" in notices[0]["message"]


def test_a_revoked_token_is_refused_on_its_next_message(connection_store, poster, producer):
    # Given a kiosk whose token was revoked while another instance still had its record
    kiosk = _device(connection_store, "c-kiosk", Role.KIOSK, "tv-1", token_id="J" * 22)
    ack = producer.request("revoke", token_id="J" * 22)
    assert ack["type"] == "ack"
    connection_store.add(kiosk)  # the record came back (a connect racing the revocation)
    # When it sends anything, even a read
    frame = Client("c-kiosk", poster).request("ping")
    # Then it is refused and closed again
    assert frame["code"] == "unauthorized"
    assert connection_store.get("c-kiosk") is None


def test_revoke_until_a_past_time_or_of_oneself_is_refused_and_nothing_written(
    connection_store, poster, producer, connection_rows
):
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert producer.request("revoke", subject="cam-a", until=past)["code"] == "invalid"
    assert producer.request("revoke", subject="pat")["code"] == "invalid"
    assert producer.request("revoke", connection_id="c-prod")["code"] == "invalid"
    assert producer.request("revoke", subject="a", token_id="B" * 22)["code"] == "invalid"
    assert _revocations(connection_rows()) == []


@pytest.mark.parametrize("role", [Role.CREW, Role.KIOSK])
def test_only_producers_manage_or_watch_devices(connection_store, poster, role, connection_rows):
    _device(connection_store, "c-x", role, "someone")
    client = Client("c-x", poster)
    for action, fields in (
        ("revoke", {"subject": "cam-a"}),
        ("device.label", {"connection_id": "c-x", "label": "Mine"}),
        ("device.identify", {"connection_id": "c-x"}),
        ("device.redirect", {"connection_id": "c-x", "view": "kiosk"}),
        ("subscribe", {"topics": ["devices"]}),
    ):
        assert client.request(action, **fields)["code"] == "forbidden", action
    rows = connection_rows()
    assert _revocations(rows) == []
    assert connection_store.get("c-x").label == ""
    assert not [row for row in rows if row["pk"]["S"].endswith("#devices")]  # no subscription


def test_the_devices_snapshot_lists_the_day_and_a_label_is_announced(
    connection_store, poster, producer
):
    _device(connection_store, "c-tv", Role.KIOSK, "tv-1", user_agent="Chromium/140")
    ack = producer.request("subscribe", topics=["devices"])
    assert ack["type"] == "ack"
    (snapshot,) = [f for f in poster.frames("c-prod") if f["type"] == "snapshot"]
    listed = {device["connection_id"]: device for device in snapshot["items"]}
    assert set(listed) == {"c-prod", "c-tv"}
    assert listed["c-tv"]["user_agent"] == "Chromium/140"
    labelled = producer.request("device.label", connection_id="c-tv", label="Lobby TV")
    assert labelled["item"]["label"] == "Lobby TV"
    assert connection_store.get("c-tv").label == "Lobby TV"
    updates = [f for f in poster.frames("c-prod") if f["type"] == "device"]
    assert [(f["change"], f["device"]["label"]) for f in updates] == [("updated", "Lobby TV")]


def test_identify_and_redirect_reach_the_device_and_a_gone_one_is_not_found(
    connection_store, poster, producer
):
    _device(connection_store, "c-tv", Role.KIOSK, "tv-1", label="Lobby TV")
    assert producer.request("device.identify", connection_id="c-tv", seconds=3)["type"] == "ack"
    producer.request("device.redirect", connection_id="c-tv", view="kiosk", station_id="st-2")
    commands = [f for f in poster.frames("c-tv") if f["type"] == "command"]
    assert [(c["command"], c.get("label"), c.get("station_id")) for c in commands] == [
        ("identify", "Lobby TV", None),
        ("redirect", None, "st-2"),
    ]
    assert producer.request("device.identify", connection_id="nope")["code"] == "not_found"
    poster.gone.add("c-tv")
    assert producer.request("device.identify", connection_id="c-tv")["code"] == "not_found"
    assert connection_store.get("c-tv") is None
