"""A demo media day, so a fresh `make run` shows something: stations, talent, a few hours
of slots from now, shot lists and a pending call.

Everything is written through the CoordinationStore (so items get versions and revs and
reach the stream like any producer's write), in as few transactions as one holds (two for
the 126 items, not 126 writes: a stack start, which every end-to-end test module pays, took
~10 s of it on a busy 2-core machine). Each transaction writes only the items not there
yet, so a seed cut short by a crash finishes on the next start without duplicates. The
media day item goes last: once it exists the data directory counts as seeded and is never
seeded again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import partial

from mediaday.coordination import MAX_TRANSACTION_ITEMS, CoordinationStore, PlannedWrite
from mediaday.models import (
    Call,
    Item,
    MediaDay,
    Shot,
    Slot,
    Station,
    StationKind,
    Talent,
    item_sk,
)

SEED_ACTOR = "demo-seed"
SLOT_MINUTES = 15
DEMO_HOURS = 3

_STATIONS = (
    ("st-1", "Interview Room A", StationKind.INTERVIEW, "Hall 1, north wall"),
    ("st-2", "Photo Wall", StationKind.PHOTO, "Hall 1, centre"),
    ("st-3", "Video Booth", StationKind.VIDEO, "Hall 2"),
    ("st-4", "Podcast Corner", StationKind.PODCAST, "Hall 2, mezzanine"),
)
_TALENT = (
    ("t-1", "Maya Okafor", "7", "Harbor City Comets", "Guard"),
    ("t-2", "Luca Brandt", "11", "Harbor City Comets", "Forward"),
    ("t-3", "Ines Caldera", "23", "Northgate Lynx", "Center"),
    ("t-4", "Tomás Reyes", "4", "Northgate Lynx", "Guard"),
    ("t-5", "Aiko Tanaka", "15", "Riverside Rapids", "Forward"),
    ("t-6", "Sam O'Neill", "32", "Riverside Rapids", "Center"),
    ("t-7", "Priya Raman", "9", "Lakeshore Herons", "Guard"),
    ("t-8", "Jonah Abebe", "21", "Lakeshore Herons", "Forward"),
)
_SHOTS = {
    StationKind.INTERVIEW: ("Two-shot intro with host", "Season goals question"),
    StationKind.PHOTO: ("Portrait on white", "Action pose with ball"),
    StationKind.VIDEO: ("Slow-motion walk-in", "Hype line to camera"),
    StationKind.PODCAST: ("Mic check and intro", "Rapid-fire questions"),
}


def demo_items(media_day: str, now: datetime) -> list[Item]:
    """The demo day, media day item last; the first slots began at the last quarter hour, so
    a newcomer's kiosk shows someone "now" at every station straight away."""
    start = now.astimezone(UTC).replace(second=0, microsecond=0)
    start -= timedelta(minutes=start.minute % SLOT_MINUTES)
    items: list[Item] = [
        Station(media_day=media_day, id=sid, name=name, kind=kind, location=where)
        for sid, name, kind, where in _STATIONS
    ]
    items += [
        Talent(media_day=media_day, id=tid, name=name, number=num, team=team, position=pos)
        for tid, name, num, team, pos in _TALENT
    ]
    shots: dict[tuple[str, str], list[Shot]] = {}
    for index in range(DEMO_HOURS * 60 // SLOT_MINUTES):
        begins = start + timedelta(minutes=index * SLOT_MINUTES)
        for offset, (station_id, _, kind, _) in enumerate(_STATIONS):
            talent_id = _TALENT[(index + offset * 2) % len(_TALENT)][0]
            items.append(
                Slot(
                    media_day=media_day,
                    id=f"sl-{station_id}-{index + 1:02d}",
                    station_id=station_id,
                    talent_id=talent_id,
                    starts_at=begins,
                    ends_at=begins + timedelta(minutes=SLOT_MINUTES - 2),
                    title=f"{kind.value.title()} session",
                )
            )
            if (station_id, talent_id) not in shots:
                shots[(station_id, talent_id)] = [
                    Shot(
                        media_day=media_day,
                        id=f"sh-{station_id}-{talent_id}-{n + 1}",
                        station_id=station_id,
                        talent_id=talent_id,
                        description=description,
                        position=n,
                    )
                    for n, description in enumerate(_SHOTS[kind])
                ]
    items += [shot for station_shots in shots.values() for shot in station_shots]
    items.append(
        Call(
            media_day=media_day,
            id="call-1",
            talent_id=_TALENT[0][0],
            station_id=_STATIONS[0][0],
            note="First up: please head to Interview Room A",
        )
    )
    items.append(
        MediaDay(media_day=media_day, id=media_day, name="CBTC Media Day 2026", venue="Arena")
    )
    return items


def is_seeded(store: CoordinationStore, media_day: str) -> bool:
    return store.get(media_day, "day", media_day) is not None


def seed_demo(store: CoordinationStore, media_day: str, *, now: datetime) -> int:
    """Write the demo day unless this data directory has it; returns items written."""
    if is_seeded(store, media_day):
        return 0
    items = demo_items(media_day, now)
    written = 0
    for start in range(0, len(items), MAX_TRANSACTION_ITEMS):
        chunk = items[start : start + MAX_TRANSACTION_ITEMS]
        missing = partial(_not_written_yet, store, media_day, chunk)
        written += len(store.commit_many(media_day, missing, actor=SEED_ACTOR))
    return written


def _not_written_yet(
    store: CoordinationStore, media_day: str, chunk: Sequence[Item], rev: int
) -> list[PlannedWrite]:
    """The chunk's items that are not in the table: one a producer has changed or deleted
    since a seed that was cut short is left as it is."""
    present = store.get_many(media_day, [(item.type, item.id) for item in chunk])
    return [
        PlannedWrite(
            item=item,
            previous_version=None,
            creates=True,
            request_key=f"{SEED_ACTOR}/{item.type}/{item.id}",
        )
        for item in chunk
        if item_sk(item.type, item.id) not in present
    ]
