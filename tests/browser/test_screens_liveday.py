"""The kiosk and crew pages during the live day (issue #14), in Chromium over a scripted
socket (tests/browser/screens.py): running late, and the notices banner with its urgent
takeover. The crew's own live-day taps and alerts: test_screens_crew.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.screens import open_crew, open_kiosk
from tests.browser.support import save_screenshot

pytestmark = pytest.mark.browser


SHIFTED = """
window.extraDay = [
  { type: "slot", id: "a", version: 1, rev: 2, station_id: "st-1", talent_id: "t-1",
    starts_at: new Date(serverNow() - 5 * 60000).toISOString(),
    ends_at: new Date(serverNow() + 10 * 60000).toISOString() },
  { type: "slot", id: "b", version: 2, rev: 3, station_id: "st-1", talent_id: "t-2",
    starts_at: new Date(serverNow() + 20 * 60000).toISOString(),
    ends_at: new Date(serverNow() + 35 * 60000).toISOString(),
    planned_starts_at: new Date(serverNow() + 10 * 60000).toISOString(),
    planned_ends_at: new Date(serverNow() + 25 * 60000).toISOString() },
];
"""


# ---------------------------------------------------------------------------------------
def test_a_shifted_station_shows_running_late_on_the_kiosk_and_the_crew_page(
    open_screen: Callable[..., Page],
) -> None:
    # Given station 1 shifted 10 minutes later (its next slot keeps its planned start)
    kiosk = open_kiosk(open_screen, SHIFTED)
    crew = open_crew(open_screen, SHIFTED)
    # Then both screens say so, and the other station (on time) says nothing
    station = kiosk.locator('.station[data-station-id="st-1"]')
    expect(station.locator(".late")).to_have_text("Running 10 min late")
    expect(kiosk.locator('.station[data-station-id="st-2"] .late')).to_have_count(0)
    expect(crew.locator("#now-body .late")).to_have_text("Running 10 min late")
    save_screenshot(kiosk, "kiosk-running-late")

    # When the producer pulls it back to 5 minutes ahead of plan
    kiosk.evaluate(
        """() => push(Object.assign({}, held("slot", "b"), { version: 3,
             starts_at: new Date(Date.parse(held("slot", "b").planned_starts_at) - 300000)
               .toISOString() }))"""
    )
    # Then the kiosk says early
    expect(station.locator(".late")).to_have_text("Running 5 min early")
    expect(station.locator(".late")).to_have_attribute("data-way", "early")


NOTICES = """
window.extraDay = [
  { type: "notice", id: "n-lunch", version: 1, rev: 4, level: "info", stations: [],
    text: "Lunch in 10 minutes", posted_by: "producer",
    expires_at: new Date(EXPIRES + serverSkewMs).toISOString() },
  { type: "notice", id: "n-st2", version: 1, rev: 5, level: "info", stations: ["st-2"],
    text: "Video booth: cables on the floor", posted_by: "producer" },
];
"""


def test_a_notice_banner_shows_on_the_screens_it_is_aimed_at_and_leaves_at_expiry(
    open_screen: Callable[..., Page],
) -> None:
    # Given a notice to every screen expiring in 3 s (server time), and one for st-2 only
    expires = f"const EXPIRES = {int(time.time() * 1000) + 3000};"
    kiosk = open_kiosk(open_screen, expires + NOTICES)
    crew = open_crew(open_screen, expires + NOTICES)
    lunch = '#notices [data-notice-id="n-lunch"]'

    expect(kiosk.locator(lunch)).to_contain_text("Lunch in 10 minutes")
    expect(kiosk.locator('#notices [data-notice-id="n-st2"]')).to_contain_text("Video booth")
    expect(crew.locator(lunch)).to_be_visible()
    # Then the crew of st-1 does not see st-2's notice
    expect(crew.locator('#notices [data-notice-id="n-st2"]')).to_have_count(0)
    save_screenshot(kiosk, "kiosk-notice")
    # And at expiry on the server's clock (the screen's runs 2 h behind) it leaves on its own
    expect(kiosk.locator(lunch)).to_have_count(0, timeout=5_000)
    expect(crew.locator(lunch)).to_have_count(0, timeout=1_000)
    expect(crew.locator("#notices")).to_be_hidden()
    expect(kiosk.locator('#notices [data-notice-id="n-st2"]')).to_be_visible()


def test_an_urgent_notice_takes_over_the_screen_then_stays_as_a_banner(
    open_screen: Callable[..., Page],
) -> None:
    kiosk = open_kiosk(open_screen)
    takeover = kiosk.locator("#takeover")
    expect(takeover).to_be_hidden()
    # When a producer posts an urgent notice
    kiosk.evaluate(
        """() => push({ type: "notice", id: "n-hall", version: 1, level: "urgent",
                        stations: [], text: "All crews to Hall B", posted_by: "producer" })"""
    )
    # Then it takes the whole screen over
    expect(takeover).to_be_visible()
    expect(takeover).to_contain_text("All crews to Hall B")
    box = takeover.bounding_box()
    assert box is not None and box["width"] == 1920 and box["height"] == 1080
    save_screenshot(kiosk, "kiosk-urgent-takeover")
    # for a few seconds (0.8 s in this test), then stays as an urgent banner
    expect(takeover).to_be_hidden(timeout=3_000)
    expect(kiosk.locator('#notices [data-notice-id="n-hall"]')).to_have_attribute(
        "data-level", "urgent"
    )
    save_screenshot(kiosk, "kiosk-urgent-banner")
    # And a clear takes it off the screen
    kiosk.evaluate(
        """() => push({ type: "notice", id: "n-hall", version: 2, deleted: true,
                        level: "urgent", stations: [], text: "All crews to Hall B" })"""
    )
    expect(kiosk.locator("#notices")).to_be_hidden()
