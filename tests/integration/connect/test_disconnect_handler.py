"""$disconnect removes the connection and every subscription of it, and nothing else."""

from __future__ import annotations

from connect.handler import on_disconnect
from infra.local.events import LambdaContext
from tests.conftest import CONNECTIONS_TABLE
from tests.support.connections import kiosk_connection
from tests.support.events import disconnect_event
from tests.support.tables import table_rows


def test_disconnect_removes_every_subscription_of_that_connection_only(dynamodb, connection_store):
    # Given two connections subscribed to overlapping topics
    leaving, staying = kiosk_connection("leaving"), kiosk_connection("staying")
    for connection in (leaving, staying):
        connection_store.add(connection)
    connection_store.subscribe(leaving, ["schedule", "calls", "station:st-1"])
    connection_store.subscribe(staying, ["schedule", "shots:st-1"])
    connection_store.count_message("leaving")
    before = table_rows(dynamodb, CONNECTIONS_TABLE)
    # When one of them disconnects
    response = on_disconnect(disconnect_event("leaving"), LambdaContext("test-function"))
    # Then it and all its rows are gone, and the other's rows are untouched
    assert response == {"statusCode": 200}
    after = table_rows(dynamodb, CONNECTIONS_TABLE)
    assert all("leaving" not in str(row) for row in after)
    assert [row for row in before if "leaving" not in str(row)] == after
    assert list(connection_store.subscribers("md-1", "schedule")) == ["staying"]
    assert list(connection_store.subscribers("md-1", "calls")) == []


def test_disconnect_of_an_unknown_connection_is_harmless(dynamodb):
    assert on_disconnect(disconnect_event("never-seen"), LambdaContext("test-function")) == {
        "statusCode": 200
    }
