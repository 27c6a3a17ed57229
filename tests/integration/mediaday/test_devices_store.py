"""Devices and revocations in the connections table: one Query each, never a Scan."""

from __future__ import annotations

from mediaday.connections import Connection
from mediaday.models import Role
from mediaday.presence import GoneAnnouncer
from mediaday.revocations import Revocation, RevocationStore
from tests.conftest import CONNECTIONS_TABLE
from tests.support.delivery import RecordingPoster

NOW = 1_900_000_000


def _connection(
    connection_id: str, *, media_day: str = "md-1", token_expires_at: int = NOW + 600, **extra
) -> Connection:
    fields = {
        "connection_id": connection_id,
        "media_day": media_day,
        "role": Role.CREW,
        "station": "st-1",
        "subject": f"subject-{connection_id}",
        "connected_at": (NOW - 60) * 1000,
        "expires_at": NOW + 8100,
        "token_expires_at": token_expires_at,
        **extra,
    }
    return Connection.model_validate(fields)


class CountingClient:
    """The DynamoDB client, counting the calls the store makes by operation."""

    def __init__(self, client) -> None:
        self._client = client
        self.calls: list[str] = []

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if name in ("query", "scan", "get_item", "put_item", "update_item"):

            def counted(*args, **kwargs):
                self.calls.append(name)
                return attribute(*args, **kwargs)

            return counted
        if name == "get_paginator":

            def paginator(operation):
                self.calls.append(operation)
                return attribute(operation)

            return paginator
        return attribute


def test_a_days_devices_are_one_query_and_carry_the_device_fields(dynamodb, connection_store):
    # Given three connections on two media days, one of them labelled by its token
    connection_store.add(_connection("a", label="Camera 2 tablet", user_agent="Firefox/140"))
    connection_store.add(_connection("b"))
    connection_store.add(_connection("c", media_day="md-2"))
    counting = CountingClient(dynamodb)
    store = type(connection_store)(CONNECTIONS_TABLE, counting)
    # When the day's devices are listed
    devices = store.devices("md-1")
    # Then they are the day's two, with their fields, from one Query and no Scan
    assert [device.connection_id for device in devices] == ["a", "b"]
    assert (devices[0].label, devices[0].user_agent) == ("Camera 2 tablet", "Firefox/140")
    assert counting.calls == ["query"]


def test_only_connections_whose_token_ran_out_are_expired(connection_store):
    connection_store.add(_connection("old", token_expires_at=NOW - 3000))
    connection_store.add(_connection("now", token_expires_at=NOW))
    connection_store.add(_connection("later", token_expires_at=NOW + 1))
    expired = connection_store.expired(now=NOW, lookback_seconds=9000)
    assert sorted(device.connection_id for device in expired) == ["now", "old"]


def test_a_label_and_activity_are_written_to_a_live_connection_only(connection_store):
    connection_store.add(_connection("a"))
    labelled = connection_store.set_label("a", "Kiosk by the door")
    assert labelled is not None and labelled.label == "Kiosk by the door"
    connection_store.touch("a", now_ms=NOW * 1000)
    assert connection_store.get("a").last_active == NOW * 1000
    # A connection that is gone is not resurrected by either
    assert connection_store.set_label("gone", "x") is None
    connection_store.touch("gone", now_ms=NOW * 1000)
    assert connection_store.get("gone") is None


def test_a_revocation_is_seen_within_the_cache_bound_and_at_once_when_fresh(dynamodb):
    clock = [100.0]
    writer = RevocationStore(CONNECTIONS_TABLE, dynamodb)
    reader = RevocationStore(
        CONNECTIONS_TABLE, dynamodb, max_age_seconds=1.0, clock=lambda: clock[0]
    )
    # Given a reader (another Lambda instance) that has cached the day: nothing revoked
    assert reader.find("md-1", "cam-a", "jti-of-cam-a-0001", now=NOW) is None
    # When a producer revokes the subject through another instance
    writer.revoke(Revocation(media_day="md-1", subject="cam-a"), keep_until=NOW + 10)
    # Then the reader may miss it only until its cache is a second old
    assert reader.find("md-1", "cam-a", "", now=NOW) is None
    clock[0] += 1.0
    assert reader.find("md-1", "cam-a", "", now=NOW) is not None
    # And a fresh read ($connect) sees a new one at once
    writer.revoke(Revocation(media_day="md-1", token_id="jti-of-cam-b-0001"), keep_until=NOW + 10)
    assert reader.find("md-1", "cam-b", "jti-of-cam-b-0001", now=NOW) is None
    assert reader.find("md-1", "cam-b", "jti-of-cam-b-0001", now=NOW, fresh=True) is not None


def test_a_revocation_ends_at_its_until_and_touches_only_what_it_names(dynamodb):
    store = RevocationStore(CONNECTIONS_TABLE, dynamodb, max_age_seconds=0)
    store.revoke(Revocation(media_day="md-1", subject="cam-a", until=NOW + 60), keep_until=NOW)
    assert store.find("md-1", "cam-a", "", now=NOW + 59) is not None
    assert store.find("md-1", "cam-a", "", now=NOW + 60) is None
    assert store.find("md-1", "cam-b", "", now=NOW) is None  # another subject
    assert store.find("md-2", "cam-a", "", now=NOW) is None  # another media day


def test_a_connection_the_broadcaster_finds_gone_is_announced_to_device_watchers(
    connection_store,
):
    # Given a producer watching devices and a kiosk whose socket vanished
    producer = _connection("p", role=Role.PRODUCER, station=None)
    connection_store.add(producer)
    connection_store.subscribe(producer, ["devices"])
    connection_store.add(_connection("k", role=Role.KIOSK, station=None))
    poster = RecordingPoster()
    directory = GoneAnnouncer(connection_store, poster, clock_ms=lambda: NOW * 1000)
    # When the broadcaster removes the kiosk after a 410
    assert directory.remove("k") >= 1
    # Then its rows are gone and the producer hears `gone`, once
    assert connection_store.get("k") is None
    assert [(f["change"], f["device"]["connection_id"]) for f in poster.frames("p")] == [
        ("gone", "k")
    ]
    directory.remove("k")  # a second removal (another batch) announces nothing more
    assert len(poster.frames("p")) == 1
