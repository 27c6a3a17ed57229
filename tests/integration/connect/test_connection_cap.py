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
