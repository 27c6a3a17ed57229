"""The one place failures become frames: bad input touches nothing, surprises leak nothing."""

from __future__ import annotations

import json

import pytest

from mediaday.connections import Connection
from mediaday.errors import ConnectionGone, DeliveryThrottled
from mediaday.models import Role
from mediaday.protocol import ErrorFrame
from messaging.context import Collaborators
from messaging.service import handle_message


class Tripwire:
    """A collaborator that records any use: bad input must never reach one."""

    def __init__(self) -> None:
        self.touched: list[str] = []

    def __getattr__(self, name: str):
        self.touched.append(name)
        raise AssertionError(f"collaborator used: {name}")


class Connections:
    """Just enough of ConnectionStore for the service's own steps."""

    def __init__(self, connection: Connection | None) -> None:
        self.connection = connection
        self.counted = 0
        self.subscribed: list[str] = []

    def get(self, connection_id: str) -> Connection | None:
        return self.connection

    def count_message(self, connection_id: str, *, now: float) -> int:
        self.counted += 1
        return self.counted

    def subscribe(self, connection: Connection, topics: list[str]) -> None:
        self.subscribed.extend(topics)


class BrokenCoordination:
    def __getattr__(self, name: str):
        def fail(*args, **kwargs):
            raise RuntimeError("secret internals: table arn:aws:dynamodb:... exploded")

        return fail


class EmptyCoordination:
    def current_rev(self, media_day: str) -> int:
        return 7

    def items_of_type(self, media_day: str, item_type: str):
        return iter(())


class FailingPoster:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def post(self, connection_id: str, data: bytes) -> None:
        raise self.error

    def close(self, connection_id: str) -> None:
        return None


PRODUCER = Connection(
    connection_id="c-1",
    media_day="md",
    role=Role.PRODUCER,
    subject="p",
    connected_at=0,
    expires_at=0,
    token_expires_at=0,
)


def deps(connections=None, coordination=None, poster=None, limit=600) -> Collaborators:
    return Collaborators(
        connections=connections or Tripwire(),
        coordination=coordination or Tripwire(),
        poster=poster or Tripwire(),
        clock=lambda: 1_795_000_000.5,
        rate_limit_per_minute=limit,
    )


@pytest.mark.parametrize(
    "body,code,echoed",
    [
        ("{", "invalid", None),
        (None, "invalid", None),
        ('{"action": "ping", "id": "r-1", "x": 1}', "invalid", "r-1"),
        ('{"action": "nope", "id": "r-2"}', "unknown_action", "r-2"),
        ('{"id": "r-3"}', "unknown_action", "r-3"),
        (
            '{"action": "slot.delete", "id": "r-4", "slot_id": "a/b", "version": 1}',
            "invalid",
            "r-4",
        ),
        ("{" + " " * 140_000 + "}", "too_large", None),
    ],
)
def test_bad_input_is_answered_without_touching_any_collaborator(body, code, echoed):
    collaborators = deps()
    frame = handle_message(body, connection_id="c-1", deps=collaborators)
    assert isinstance(frame, ErrorFrame)
    assert (frame.code, frame.id) == (code, echoed)
    assert frame.server_time == 1_795_000_000_500
    for tripwire in (collaborators.connections, collaborators.coordination, collaborators.poster):
        assert tripwire.touched == []


def test_a_connection_without_a_record_is_unauthorized():
    frame = handle_message(
        '{"action": "ping", "id": "r"}', connection_id="c-9", deps=deps(Connections(None))
    )
    assert (frame.type, frame.code, frame.id) == ("error", "unauthorized", "r")


def test_messages_over_the_limit_are_rate_limited():
    connections = Connections(PRODUCER)
    collaborators = deps(connections, limit=3)
    codes = [
        handle_message(
            '{"action": "ping", "id": "r"}', connection_id="c-1", deps=collaborators
        ).type
        for _ in range(5)
    ]
    assert codes == ["pong", "pong", "pong", "error", "error"]
    last = handle_message('{"action": "ping", "id": "r"}', connection_id="c-1", deps=collaborators)
    assert last.code == "rate_limited" and "3 messages" in last.message


def test_an_unexpected_failure_is_internal_with_no_details_leaked():
    body = json.dumps({"action": "slot.delete", "id": "r-5", "slot_id": "s", "version": 1})
    frame = handle_message(
        body, connection_id="c-1", deps=deps(Connections(PRODUCER), BrokenCoordination())
    )
    assert (frame.code, frame.id) == ("internal", "r-5")
    encoded = frame.encode().decode()
    assert "arn:" not in encoded and "Traceback" not in encoded and "RuntimeError" not in encoded
    assert "retry with the same id" in frame.message


@pytest.mark.parametrize("error", [ConnectionGone("gone"), DeliveryThrottled("429")])
def test_pages_that_cannot_be_delivered_are_delivery_failed(error, monkeypatch):
    monkeypatch.setattr("messaging.actions.time.sleep", lambda seconds: None)
    body = json.dumps({"action": "subscribe", "id": "r-6", "topics": ["calls"]})
    collaborators = deps(Connections(PRODUCER), EmptyCoordination(), FailingPoster(error))
    frame = handle_message(body, connection_id="c-1", deps=collaborators)
    assert (frame.code, frame.id) == ("delivery_failed", "r-6")


class Throttled:
    """A poster whose first `times` posts are throttled (429)."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.calls = 0
        self.delivered: list[bytes] = []

    def post(self, connection_id: str, data: bytes) -> None:
        self.calls += 1
        if self.calls <= self.times:
            raise DeliveryThrottled("429")
        self.delivered.append(data)

    def close(self, connection_id: str) -> None:
        return None


def test_a_throttled_page_is_retried_after_a_jittered_backoff_and_the_answer_completes(
    monkeypatch,
):
    # Given a poster throttled twice, and a sleep that records instead of waiting
    slept: list[float] = []
    monkeypatch.setattr("messaging.actions.time.sleep", slept.append)
    poster = Throttled(times=2)
    body = json.dumps({"action": "subscribe", "id": "r-7", "topics": ["calls"]})
    # When the subscribe's page is delivered
    frame = handle_message(
        body, connection_id="c-1", deps=deps(Connections(PRODUCER), EmptyCoordination(), poster)
    )
    # Then the answer completes after two waits, each inside its window (0.05 s, 0.2 s)
    assert (frame.type, frame.pages, frame.rev) == ("ack", 1, 7)
    (page,) = [json.loads(data) for data in poster.delivered]
    assert (page["type"], page["id"], page["items"]) == ("snapshot", "r-7", [])
    assert len(slept) == 2
    assert 0.0 <= slept[0] <= 0.05 and 0.0 <= slept[1] <= 0.2


def test_a_page_throttled_on_every_attempt_gives_up_after_three(monkeypatch):
    monkeypatch.setattr("messaging.actions.time.sleep", lambda seconds: None)
    poster = Throttled(times=99)
    body = json.dumps({"action": "subscribe", "id": "r-8", "topics": ["calls"]})
    frame = handle_message(
        body, connection_id="c-1", deps=deps(Connections(PRODUCER), EmptyCoordination(), poster)
    )
    assert (frame.code, poster.calls) == ("delivery_failed", 3)
