"""client/web/views.js in Chromium: what the kiosk, crew and producer pages derive from the
schedule during the day, the same rules as client/liveday.py (tests/unit/client/
test_liveday.py): the athlete kept until done, overtime, running late, notices shown."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.scripted import run

pytestmark = pytest.mark.browser

SLOTS = """
const at = (m) => Date.parse("2026-05-04T09:00:00Z") + m * 60000;
const iso = (m) => new Date(at(m)).toISOString();
const slot = (id, start, extra) => Object.assign(
  { type: "slot", id: id, station_id: "st-1", talent_id: "t-" + id,
    starts_at: iso(start), ends_at: iso(start + 15) }, extra || {});
"""


def test_an_arrived_athlete_stays_current_past_the_planned_end_with_overtime(js: Page) -> None:
    seen = run(
        js,
        SLOTS
        + """
        const a = slot("a", 0, { actual_start: iso(1) });
        const b = slot("b", 15);
        const line = MediaDay.stationTimeline([b, a], at(20));
        const ended = Object.assign({}, a, { actual_end: iso(18) });
        const done = MediaDay.stationTimeline([b, ended], at(20));
        return { current: line.current.id, next: line.next.id,
                 overtime: MediaDay.overtimeMs(line.current, at(20)),
                 late: MediaDay.minutesLate([a, b], at(20)),
                 afterDone: done.current.id };
        """,
    )
    assert seen == {
        "current": "a",
        "next": "b",
        "overtime": 5 * 60000,
        "late": 5,
        "afterDone": "b",
    }


def test_a_shifted_station_runs_as_late_as_its_next_slot_moved(js: Page) -> None:
    late = run(
        js,
        SLOTS
        + """
        const shifted = slot("b", 25, { planned_starts_at: iso(15) });
        const early = slot("b", 10, { planned_starts_at: iso(15) });
        return [MediaDay.minutesLate([slot("a", 0), shifted], at(5)),
                MediaDay.minutesLate([slot("a", 0), early], at(5)),
                MediaDay.minutesLate([slot("a", 0)], at(5))];
        """,
    )
    assert late == [10, -5, 0]


def test_screens_show_live_notices_aimed_at_them_urgent_first(js: Page) -> None:
    shown = run(
        js,
        SLOTS
        + """
        const n = (id, rev, extra) => Object.assign({ type: "notice", id: id, rev: rev,
          text: id, level: "info", stations: [] }, extra || {});
        const all = [n("all", 1), n("st-2-only", 2, { stations: ["st-2"] }),
                     n("expired", 3, { expires_at: iso(-1) }),
                     n("urgent", 4, { level: "urgent", expires_at: iso(10) }),
                     n("cleared", 5, { deleted: true })];
        const ids = (list) => list.map((x) => x.id);
        return [ids(MediaDay.shownNotices(all, at(0), "st-1")),
                ids(MediaDay.shownNotices(all, at(11), "st-2"))];
        """,
    )
    assert shown == [["urgent", "all"], ["st-2-only", "all"]]
