"""The connections store: one Query per topic, TTL on everything, no Scan."""

from __future__ import annotations

from mediaday.connections import Connection
from mediaday.models import Role
from tests.conftest import CONNECTIONS_TABLE
from tests.support.tables import table_rows


def _connection(
    connection_id: str, *, media_day: str = "md-1", expires_at: int = 4_000_000_000
) -> Connection:
    return Connection(
        connection_id=connection_id,
        media_day=media_day,
        role=Role.CREW,
        station="st-1",
        subject="cam",
        connected_at=1_800_000_000_000,
        expires_at=expires_at,
        token_expires_at=4_000_000_000,
    )


def test_every_row_carries_a_ttl(dynamodb, connection_store):
    connection = _connection("a")
    connection_store.add(connection)
    connection_store.subscribe(connection, ["schedule", "shots:st-1"])
    connection_store.count_message("a")
    rows = table_rows(dynamodb, CONNECTIONS_TABLE)
    assert len(rows) == 6
    assert all("expires_at" in row for row in rows)


def test_subscribers_are_per_media_day_and_topic(connection_store):
    for connection_id, day in (("a", "md-1"), ("b", "md-1"), ("c", "md-2")):
        connection = _connection(connection_id, media_day=day)
        connection_store.add(connection)
        connection_store.subscribe(connection, ["schedule"])
    assert sorted(connection_store.subscribers("md-1", "schedule")) == ["a", "b"]
    assert list(connection_store.subscribers("md-2", "schedule")) == ["c"]
    assert list(connection_store.subscribers("md-1", "calls")) == []


def test_subscribers_whose_ttl_passed_are_skipped(connection_store):
    live, stale = _connection("live"), _connection("stale", expires_at=1_000)
    for connection in (live, stale):
        connection_store.subscribe(connection, ["calls"])
    assert list(connection_store.subscribers("md-1", "calls", now=2_000)) == ["live"]


def test_subscribers_query_pages_through_many_rows(connection_store):
    connections = [_connection(f"c-{n:04d}") for n in range(1200)]
    for connection in connections:
        connection_store.subscribe(connection, ["schedule"])
    assert len(set(connection_store.subscribers("md-1", "schedule"))) == 1200


def test_unsubscribe_removes_the_topic_and_its_pointer(connection_store):
    connection = _connection("a")
    connection_store.subscribe(connection, ["schedule", "calls"])
    connection_store.unsubscribe(connection, ["calls"])
    assert connection_store.topics_of("a") == ["schedule"]
    assert list(connection_store.subscribers("md-1", "calls")) == []


def test_message_counter_counts_within_a_minute_window(connection_store):
    counts = [connection_store.count_message("a", now=600) for _ in range(3)]
    assert counts == [1, 2, 3]
    assert connection_store.count_message("a", now=660) == 1
