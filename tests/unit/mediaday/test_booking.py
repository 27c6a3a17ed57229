"""The double-booking rule, pure: overlaps, what counts as booked anew, one read per athlete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mediaday.booking import booking_changed, check_bookings, check_station, overlaps
from mediaday.errors import DoubleBooked
from mediaday.models import Slot

START = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def slot(slot_id: str, talent: str, start: int, end: int, station: str = "st-1") -> Slot:
    return Slot(
        media_day="md",
        id=slot_id,
        station_id=station,
        talent_id=talent,
        starts_at=START + timedelta(minutes=start),
        ends_at=START + timedelta(minutes=end),
    )


def test_overlap_is_half_open():
    assert overlaps(slot("a", "t", 0, 10), slot("b", "t", 5, 15))
    assert not overlaps(slot("a", "t", 0, 10), slot("b", "t", 10, 20))
    assert overlaps(slot("a", "t", 0, 30), slot("b", "t", 10, 20))


def test_only_a_new_athlete_or_new_times_book_anew():
    before = slot("a", "t-1", 0, 10)
    assert booking_changed(None, before)
    assert not booking_changed(before, before.model_copy(update={"title": "x"}))
    assert booking_changed(before, before.model_copy(update={"talent_id": "t-2"}))
    assert booking_changed(before, slot("a", "t-1", 1, 10))
    assert not booking_changed(before, before.model_copy(update={"deleted": True}))


def test_each_athlete_is_read_once_in_a_window_that_catches_every_overlap():
    reads: list[tuple[str, datetime, datetime]] = []
    stored = {"t-1": [slot("old", "t-1", 100, 110)], "t-2": []}

    def read(talent, earliest, latest):
        reads.append((talent, earliest, latest))
        return stored[talent]

    written = [slot("a", "t-1", 0, 10), slot("b", "t-1", 20, 30), slot("c", "t-2", 0, 10)]
    check_bookings(written, written, read)
    assert sorted(r[0] for r in reads) == ["t-1", "t-2"]
    t1 = next(r for r in reads if r[0] == "t-1")
    # a 12-hour slot starting before 14:00 could still overlap: the window starts 12 h back
    assert t1[1:] == (START - timedelta(hours=12), START + timedelta(minutes=30))


def test_a_clash_names_the_other_slots_and_the_flag():
    stored = [slot("x", "t-1", 5, 15, "st-2"), slot("y", "t-1", 8, 9, "st-3")]
    with pytest.raises(DoubleBooked) as refused:
        check_bookings([slot("a", "t-1", 0, 10)], [slot("a", "t-1", 0, 10)], lambda *_: stored)
    message = refused.value.message
    assert "slot x (st-2 14:05-14:15)" in message and "slot y" in message
    assert "allow_overlap" in message


def test_the_stored_version_of_a_slot_being_rewritten_is_ignored():
    moved = slot("a", "t-1", 30, 40)
    stale = slot("a", "t-1", 0, 10)  # the same slot as stored before this write
    other = slot("b", "t-1", 0, 10)  # moved by the same request, away from 14:00
    check_bookings([moved, slot("b", "t-1", 50, 60)], [moved], lambda *_: [stale, other])


def test_a_station_may_not_get_two_slots_at_once_from_a_shift():
    with pytest.raises(DoubleBooked, match="station st-1"):
        check_station([slot("b", "t-2", 5, 15)], [slot("a", "t-1", 0, 10)])
    check_station([slot("b", "t-2", 5, 15)], [slot("a", "t-1", 0, 10, "st-2")])
