"""client/web/producer-time.js in Chromium: a time typed in the console means the venue's
wall clock, whatever zone the laptop is in (the browser here runs in UTC)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.scripted import WEB, page_scripts, run

pytestmark = pytest.mark.browser


@pytest.fixture
def producer_time(js: Page) -> Page:
    js.add_script_tag(path=str(WEB / "producer-time.js"))
    return js


def test_the_console_page_loads_its_time_helpers_before_its_sections() -> None:
    scripts = page_scripts("producer.html")
    assert scripts.index("views.js") < scripts.index("producer-time.js")
    assert scripts.index("producer-time.js") < scripts.index("producer-board.js")
    assert scripts[-1] == "producer.js"


def test_a_typed_time_is_the_venues_wall_clock_in_summer_and_winter(
    producer_time: Page,
) -> None:
    result = run(
        producer_time,
        """
        const T = MediaDay.Producer.time;
        T.setZone("America/New_York");
        const summer = T.atWallTime(Date.UTC(2026, 6, 1, 12), "14:30");
        const winter = T.atWallTime(Date.UTC(2026, 11, 2, 12), "14:30");
        // 02:00 UTC on 2 Dec is still 1 Dec, 21:00 in New York: the wall date is the venue's
        const lateEvening = T.atWallTime(Date.UTC(2026, 11, 2, 2), "09:00");
        return {
          summer: T.iso(summer), winter: T.iso(winter), lateEvening: T.iso(lateEvening),
          shown: T.inputTime(Date.UTC(2026, 11, 2, 19, 30)),
          bad: Number.isNaN(T.atWallTime(Date.UTC(2026, 11, 2), "9.30")),
        };
        """,
    )
    assert result == {
        "summer": "2026-07-01T18:30:00Z",
        "winter": "2026-12-02T19:30:00Z",
        "lateEvening": "2026-12-01T14:00:00Z",
        "shown": "14:30",
        "bad": True,
    }
