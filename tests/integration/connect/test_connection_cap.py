"""$connect caps the live connections of one subject (issue #15 §4): a stolen token cannot
open sockets without bound."""

from __future__ import annotations

import pytest

from connect.handler import on_connect
from infra.local.events import LambdaContext
from mediaday.factories import reset_all
from mediaday.models import Role
from mediaday.tokens import issue_token
from tests.support.events import connect_event


@pytest.fixture
def cap_of_two(monkeypatch):
    monkeypatch.setenv("MEDIADAY_MAX_CONNECTIONS_PER_SUBJECT", "2")
    reset_all()
    yield
    reset_all()


def _token(keys, subject: str) -> str:
    return issue_token(
        keys.current_key(), role=Role.KIOSK, media_day="md-1", subject=subject, ttl_seconds=600
    )


def test_a_subject_over_its_connection_cap_is_refused_429_and_nothing_written(
    dynamodb, key_file, keys, connection_store, cap_of_two
):
    # Given a subject with two live connections
    token = _token(keys, "tv-lobby")
    context = LambdaContext("test-function")
    for connection_id in ("c-1", "c-2"):
        assert on_connect(connect_event(connection_id, token=token), context)["statusCode"] == 200
    # When a third connects with the same token
    refused = on_connect(connect_event("c-3", token=token), context)
    # Then it is refused with 429 (the client retries later) and not recorded
    assert refused["statusCode"] == 429
    assert connection_store.get("c-3") is None
    # And another subject is untouched by the cap
    other = on_connect(connect_event("c-4", token=_token(keys, "tv-hall")), context)
    assert other["statusCode"] == 200


def test_a_released_connection_frees_its_place(
    dynamodb, key_file, keys, connection_store, cap_of_two
):
    token = _token(keys, "tv-lobby")
    context = LambdaContext("test-function")
    for connection_id in ("c-1", "c-2"):
        on_connect(connect_event(connection_id, token=token), context)
    connection_store.remove("c-1")
    assert on_connect(connect_event("c-3", token=token), context)["statusCode"] == 200


def test_the_cap_check_reads_no_more_rows_than_the_cap_however_big_the_day(
    dynamodb, connection_store
):
    """A reconnect storm of a whole venue must not make each `$connect` read every device
    of the day (the first version Queried the day and filtered: 39 connects/s at 5,000)."""
    from mediaday.connections import Connection

    def connection(n: int, subject: str) -> Connection:
        return Connection(
            connection_id=f"c-{subject}-{n}", media_day="md-1", role=Role.KIOSK,
            subject=subject, connected_at=1_000 + n, expires_at=10**10, token_expires_at=10**10,
        )  # fmt: skip

    # Given a big day: 150 other screens, and one subject with 30 live connections
    for n in range(150):
        connection_store.add(connection(n, f"tv-{n}"))
    for n in range(30):
        connection_store.add(connection(n, "tv-lobby"))
    calls: list[dict] = []
    client = connection_store._client
    real_query = client.query

    def spying_query(**kwargs):
        answer = real_query(**kwargs)
        calls.append({"kwargs": kwargs, "scanned": answer.get("ScannedCount", 0)})
        return answer

    client.query = spying_query
    try:
        # When the cap of 10 is checked, and when a subject under its cap is counted
        over = connection_store.subject_connections("md-1", "tv-lobby", now=0, at_most=10)
        scanned_over = sum(call["scanned"] for call in calls)
        under = connection_store.subject_connections("md-1", "tv-7", now=0, at_most=10)
    finally:
        client.query = real_query
    # Then it counts past the cap without reading the day: at most cap + 1 rows, one index
    assert over == 11
    assert scanned_over <= 11
    assert under == 1
    assert {call["kwargs"]["IndexName"] for call in calls} == {"by_subject"}
