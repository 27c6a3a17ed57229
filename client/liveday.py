"""What screens derive from the schedule during the day, as pure functions of the mirror's
items and the server time (the pages compute the same in `client/web/views.js`):

- the slot under way: the one marked arrived and not yet done, even past its planned end
  (the crew keeps its athlete until "done"), else the one whose times contain now;
- "running N min late" per station: how much later than planned its next slot will start,
  from shifts (`starts_at` - `planned_starts_at`) and from an overrun of the slot under way
  (it cannot start before that slot is done);
- the notices a screen shows: not cleared, not expired by the server's clock, aimed at
  every screen or at its station.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from mediaday.models import Notice, NoticeLevel, Slot


def under_way(slots: Sequence[Slot], now: datetime) -> Slot | None:
    """The slot in front of the crew now (arrived and not done wins)."""
    arrived = [s for s in slots if s.actual_start is not None and s.actual_end is None]
    if arrived:
        return max(arrived, key=lambda s: s.actual_start or s.starts_at)
    return next(
        (
            s
            for s in sorted(slots, key=lambda s: s.starts_at)
            if s.starts_at <= now < s.ends_at and s.actual_end is None
        ),
        None,
    )


def upcoming(slots: Sequence[Slot], now: datetime, current: Slot | None) -> list[Slot]:
    """Slots still to come, in order: not begun, not done, after the one under way (which
    holds back those planned during its overrun), else after now."""
    after = current.starts_at if current is not None else now
    return sorted(
        (
            s
            for s in slots
            if s is not current
            and s.actual_start is None
            and s.actual_end is None
            and s.starts_at > after
        ),
        key=lambda s: (s.starts_at, s.id),
    )


def overtime(slot: Slot, now: datetime) -> timedelta | None:
    """How long past its planned end the slot under way runs (None: not over)."""
    if slot.actual_end is not None or now <= slot.ends_at:
        return None
    return now - slot.ends_at


def minutes_late(slots: Sequence[Slot], now: datetime) -> int:
    """How many minutes later than planned the station's next slot will start (negative:
    early; 0: on time or nothing left)."""
    current = under_way(slots, now)
    coming = upcoming(slots, now, current)
    if not coming:
        return 0
    following = coming[0]
    planned = following.planned_starts_at or following.starts_at
    expected = following.starts_at
    if current is not None and overtime(current, now) and now > expected:
        expected = now  # it cannot begin before the athlete in front of the crew is done
    return round((expected - planned).total_seconds() / 60)


def shown_notices(
    notices: Iterable[Notice], now: datetime, station: str | None = None
) -> list[Notice]:
    """The notices a screen of `station` (None: a screen of every station) shows now,
    urgent first, newest first."""
    shown = [
        n
        for n in notices
        if not n.deleted
        and (n.expires_at is None or n.expires_at > now)
        and (not n.stations or station is None or station in n.stations)
    ]
    return sorted(shown, key=lambda n: (n.level is not NoticeLevel.URGENT, -n.rev))
