"""Online markers and the crew tablet's redirect on the real pages, in Chromium over the
scripted socket (tests/browser/screens.py): the kiosk's per-station "Crew online", the
crew page's "Producer online", and a crew tablet shown another station, view only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.screens import TABLET_SIZE, open_crew, open_kiosk, token
from tests.browser.support import save_screenshot

pytestmark = pytest.mark.browser

MARKERS = """
window.extraDay = [{ type: "presence", producers: true, crews: ["st-1"] }];
"""
# At st-2, an athlete under way with a shot to take: a crew of st-2 would get buttons.
AT_VIDEO = """
window.extraDay = [
  { type: "presence", producers: true, crews: ["st-1"] },
  { type: "slot", id: "v-1", version: 1, rev: 2, station_id: "st-2", talent_id: "t-2",
    starts_at: new Date(serverNow() - 5 * 60000).toISOString(),
    ends_at: new Date(serverNow() + 10 * 60000).toISOString() },
  { type: "shot", id: "v-sh", version: 1, rev: 2, station_id: "st-2", talent_id: "t-2",
    position: 1, description: "Walk and talk", status: "pending" },
];
"""


def test_the_kiosk_marks_each_station_whose_crew_is_online_live(
    open_screen: Callable[..., Page],
) -> None:
    kiosk = open_kiosk(open_screen, MARKERS)
    photo = kiosk.locator('.station[data-station-id="st-1"] .presence')
    video = kiosk.locator('.station[data-station-id="st-2"] .presence')
    expect(photo).to_have_text("Crew online")
    expect(video).to_have_text("No crew online")
    save_screenshot(kiosk, "kiosk-presence")
    # When the last crew of st-1 leaves and one of st-2 arrives
    kiosk.evaluate(
        """() => socket().deliver({ type: "presence", topic: "presence", producers: true,
                                    crews: ["st-2"] })"""
    )
    expect(photo).to_have_text("No crew online")
    expect(video).to_have_attribute("data-presence", "online")
    # And an older announcement arriving late changes nothing
    kiosk.evaluate(
        """() => socket().deliver({ type: "presence", topic: "presence", producers: true,
                                    crews: [], server_time: serverNow() - 60000 })"""
    )
    expect(video).to_have_text("Crew online")


def test_the_crew_page_says_whether_a_producer_is_online(open_screen: Callable[..., Page]) -> None:
    crew = open_crew(open_screen, MARKERS)
    marker = crew.locator("#producer-presence")
    expect(marker).to_have_text("Producer online")
    crew.evaluate(
        """() => socket().deliver({ type: "presence", topic: "presence", producers: false,
                                    crews: ["st-1"] })"""
    )
    expect(marker).to_have_text("No producer online")
    # Offline, the marker is unknown rather than as it last was
    crew.evaluate("() => socket().drop()")
    expect(marker).to_have_attribute("data-presence", "unknown")


def test_a_redirected_crew_tablet_shows_the_other_station_view_only_and_can_go_back(
    open_screen: Callable[..., Page],
) -> None:
    # Given a crew tablet of st-1 that a producer redirected to st-2
    crew = open_screen("crew", token("crew", "st-1"), TABLET_SIZE, AT_VIDEO, query="&station=st-2")
    expect(crew.locator("#station-name")).to_have_text("Video booth")
    visiting = crew.locator("#visiting")
    expect(visiting).to_contain_text("Showing Video booth (a producer redirected this tablet)")
    expect(visiting).to_contain_text("access is for Photo booth")
    subscribed = crew.evaluate(
        """() => socket().sent.filter((f) => f.action === "subscribe")
                   .flatMap((f) => f.topics)"""
    )
    assert "station:st-2" in subscribed and "shots:st-2" in subscribed
    # Then it shows who is there and their shot list, but offers no write button
    expect(crew.locator("#now-body")).to_contain_text("Noor Haddad")
    expect(crew.locator("#shots")).to_contain_text("Walk and talk")
    expect(crew.locator("#crew-main button")).not_to_have_count(0)
    expect(crew.locator("#crew-main button:visible")).to_have_count(0)
    save_screenshot(crew, "crew-redirected")
    # When the crew taps "Back to Photo booth", the page goes back to its own station
    crew.evaluate("() => { window.went = []; MediaDay.navigate = (url) => went.push(url); }")
    crew.get_by_role("button", name="Back to Photo booth").click()
    went = crew.evaluate("() => went")
    assert len(went) == 1 and "station=" not in went[0]
