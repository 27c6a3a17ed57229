"""The one place failures become frames: bad input changes nothing but its counters,
surprises leak nothing."""

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

    def count_subject_message(self, media_day: str, subject: str, *, now: float) -> int:
        return self.counted

    def count_refusal(self, connection_id: str, *, now: float, as_message: bool = False) -> int:
        return 1

    def topics_of(self, connection_id: str) -> list[str]:
        return list(self.subscribed)

    def subscribe(
        self, connection: Connection, topics: list[str], *, batched: bool = False
    ) -> None:
        self.subscribed.extend(topics)

    def unsubscribe(self, connection: Connection, topics: list[str]) -> None:
        self.subscribed = [t for t in self.subscribed if t not in topics]


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
    # a token valid at the clock below, active just now (expiry is checked on every message)
    token_expires_at=2_000_000_000,
    last_active=1_795_000_000_500,
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
def test_bad_input_is_answered_and_counted_and_touches_nothing_else(body, code, echoed):
    # Given a connection whose every counter call is recorded
    counting = Counting(PRODUCER)
    collaborators = deps(counting)
    # When bad input arrives
    frame = handle_message(body, connection_id="c-1", deps=collaborators)
    # Then it is refused, and it cost one message and one refusal (one write): nothing else
    # was touched, not even the connection read
    assert isinstance(frame, ErrorFrame)
    assert (frame.code, frame.id) == (code, echoed)
    assert frame.server_time == 1_795_000_000_500
    assert counting.calls == ["count_refusal as message"]
    for tripwire in (collaborators.coordination, collaborators.poster):
        assert tripwire.touched == []


class Counting:
    """Records which ConnectionStore calls a refused message makes."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.calls: list[str] = []

    def get(self, connection_id: str) -> Connection:
        self.calls.append("get")
        return self.connection

    def count_message(self, connection_id: str, *, now: float) -> int:
        self.calls.append("count_message")
        return 1

    def count_subject_message(self, media_day: str, subject: str, *, now: float) -> int:
        self.calls.append("count_subject_message")
        return 1

    def count_refusal(self, connection_id: str, *, now: float, as_message: bool = False) -> int:
        self.calls.append("count_refusal as message" if as_message else "count_refusal")
        return 1


def test_a_connection_without_a_record_is_unauthorized():
    frame = handle_message(
        '{"action": "ping", "id": "r"}', connection_id="c-9", deps=deps(Connections(None))
    )
    assert (frame.type, frame.code, frame.id) == ("error", "unauthorized", "r")


def test_messages_over_the_limit_are_rate_limited():
    connections = Connections(PRODUCER)
    collaborators = deps(connections, limit=3)
    body = '{"action": "unsubscribe", "id": "r", "topics": ["calls"]}'
    codes = [handle_message(body, connection_id="c-1", deps=collaborators).type for _ in range(5)]
    assert codes == ["ack", "ack", "ack", "error", "error"]
    last = handle_message(body, connection_id="c-1", deps=collaborators)
    assert last.code == "rate_limited" and "3 messages" in last.message


# A producer whose token is valid and who was active just now (nothing to mark).
LIVE_PRODUCER = PRODUCER.model_copy(
    update={"token_expires_at": 2_000_000_000, "last_active": 1_795_000_000_500}
)


def test_a_ping_writes_no_rate_counter_and_is_answered_past_the_limit():
    # Given a connection already over its limit this minute
    connections = Connections(LIVE_PRODUCER)
    connections.counted = 10
    frame = handle_message(
        '{"action": "ping", "id": "r"}', connection_id="c-1", deps=deps(connections, limit=3)
    )
    # Then the heartbeat is still answered, and counted nowhere
    assert frame.type == "pong"
    assert connections.counted == 10


def test_a_request_that_queued_too_long_is_busy_at_once_and_touches_nothing():
    collaborators = deps()  # every store a tripwire
    received = collaborators.now_ms() - 6_000
    body = json.dumps({"action": "slot.delete", "id": "r-7", "slot_id": "s", "version": 1})
    frame = handle_message(
        body, connection_id="c-1", deps=collaborators, received_ms=received, shed_after_ms=5_000
    )
    assert (frame.type, frame.code, frame.id) == ("error", "busy", "r-7")
    assert frame.retry_after_ms == 6_000
    assert "retry with the same id" in frame.message


def test_a_request_within_the_shed_bound_is_handled():
    collaborators = deps(Connections(LIVE_PRODUCER))
    frame = handle_message(
        '{"action": "unsubscribe", "id": "r", "topics": ["calls"]}',
        connection_id="c-1",
        deps=collaborators,
        received_ms=collaborators.now_ms() - 4_000,
        shed_after_ms=5_000,
    )
    assert frame.type == "ack"


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
