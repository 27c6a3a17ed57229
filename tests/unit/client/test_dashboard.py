"""The dashboard: a pure rendering of the mirror, and the live loop that redraws it."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

from rich.console import Console

from client.commands.watch import topics_for, watch
from client.connection import MediaDayClient
from client.dashboard import DashboardView, render, timeline
from client.events import ConnectionState
from client.mirror import Mirror
from tests.support.client_options import FAST
from tests.unit.client.fake_server import PRODUCER_TOKEN, roster

NOW = datetime(2026, 5, 4, 9, 5, tzinfo=UTC)


def slot(n: int, talent: str, start_minute: int, *, station: str = "st-1", title: str = ""):
    starts = NOW.replace(minute=0) + timedelta(minutes=start_minute)
    return {
        "type": "slot",
        "id": f"sl-{n}",
        "station_id": station,
        "talent_id": talent,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=15)).isoformat(),
        "title": title,
    }


def day_mirror(*topics: str) -> Mirror:
    mirror = Mirror()
    mirror.add_topics(topics or ("roster", "station:st-1", "shots:st-1"))
    items = [
        *roster(),
        slot(1, "t-12", 0, title="Feature"),
        slot(2, "t-7", 15),
        slot(3, "t-3", 30),
        slot(9, "t-3", 0, station="st-2"),
        {"type": "shot", "id": "sh-1", "station_id": "st-1", "talent_id": "t-12",
         "description": "Walk-in", "status": "captured", "position": 1},
        {"type": "shot", "id": "sh-2", "station_id": "st-1", "talent_id": "t-12",
         "description": "Portrait", "position": 2},
        {"type": "shot", "id": "sh-3", "station_id": "st-1", "talent_id": "t-7",
         "description": "Not this athlete yet", "position": 1},
        {"type": "call", "id": "ca-1", "station_id": "st-1", "talent_id": "t-7",
         "state": "en-route", "note": "after Jane",
         "updated_at": int((NOW - timedelta(minutes=2)).timestamp() * 1000)},
        {"type": "call", "id": "ca-2", "station_id": "st-1", "talent_id": "t-3",
         "state": "done"},
    ]  # fmt: skip
    for rev, item in enumerate(items, 1):
        mirror.apply({"media_day": "cbtc-2026", "version": 1, "rev": rev, **item})
    return mirror


def text_of(mirror: Mirror, view: DashboardView, width: int = 110) -> str:
    console = Console(record=True, width=width, file=io.StringIO())
    console.print(render(mirror, view))
    return console.export_text()


def test_station_dashboard_shows_now_next_later_shots_and_active_calls():
    text = text_of(day_mirror(), DashboardView(station="st-1", now=NOW.timestamp()))
    lines = text.splitlines()
    assert "CBTC Media Day 2026 · Interview Room 1 (st-1)" in lines[0]
    assert lines[0].rstrip().endswith("09:05:00")
    now = next(line for line in lines if "NOW" in line)
    assert "09:00-09:15" in now and "#12 Jane Doe · Blue" in now and "Feature" in now
    assert "ends in 10:00" in now
    assert "#7 John Roe" in next(line for line in lines if "NEXT" in line)
    assert "#3 Ada Poe" in next(line for line in lines if "LATER" in line)
    # the shot list is the one of the athlete in front of the camera
    assert "Shots — #12 Jane Doe · Blue (1/2 done)" in text
    assert "✓ captured" in text and "· pending" in text
    assert "Not this athlete yet" not in text
    # only active calls
    assert "Calls (1 active)" in text and "ca-1" in text and "ca-2" not in text
    assert "2:00 ago" in text


def test_connection_state_and_clock_offset_are_shown():
    view = DashboardView(
        station="st-1",
        now=NOW.timestamp(),
        state=ConnectionState.RECONNECTING,
        state_reason="closed (1006)",
        clock_offset=0.25,
    )
    text = text_of(day_mirror(), view)
    assert "◌ reconnecting (closed (1006))" in text
    assert "server clock, offset +0.250s" in text


def test_overview_lists_every_station_with_now_and_next():
    mirror = day_mirror("roster", "schedule", "calls")
    text = text_of(mirror, DashboardView(station=None, now=NOW.timestamp()))
    assert "all stations" in text
    room = next(line for line in text.splitlines() if "Interview Room 1 (st-1)" in line)
    assert "#12 Jane Doe · Blue  until 09:15" in room and "#7 John Roe · Red  at 09:15" in room
    booth = next(line for line in text.splitlines() if "Photo Booth (st-2)" in line)
    assert "#3 Ada Poe" in booth


def test_an_empty_station_renders_placeholders():
    mirror = Mirror()
    mirror.add_topics(["station:st-7"])
    text = text_of(mirror, DashboardView(station="st-7", now=NOW.timestamp()))
    assert "station st-7" in text
    assert "nothing scheduled" in text and "no shots listed" in text
    assert "no active calls" in text


def test_timeline_picks_the_running_slot_then_the_upcoming_ones():
    from mediaday.models import Slot

    slots = [Slot.model_validate({"media_day": "m", **slot(n, "t", 15 * n)}) for n in range(6)]
    current, upcoming, later = timeline(slots, NOW)
    assert (current.id, upcoming.id, [s.id for s in later]) == (
        "sl-0",
        "sl-1",
        ["sl-2", "sl-3", "sl-4", "sl-5"],
    )
    current, upcoming, later = timeline(slots, NOW + timedelta(hours=3))
    assert (current, upcoming, later) == (None, None, [])


async def test_the_live_dashboard_redraws_on_a_change_and_keeps_running_through_a_reconnect(
    server,
):
    # Given the live dashboard of station st-1 (on a terminal, so each redraw is written)
    console = Console(record=True, width=110, file=io.StringIO(), force_terminal=True)
    stop = asyncio.Event()
    async with MediaDayClient(
        server.url, PRODUCER_TOKEN, topics=topics_for("st-1"), options=FAST
    ) as client:
        running = asyncio.create_task(watch(client, console, "st-1", stop, refresh=5.0))
        await asyncio.sleep(0.1)
        # When a call is pushed, the server drops the link, and another call is pushed
        server.put({"type": "call", "id": "ca-1", "station_id": "st-1", "talent_id": "t-7"})
        await client.wait_until(lambda: client.mirror.get("call", "ca-1") is not None, 2)
        await asyncio.sleep(0.05)
        first = console.export_text(clear=False)
        await server.drop_all()
        await client.wait_until(lambda: client.state is ConnectionState.RECONNECTING, 2)
        server.put({"type": "call", "id": "ca-2", "station_id": "st-1", "talent_id": "t-12"})
        await client.wait_until(
            lambda: (
                client.state is ConnectionState.CONNECTED
                and client.mirror.get("call", "ca-2") is not None
            ),
            3,
        )
        await asyncio.sleep(0.05)
        assert not running.done()
        stop.set()
        await asyncio.wait_for(running, 2)
    # Then it redrew promptly (well before its 5 s refresh) with each change
    assert "ca-1" in first and "#7 John Roe" in first
    final = console.export_text()
    assert "Calls (2 active)" in final and "ca-2" in final
    assert "● live" in final


def test_an_80_column_dashboard_shows_call_handles_that_name_exactly_one_call():
    from client.lookup import resolve_call
    from mediaday.models import Call

    mirror = day_mirror()
    long_ids = ["ca-9d41f07a3be2c811", "ca-9d41f07a3be2c922"]  # derived ids share a prefix
    for rev, call_id in enumerate(long_ids, 100):
        mirror.apply({"media_day": "cbtc-2026", "type": "call", "id": call_id, "version": 1,
                      "rev": rev, "station_id": "st-1", "talent_id": "t-12"})  # fmt: skip
    text = text_of(mirror, DashboardView(station="st-1", now=NOW.timestamp()), width=80)
    shown = [word for word in text.split() if word.startswith("ca-9d41")]
    assert sorted(shown) == ["ca-9d41f07a3be2c8", "ca-9d41f07a3be2c9"]  # whole, unique
    calls = mirror.items_of(Call)
    assert [resolve_call(calls, handle).id for handle in sorted(shown)] == long_ids
