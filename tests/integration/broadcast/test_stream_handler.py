"""The stream handler against moto's connections table: who receives, who is cleaned up,
and how many DynamoDB requests one broadcast costs."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.credentials import Credentials

from broadcast.handler import on_stream
from infra.local.events import LambdaContext
from mediaday.connections import META_SK, Connection
from mediaday.models import Call, Role, Slot, plain_to_dynamo
from mediaday.poster import ManagementApiPoster
from tests.conftest import CONNECTIONS_TABLE
from tests.support.delivery import RecordingPoster
from tests.support.management_api import FakeManagementApi, fake_management_api
from tests.support.streams import StreamShard, stream_event
from tests.support.tables import table_rows

DAY = "md-1"
START = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
FAR_FUTURE = 4_000_000_000
SLOT = Slot(
    media_day=DAY,
    id="sl-1",
    station_id="st-a",
    talent_id="t-1",
    starts_at=START,
    ends_at=START + timedelta(minutes=10),
    version=1,
    rev=1,
)


def connection(
    connection_id: str, *, media_day: str = DAY, expires_at: int = FAR_FUTURE
) -> Connection:
    return Connection(
        connection_id=connection_id,
        media_day=media_day,
        role=Role.CREW,
        station="st-a",
        subject="cam",
        connected_at=1_795_615_200_000,
        expires_at=expires_at,
        token_expires_at=FAR_FUTURE,
    )


def connect(store, connection_id: str, topics: list[str], **kwargs: Any) -> Connection:
    conn = connection(connection_id, **kwargs)
    store.add(conn)
    store.subscribe(conn, topics)
    return conn


def bulk_connect(client, subscriptions: dict[str, list[str]], *, media_day: str = DAY) -> None:
    """Many connections at once, laid out as ConnectionStore lays them out (batch writes:
    one request per 25 rows instead of one per connection)."""
    rows: list[dict[str, Any]] = []
    for connection_id, topics in subscriptions.items():
        meta = connection(connection_id, media_day=media_day).model_dump(mode="json")
        rows.append(plain_to_dynamo({**meta, "pk": f"conn#{connection_id}", "sk": META_SK}))
        for topic in topics:
            expires = {"expires_at": FAR_FUTURE}
            rows.append(
                plain_to_dynamo(
                    {"pk": f"topic#{media_day}#{topic}", "sk": connection_id, **expires}
                )
            )
            rows.append(
                plain_to_dynamo(
                    {
                        "pk": f"conn#{connection_id}",
                        "sk": f"topic#{topic}",
                        "media_day": media_day,
                        **expires,
                    }
                )
            )
    for start in range(0, len(rows), 25):
        batch = [{"PutRequest": {"Item": row}} for row in rows[start : start + 25]]
        client.batch_write_item(RequestItems={CONNECTIONS_TABLE: batch})


def run(event, **collaborators):
    return on_stream(event, LambdaContext("test-function"), **collaborators)


@pytest.fixture
def shard() -> StreamShard:
    return StreamShard()


def test_a_change_reaches_exactly_the_subscribers_of_its_topics(connection_store, shard):
    # Given connections subscribed to every kind of topic, of two media days
    connect(connection_store, "schedule", ["schedule"])
    connect(connection_store, "crew-a", ["station:st-a", "shots:st-a"])
    connect(connection_store, "crew-b", ["station:st-b"])
    connect(connection_store, "crew-c", ["station:st-c"])
    connect(connection_store, "shots-a", ["shots:st-a"])
    connect(connection_store, "calls", ["calls"])
    connect(connection_store, "roster", ["roster"])
    connect(connection_store, "other-day", ["schedule", "station:st-a"], media_day="md-2")
    poster = RecordingPoster()
    # When a slot moves from station A to station B
    moved = SLOT.model_copy(update={"station_id": "st-b", "version": 2, "rev": 2})
    response = run(
        stream_event(shard.modify(SLOT, moved)), directory=connection_store, poster=poster
    )
    # Then the schedule and both stations' subscribers hear of it, and nobody else
    assert response == {"batchItemFailures": []}
    assert poster.receivers() == {"schedule", "crew-a", "crew-b"}
    assert poster.receivers(topic="station:st-a") == {"crew-a"}
    assert all(frame["item"]["station_id"] == "st-b" for _, frame in poster.delivered)


def test_one_gone_connection_among_500_is_deleted_with_its_subscriptions(
    dynamodb, connection_store, shard
):
    # Given 500 subscribers of a station's calls, one of which has gone away
    ids = [f"c-{n:03d}" for n in range(500)]
    bulk_connect(dynamodb, {connection_id: ["calls", "station:st-a"] for connection_id in ids})
    poster = RecordingPoster(gone={"c-123"})
    call = Call(media_day=DAY, id="k-1", station_id="st-a", talent_id="t-1", version=1, rev=1)
    # When a call is pushed
    response = run(stream_event(shard.insert(call)), directory=connection_store, poster=poster)
    # Then the record succeeds, 499 receive it on both topics, and only c-123 is removed
    assert response == {"batchItemFailures": []}
    assert poster.receivers(topic="calls") == set(ids) - {"c-123"}
    assert poster.receivers(topic="station:st-a") == set(ids) - {"c-123"}
    rows = table_rows(dynamodb, CONNECTIONS_TABLE)
    assert not [row for row in rows if "c-123" in (row["pk"]["S"], row["sk"]["S"])]
    assert len(rows) == 499 * 5
    assert connection_store.get("c-124") is not None


def test_subscriptions_whose_ttl_passed_are_not_posted_to(connection_store, shard):
    connect(connection_store, "live", ["schedule"])
    connect(connection_store, "expired", ["schedule"], expires_at=1_000)
    poster = RecordingPoster()
    run(stream_event(shard.insert(SLOT)), directory=connection_store, poster=poster)
    assert poster.receivers() == {"live"}


def test_dynamodb_requests_per_broadcast_do_not_grow_with_unrelated_connections(
    dynamodb, connection_store, shard
):
    calls: Counter[str] = Counter()

    def count(model, **kwargs):
        calls[model.name] += 1

    for connection_id in ("a", "b", "c"):
        connect(connection_store, connection_id, ["schedule", "station:st-a"])

    def broadcast_once() -> Counter[str]:
        calls.clear()
        dynamodb.meta.events.register("before-call.dynamodb", count)
        try:
            poster = RecordingPoster()
            event = stream_event(shard.insert(SLOT))
            assert run(event, directory=connection_store, poster=poster) == {
                "batchItemFailures": []
            }
            assert poster.receivers() == {"a", "b", "c"}
        finally:
            dynamodb.meta.events.unregister("before-call.dynamodb", count)
        return Counter(calls)

    # Given the requests one broadcast costs with nobody else connected
    alone = broadcast_once()
    # When 10,000 unrelated connections exist (other topics, another media day)
    unrelated = {f"u-{n:05d}": [f"station:st-{n % 40}"] for n in range(5_000)}
    bulk_connect(dynamodb, unrelated)
    other_day = {f"v-{n:05d}": ["schedule"] for n in range(5_000)}
    bulk_connect(dynamodb, other_day, media_day="md-2")
    crowded = broadcast_once()
    # Then the same broadcast costs exactly the same requests: one Query per topic
    assert crowded == alone == Counter({"Query": 2})


def _poster(api: FakeManagementApi) -> ManagementApiPoster:
    return ManagementApiPoster(
        f"{api.url}/prod",
        credentials=Credentials("AKIDEXAMPLE", "secret"),
        region="eu-west-1",
        pool_size=4,
    )


def test_gone_reported_by_the_management_api_removes_the_connection(connection_store, shard):
    # moto accepts posts to any id, so the 410 comes from a scripted Management API
    connect(connection_store, "gone", ["schedule"])
    with fake_management_api() as api:
        api.answer(410)
        response = run(
            stream_event(shard.insert(SLOT.model_copy(update={"station_id": "st-z"}))),
            directory=connection_store,
            poster=_poster(api),
        )
    assert [r.path for r in api.received] == ["/prod/@connections/gone"]
    assert response == {"batchItemFailures": []}
    assert connection_store.get("gone") is None
    assert list(connection_store.subscribers(DAY, "schedule")) == []


def test_throttling_reported_by_the_management_api_is_retried(connection_store, shard, monkeypatch):
    monkeypatch.setenv("MEDIADAY_BROADCAST_MAX_ATTEMPTS", "3")
    connect(connection_store, "busy", ["schedule"])
    with fake_management_api() as api:
        api.answer(429, 429)
        response = run(
            stream_event(shard.insert(SLOT.model_copy(update={"station_id": "st-z"}))),
            directory=connection_store,
            poster=_poster(api),
        )
    assert len(api.received) == 3
    assert response == {"batchItemFailures": []}


def test_the_default_collaborators_post_through_the_configured_endpoint(
    connection_store, shard, monkeypatch
):
    with fake_management_api() as api:
        # Given the handler configured with its Management API endpoint, as in AWS
        monkeypatch.setenv("MEDIADAY_MANAGEMENT_ENDPOINT", f"{api.url}/test")
        connect(connection_store, "kiosk-1", ["schedule"])
        # When a stream batch arrives
        response = on_stream(stream_event(shard.insert(SLOT)), LambdaContext("test-function"))
    # Then the event was posted to the subscriber, signed for execute-api
    assert response == {"batchItemFailures": []}
    (received,) = api.received
    assert (received.method, received.path) == ("POST", "/test/@connections/kiosk-1")
    assert b'"type":"event"' in received.body
    assert "/execute-api/aws4_request" in received.headers["authorization"]
