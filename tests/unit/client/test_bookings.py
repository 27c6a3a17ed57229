"""The CSV import's double-booking check: each clashing row is named by line, as the
service would refuse it, before anything is written."""

from __future__ import annotations

import io
from datetime import UTC

from client.bookings import double_bookings
from client.csvio import read_schedule
from client.mirror import Mirror

HEADER = "id,station_id,talent_id,starts_at,ends_at,title\n"


def rows(text: str):
    return read_schedule(io.StringIO(HEADER + text), tz=UTC)


def mirror_with(*slots: dict) -> Mirror:
    mirror = Mirror()
    mirror.add_topics(["schedule"])
    for rev, slot in enumerate(slots, 1):
        mirror.apply({"type": "slot", "media_day": "md", "version": 1, "rev": rev, **slot})
    return mirror


BOOKED = {
    "id": "sl-9",
    "station_id": "st-2",
    "talent_id": "t-12",
    "starts_at": "2026-05-04T09:10:00Z",
    "ends_at": "2026-05-04T09:20:00Z",
}


def test_two_rows_of_one_athlete_at_once_are_both_named_by_line():
    clashes = double_bookings(
        rows(
            "sl-1,st-1,t-12,2026-05-04T09:00:00Z,2026-05-04T09:15:00Z,\n"
            "sl-2,st-2,t-12,2026-05-04T09:05:00Z,2026-05-04T09:20:00Z,\n"
            "sl-3,st-3,t-7,2026-05-04T09:05:00Z,2026-05-04T09:20:00Z,\n"
        ),
        Mirror(),
    )
    assert [c.line for c in clashes] == [2, 3]
    assert "overlaps line 3" in clashes[0].message and "double_booked" in clashes[0].message


def test_a_row_over_a_slot_the_file_does_not_change_names_that_slot():
    (clash,) = double_bookings(
        rows(",st-1,t-12,2026-05-04T09:00:00Z,2026-05-04T09:15:00Z,\n"), mirror_with(BOOKED)
    )
    assert clash.line == 2 and "slot sl-9 (st-2 09:10-09:20)" in clash.message


def test_a_row_that_moves_the_other_slot_away_clears_the_clash():
    text = (
        ",st-1,t-12,2026-05-04T09:00:00Z,2026-05-04T09:15:00Z,\n"
        "sl-9,st-2,t-12,2026-05-04T09:15:00Z,2026-05-04T09:25:00Z,\n"
    )
    assert double_bookings(rows(text), mirror_with(BOOKED)) == []


def test_re_importing_an_id_less_row_is_not_a_clash_with_its_own_earlier_import():
    earlier = {**BOOKED, "id": "sl-derived", "station_id": "st-1"}
    text = ",st-1,t-12,2026-05-04T09:10:00Z,2026-05-04T09:20:00Z,\n"
    assert double_bookings(rows(text), mirror_with(earlier)) == []
