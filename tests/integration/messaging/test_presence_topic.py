"""The `presence` topic through the message Lambda: every role reads the day's online
markers, in a `subscribe` snapshot and in every `sync`, with no device details."""

from __future__ import annotations

import time

from mediaday.connections import Connection, ConnectionStore
from mediaday.models import Role
from tests.integration.messaging.conftest import MEDIA_DAY


def _pages(poster, connection_id: str, kind: str) -> list[dict]:
    return [f for f in poster.frames(connection_id) if f["type"] == kind]


def test_a_kiosk_reads_the_markers_in_its_snapshot_and_in_sync(
    connection_store, poster, clients, roster
):
    # Given the day's crew (st-1), producer and kiosk, and a crew of st-2 whose token ran out
    now = int(time.time())
    connection_store.add(
        Connection(
            connection_id="c-stale",
            media_day=MEDIA_DAY,
            role=Role.CREW,
            subject="cam-z",
            station="st-2",
            connected_at=now * 1000,
            expires_at=now + 7200,
            token_expires_at=now - 5,
        )
    )
    kiosk = clients["kiosk"]
    ack = kiosk.request("subscribe", topics=["presence", "schedule"])
    assert ack["type"] == "ack" and ack["topics"] == ["presence", "schedule"]
    (snapshot,) = [p for p in _pages(poster, "c-kiosk", "snapshot") if p["topic"] == "presence"]
    # Then only live devices count, and nothing names a device
    assert snapshot["items"] == [{"type": "presence", "producers": True, "crews": ["st-1"]}]
    # When the producer leaves, a heartbeat sync of the topic repairs a lost frame
    connection_store.remove("c-producer")
    answer = kiosk.request("sync", since=ack["rev"], topics=["presence"])
    assert answer["type"] == "ack" and answer["pages"] == 1
    (page,) = _pages(poster, "c-kiosk", "sync")
    assert page["items"] == [{"type": "presence", "producers": False, "crews": ["st-1"]}]


def test_a_crew_counts_itself_online_before_the_index_has_caught_up(
    connection_store, poster, clients, roster, monkeypatch
):
    # Given an index that has not seen anyone yet (eventually consistent)
    monkeypatch.setattr(ConnectionStore, "devices", lambda self, media_day: [])
    clients["crew"].request("subscribe", topics=["presence"])
    (snapshot,) = _pages(poster, "c-crew", "snapshot")
    assert snapshot["items"] == [{"type": "presence", "producers": False, "crews": ["st-1"]}]
