"""Every screen's online markers (the `presence` topic) follow crews and producers as
they connect, disconnect, are found gone or expire; kiosks never move them."""

from __future__ import annotations

import time

import pytest

import connect.handler
from connect.handler import on_connect, on_disconnect
from connect.sweep import sweep_expired
from infra.local.events import LambdaContext
from mediaday.connections import Connection
from mediaday.models import Role
from mediaday.presence import GoneAnnouncer
from mediaday.tokens import issue_token
from tests.support.delivery import RecordingPoster
from tests.support.events import connect_event, disconnect_event

CONTEXT = LambdaContext("test-function")


@pytest.fixture
def poster(monkeypatch) -> RecordingPoster:
    recording = RecordingPoster()
    monkeypatch.setattr(connect.handler, "get_callback_poster", lambda domain, stage: recording)
    return recording


@pytest.fixture
def kiosk(connection_store) -> Connection:
    """A lobby TV watching the markers."""
    now = int(time.time())
    screen = Connection(
        connection_id="c-tv",
        media_day="md-1",
        role=Role.KIOSK,
        subject="tv",
        connected_at=now * 1000,
        expires_at=now + 8100,
        token_expires_at=now + 3600,
    )
    connection_store.add(screen)
    connection_store.subscribe(screen, ["presence"], batched=True)
    return screen


def _token(keys, role: Role, subject: str, station: str | None = None) -> str:
    return issue_token(
        keys.current_key(),
        role=role,
        media_day="md-1",
        subject=subject,
        station=station,
        ttl_seconds=600,
    )


def _markers(poster: RecordingPoster) -> list[tuple[bool, list[str]]]:
    return [(f["producers"], f["crews"]) for f in poster.frames("c-tv") if f["type"] == "presence"]


def test_a_station_turns_online_with_its_first_crew_and_offline_with_its_last(
    dynamodb, keys, kiosk, poster
):
    # Given two crew tablets of st-3 connecting, then leaving one after the other
    for connection_id, subject in (("c-a", "cam-a"), ("c-b", "cam-b")):
        token = _token(keys, Role.CREW, subject, "st-3")
        assert on_connect(connect_event(connection_id, token=token), CONTEXT)["statusCode"] == 200
    assert _markers(poster) == [(False, ["st-3"])]  # the second crew flips nothing
    on_disconnect(disconnect_event("c-a"), CONTEXT)
    assert _markers(poster) == [(False, ["st-3"])]  # cam-b is still there
    on_disconnect(disconnect_event("c-b"), CONTEXT)
    assert _markers(poster) == [(False, ["st-3"]), (False, [])]


def test_a_kiosk_coming_and_going_costs_no_presence_frame(dynamodb, keys, kiosk, poster):
    token = _token(keys, Role.KIOSK, "tv-2")
    on_connect(connect_event("c-tv-2", token=token), CONTEXT)
    on_disconnect(disconnect_event("c-tv-2"), CONTEXT)
    assert _markers(poster) == []


def test_a_producer_found_gone_or_expired_turns_the_producer_marker_off(
    dynamodb, keys, connection_store, kiosk, poster
):
    # Given a producer online, announced to the TV
    token = _token(keys, Role.PRODUCER, "pat")
    on_connect(connect_event("c-prod", token=token), CONTEXT)
    assert _markers(poster) == [(True, [])]
    # When a broadcast post finds it gone (410)
    GoneAnnouncer(connection_store, poster, clock_ms=lambda: int(time.time() * 1000)).remove(
        "c-prod"
    )
    assert _markers(poster) == [(True, []), (False, [])]
    # And a crew whose token runs out a minute from now is swept then: st-1 goes offline
    crew_token = _token(keys, Role.CREW, "cam-c", "st-1")
    on_connect(connect_event("c-crew", token=crew_token), CONTEXT)
    assert _markers(poster)[-1] == (False, ["st-1"])
    expiry = connection_store.get("c-crew").token_expires_at
    assert sweep_expired(connection_store, poster, now=expiry + 1) == ["c-crew"]
    assert _markers(poster)[-1] == (False, [])
