"""The crew dashboard as a pure function of the mirror: `render(mirror, view)`.

Nothing here reads a clock or a socket; the caller passes the server time and the
connection state, so a test renders the same dashboard a crew sees, into a string.

- with a station: now / next / later slots with talent names and countdowns, the shot list
  of the athlete in front of the camera (now, else next), and the station's active calls;
- without one (a producer's overview): now and next for every station, and every active
  call;
- above all: the notices aimed at this screen; per station "running N min late", and an
  overtime countdown when the athlete in front of the crew runs past the planned end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from client.events import ConnectionState
from client.liveday import minutes_late, overtime, shown_notices, under_way, upcoming
from client.lookup import call_handles
from client.mirror import Mirror
from mediaday.models import (
    ACTIVE_CALL_STATES,
    Call,
    Notice,
    NoticeLevel,
    Shot,
    ShotStatus,
    Slot,
    Talent,
)

LATER_SLOTS = 4


@dataclass(frozen=True)
class DashboardView:
    """Everything the dashboard shows besides the mirror."""

    station: str | None
    now: float  # server clock, epoch seconds
    state: ConnectionState = ConnectionState.CONNECTED
    state_reason: str = ""
    clock_offset: float | None = None


def media_day_timezone(mirror: Mirror) -> tzinfo:
    """The media day's time zone (UTC when unknown or not a zone name)."""
    day = mirror.day()
    if day is None:
        return UTC
    try:
        return ZoneInfo(day.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def timeline(slots: Sequence[Slot], now: datetime) -> tuple[Slot | None, Slot | None, list[Slot]]:
    """(now, next, later) of one station's slots at `now`: the athlete marked arrived stays
    "now" until marked done, even past the planned end (`client.liveday`)."""
    current = under_way(slots, now)
    coming = upcoming(slots, now, current)
    return current, (coming[0] if coming else None), coming[1 : 1 + LATER_SLOTS]


def render(mirror: Mirror, view: DashboardView) -> RenderableType:
    tz = media_day_timezone(mirror)
    now = datetime.fromtimestamp(view.now, UTC)
    parts: list[RenderableType] = [_header(mirror, view, tz)]
    notices = shown_notices(mirror.items_of(Notice), now, view.station)
    if notices:
        parts.append(_notices(notices))
    if view.station is not None:
        schedule, focus = _schedule(mirror, view.station, now, tz)
        parts.append(schedule)
        parts.append(_shots(mirror, view.station, focus.talent_id if focus else None))
    else:
        parts.append(_overview(mirror, now, tz))
    parts.append(_calls(mirror, view.station, now))
    return Group(*parts)


# -- sections ---------------------------------------------------------------------------------
def _header(mirror: Mirror, view: DashboardView, tz: tzinfo) -> RenderableType:
    day = mirror.day()
    title = day.name if day else "Media Day Live"
    if view.station is not None:
        station = mirror.get("station", view.station)
        name = getattr(station, "name", None)
        where = f"{name} ({view.station})" if name else f"station {view.station}"
    else:
        where = "all stations"
    clock = datetime.fromtimestamp(view.now, tz).strftime("%H:%M:%S")
    grid = Table.grid(expand=True)
    grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    grid.add_column(justify="right", no_wrap=True)
    grid.add_row(Text.assemble((title, "bold"), " · ", where), Text(clock, style="bold"))
    offset = "" if view.clock_offset is None else f"server clock, offset {view.clock_offset:+.3f}s"
    grid.add_row(_state_badge(view), Text(offset, style="dim"))
    return grid


def _state_badge(view: DashboardView) -> Text:
    badges = {
        ConnectionState.CONNECTED: ("● live", "green"),
        ConnectionState.CONNECTING: ("○ connecting", "yellow"),
        ConnectionState.RECONNECTING: ("◌ reconnecting", "yellow"),
        ConnectionState.CLOSED: ("✕ closed", "red"),
    }
    label, style = badges[view.state]
    text = Text(label, style=style)
    if view.state is not ConnectionState.CONNECTED and view.state_reason:
        text.append(f" ({view.state_reason[:60]})", style="dim")
    return text


def _schedule(
    mirror: Mirror, station: str, now: datetime, tz: tzinfo
) -> tuple[RenderableType, Slot | None]:
    """The station's now/next/later panel, and the slot whose talent is in focus."""
    current, upcoming, later = timeline(mirror.slots(station), now)
    talent = mirror.talent()
    table = Table(expand=True, show_header=False, box=None, pad_edge=False)
    table.add_column(width=6, style="bold")
    table.add_column(width=13)
    table.add_column(ratio=2)
    table.add_column(ratio=1)
    table.add_column(justify="right", width=18)
    rows: list[tuple[str, Slot | None, str]] = [
        ("NOW", current, "green"),
        ("NEXT", upcoming, "cyan"),
    ]
    rows += [("LATER", slot, "") for slot in later] or [("LATER", None, "")]
    for label, slot, style in rows:
        if slot is None:
            table.add_row(Text(label, style=style), "—", Text("nothing scheduled", style="dim"))
            continue
        over = overtime(slot, now) if slot is current else None
        countdown: str | Text = (
            Text(f"overtime -{_duration(over)}", style="bold red")
            if over is not None
            else f"ends in {_duration(slot.ends_at - now)}"
            if slot.starts_at <= now or slot is current
            else f"starts in {_duration(slot.starts_at - now)}"
        )
        table.add_row(
            Text(label, style=style),
            f"{_at(slot.starts_at, tz)}-{_at(slot.ends_at, tz)}",
            _who(talent, slot.talent_id),
            slot.title,
            countdown,
        )
    late = minutes_late(mirror.slots(station), now)
    return Panel(table, title=f"Schedule{_late(late)}", title_align="left"), current or upcoming


def _late(minutes: int) -> str:
    """ " · running N min late" (or early); "" when on time."""
    if minutes == 0:
        return ""
    return f" · running {abs(minutes)} min {'late' if minutes > 0 else 'early'}"


def _notices(notices: Sequence[Notice]) -> RenderableType:
    table = Table(expand=True, show_header=False, box=None, pad_edge=False)
    table.add_column(width=8)
    table.add_column(ratio=1)
    for notice in notices:
        urgent = notice.level is NoticeLevel.URGENT
        table.add_row(
            Text("URGENT" if urgent else "notice", style="bold red" if urgent else "cyan"),
            Text(notice.text, style="bold" if urgent else ""),
        )
    return Panel(table, title="Notices", title_align="left", border_style="red")


def _shots(mirror: Mirror, station: str, focus: str | None) -> RenderableType:
    talent = mirror.talent()
    shots = [s for s in mirror.shots(station) if focus is None or s.talent_id == focus]
    shots.sort(key=lambda s: (s.talent_id, s.position, s.id))
    title = f"Shots — {_who(talent, focus)}" if focus else "Shots"
    done = sum(1 for s in shots if s.status is not ShotStatus.PENDING)
    table = Table(expand=True, show_header=False, box=None, pad_edge=False)
    table.add_column(width=12)
    table.add_column(ratio=1)
    table.add_column(style="dim", justify="right")
    for shot in shots:
        table.add_row(_shot_status(shot), shot.description, shot.id)
    if not shots:
        table.add_row(Text("—", style="dim"), Text("no shots listed", style="dim"), "")
    return Panel(table, title=f"{title} ({done}/{len(shots)} done)", title_align="left")


def _shot_status(shot: Shot) -> Text:
    return {
        ShotStatus.CAPTURED: Text("✓ captured", style="green"),
        ShotStatus.SKIPPED: Text("✗ skipped", style="dim"),
        ShotStatus.PENDING: Text("· pending", style="yellow"),
    }[shot.status]


def _overview(mirror: Mirror, now: datetime, tz: tzinfo) -> RenderableType:
    talent = mirror.talent()
    table = Table(expand=True)
    table.add_column("Station")
    table.add_column("Now")
    table.add_column("Next")
    for station in mirror.stations():
        current, upcoming, _ = timeline(mirror.slots(station.id), now)
        late = _late(minutes_late(mirror.slots(station.id), now)).removeprefix(" · ")
        table.add_row(
            Text.assemble(f"{station.name} ({station.id})", (f"\n{late}" if late else "", "red")),
            _slot_line(talent, current, tz, f"until {_at(current.ends_at, tz)}" if current else ""),
            _slot_line(
                talent, upcoming, tz, f"at {_at(upcoming.starts_at, tz)}" if upcoming else ""
            ),
        )
    return Panel(table, title="Stations", title_align="left")


def _calls(mirror: Mirror, station: str | None, now: datetime) -> RenderableType:
    talent = mirror.talent()
    stations = {s.id: s.name for s in mirror.stations()}
    calls: list[Call] = [c for c in mirror.calls(station) if c.state in ACTIVE_CALL_STATES]
    table = Table(expand=True, show_header=bool(calls), box=None, pad_edge=False)
    # Short handles that `mediaday call ack|cancel` accept: whole ids do not fit 80 columns,
    # and a handle is never cut (the note gives way instead).
    handles = call_handles(call.id for call in mirror.calls(station))
    widest = max((len(handles[call.id]) for call in calls), default=4)
    table.add_column("Call", no_wrap=True, min_width=widest)
    for column in ("Talent", "To", "State", "Note", "Since"):
        table.add_column(column, justify="right" if column == "Since" else "left")
    states = {"pending": "bold red", "en-route": "yellow", "arrived": "green"}
    for call in calls:
        since = now - datetime.fromtimestamp(call.updated_at / 1000, UTC)
        table.add_row(
            handles[call.id],
            _who(talent, call.talent_id),
            stations.get(call.station_id, call.station_id),
            Text(call.state.value, style=states.get(call.state.value, "")),
            call.note,
            f"{_duration(since)} ago",
        )
    if not calls:
        table.add_row(Text("no active calls", style="dim"))
    return Panel(table, title=f"Calls ({len(calls)} active)", title_align="left")


# -- formatting -------------------------------------------------------------------------------
def _who(talent: dict[str, Talent], talent_id: str | None) -> str:
    if talent_id is None:
        return "—"
    person = talent.get(talent_id)
    if person is None:
        return talent_id
    number = f"#{person.number} " if person.number else ""
    team = f" · {person.team}" if person.team else ""
    return f"{number}{person.name}{team}"


def _slot_line(talent: dict[str, Talent], slot: Slot | None, tz: tzinfo, when: str) -> Text:
    if slot is None:
        return Text("—", style="dim")
    return Text.assemble(_who(talent, slot.talent_id), (f"  {when}", "dim"))


def _at(moment: datetime, tz: tzinfo) -> str:
    return f"{moment.astimezone(tz):%H:%M}"


def _duration(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h{minutes:02d}" if hours else f"{minutes}:{seconds:02d}"
