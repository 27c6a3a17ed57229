"""Running late, overtime, the athlete kept until done, and the notices a screen shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from client.dashboard import DashboardView
from client.liveday import minutes_late, overtime, shown_notices, under_way, upcoming
from mediaday.models import Notice, NoticeLevel, Slot
from tests.unit.client.test_dashboard import day_mirror, text_of

NINE = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def slot(slot_id: str, start: int, **fields) -> Slot:
    return Slot(
        media_day="md",
        id=slot_id,
        station_id="st-1",
        talent_id="t-1",
        starts_at=NINE + timedelta(minutes=start),
        ends_at=NINE + timedelta(minutes=start + 15),
        **fields,
    )


def at(minutes: float) -> datetime:
    return NINE + timedelta(minutes=minutes)


def test_a_shifted_station_runs_as_late_as_its_next_slot_moved():
    shifted = slot("b", 25, planned_starts_at=at(15), planned_ends_at=at(30))
    assert minutes_late([slot("a", 0), shifted], at(5)) == 10
    assert minutes_late([slot("a", 0), slot("b", 10, planned_starts_at=at(15))], at(5)) == -5
    assert minutes_late([slot("a", 0)], at(5)) == 0


def test_an_overrun_makes_the_next_slot_late_and_the_athlete_stays_until_done():
    arrived = slot("a", 0, actual_start=at(1))
    later = slot("b", 15)
    # 09:20: a planned to end at 09:15 is not done; b (09:15) cannot have begun
    assert under_way([arrived, later], at(20)) is arrived
    assert upcoming([arrived, later], at(20), arrived) == [later]
    assert overtime(arrived, at(20)) == timedelta(minutes=5)
    assert minutes_late([arrived, later], at(20)) == 5
    done = arrived.model_copy(update={"actual_end": at(18)})
    assert under_way([done, later], at(20)) is later and overtime(done, at(20)) is None


def test_screens_show_live_notices_aimed_at_them_urgent_first():
    def notice(notice_id, rev, **fields):
        return Notice(media_day="md", id=notice_id, text=notice_id, rev=rev, **fields)

    notices = [
        notice("all", 1),
        notice("st-2-only", 2, stations=["st-2"]),
        notice("expired", 3, expires_at=at(-1)),
        notice("urgent", 4, level=NoticeLevel.URGENT, expires_at=at(10)),
        notice("cleared", 5, deleted=True),
    ]
    assert [n.id for n in shown_notices(notices, NINE, "st-1")] == ["urgent", "all"]
    assert [n.id for n in shown_notices(notices, at(11), "st-2")] == ["st-2-only", "all"]


def test_watch_shows_running_late_overtime_and_notices():
    mirror = day_mirror("roster", "station:st-1", "shots:st-1", "notices")
    first = mirror.get("slot", "sl-1")
    mirror.apply(
        {
            **first.model_dump(mode="json"),
            "version": 2,
            "rev": 50,
            "actual_start": "2026-05-04T09:01:00Z",
        }
    )
    mirror.apply(
        {
            "type": "notice",
            "id": "nt-1",
            "media_day": "cbtc-2026",
            "version": 1,
            "rev": 51,
            "text": "Lunch in 10 minutes",
            "level": "urgent",
        }
    )
    now = datetime(2026, 5, 4, 9, 18, tzinfo=UTC).timestamp()
    text = text_of(mirror, DashboardView(station="st-1", now=now))
    assert "Lunch in 10 minutes" in text and "URGENT" in text
    assert "overtime -3:00" in text  # planned to end 09:15, still there at 09:18
    assert "running 3 min late" in text


def test_shift_from_takes_a_time_of_day_on_the_servers_date_or_a_full_time():
    from zoneinfo import ZoneInfo

    import pytest

    from client.commands.common import UsageError
    from client.commands.schedule import parse_moment

    paris = ZoneInfo("Europe/Paris")
    server_now = datetime(2026, 5, 4, 22, 30, tzinfo=UTC).timestamp()  # 00:30 on the 5th in Paris
    assert parse_moment("14:30", paris, server_now) == datetime(2026, 5, 5, 14, 30, tzinfo=paris)
    assert parse_moment("2026-05-04T09:00", paris, server_now) == datetime(
        2026, 5, 4, 9, 0, tzinfo=paris
    )
    for bad in ("25:00", "soon"):
        with pytest.raises(UsageError):
            parse_moment(bad, paris, server_now)


def test_notice_list_shows_what_screens_show():
    from client.commands.notice import is_active

    live = Notice(media_day="md", id="n", text="x", expires_at=at(10))
    assert is_active(live, NINE) and not is_active(live, at(11))
    assert not is_active(live.model_copy(update={"deleted": True}), NINE)
