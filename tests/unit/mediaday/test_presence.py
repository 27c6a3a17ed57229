"""The online markers: which stations have a crew, whether a producer is there."""

from __future__ import annotations

from mediaday.connections import Connection
from mediaday.models import Role
from mediaday.presence import PresenceFrame, presence_summary

NOW_MS = 1_800_000_000_000


def _device(connection_id: str, role: Role, station: str | None = None, **times: int) -> Connection:
    now = NOW_MS // 1000
    return Connection(
        connection_id=connection_id,
        media_day="md-1",
        role=role,
        subject=connection_id,
        station=station,
        connected_at=NOW_MS,
        expires_at=times.get("expires_at", now + 7200),
        token_expires_at=times.get("token_expires_at", now + 3600),
    )


def test_crew_stations_are_listed_once_sorted_and_kiosks_move_nothing():
    devices = [
        _device("a", Role.CREW, "st-3"),
        _device("b", Role.CREW, "st-3"),
        _device("c", Role.CREW, "st-1"),
        _device("tv", Role.KIOSK),
    ]
    assert presence_summary(devices, now_ms=NOW_MS) == {
        "producers": False,
        "crews": ["st-1", "st-3"],
    }


def test_rows_past_their_ttl_or_token_do_not_count_but_the_weighed_device_does():
    now = NOW_MS // 1000
    stale = [
        _device("p", Role.PRODUCER, token_expires_at=now),
        _device("c", Role.CREW, "st-2", expires_at=now - 1),
    ]
    assert presence_summary(stale, now_ms=NOW_MS) == {"producers": False, "crews": []}
    leaving = _device("x", Role.CREW, "st-4", token_expires_at=now - 10)
    assert presence_summary(stale, now_ms=NOW_MS, counting=leaving)["crews"] == ["st-4"]


def test_the_frame_names_no_device():
    frame = PresenceFrame(producers=True, crews=["st-1"], server_time=NOW_MS)
    assert frame.encode() == (
        b'{"type":"presence","topic":"presence","producers":true,"crews":["st-1"],'
        b'"server_time":1800000000000}'
    )
