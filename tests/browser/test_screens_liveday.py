"""The kiosk and crew pages during the live day (issue #14), in Chromium over a scripted
socket: running late, the notices banner and its urgent takeover, overtime with the
athlete kept until done, and the crew's Arrived / Done taps with their honest outcome.

The real pages (client/web, under the pages' strict CSP) are served from a fake origin;
WebSocket is the scripted double (scripted_socket.js), which answers pings and
subscribes from `window.day`. The "server" runs two hours ahead of the screen, so every
time shown must come from the server's clock.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import BrowserContext, Page, Route, ViewportSize, expect

from infra.local.pages import content_security_policy
from tests.browser.scripted import SCRIPTED_SOCKET, WEB
from tests.browser.support import save_screenshot

pytestmark = pytest.mark.browser

ORIGIN = "http://screens.test"
KIOSK_SIZE: ViewportSize = {"width": 1920, "height": 1080}
TABLET_SIZE: ViewportSize = {"width": 1180, "height": 820}
KNOBS = "takeover_ms=800&heartbeat_ms=60000"

# The scripted server: two hours ahead of the screen; pings answered; every subscribe
# answered from `window.day` (items) at `window.rev`.
SERVER = """
window.serverSkewMs = 2 * 3600 * 1000;
window.serverNow = () => Date.now() + serverSkewMs;
window.day = []; window.rev = 10;
const deliverAt = ScriptedSocket.prototype.deliver;
ScriptedSocket.prototype.deliver = function (frame) {
  deliverAt.call(this, Object.assign({ server_time: serverNow() }, frame));
};
const topicsOf = (item) => ({
  day: ["roster"], station: ["roster"], talent: ["roster"],
  call: ["calls", "station:" + item.station_id],
  slot: ["schedule", "station:" + item.station_id], shot: ["shots:" + item.station_id],
  notice: ["notices"] }[item.type] || []);
const sendAt = ScriptedSocket.prototype.send;
ScriptedSocket.prototype.send = function (text) {
  sendAt.call(this, text);
  const f = JSON.parse(text);
  const socket = this;
  if (f.action === "ping") setTimeout(() => socket.deliver({ type: "pong", id: f.id }), 0);
  if (f.action !== "subscribe") return;
  setTimeout(() => {
    f.topics.forEach((topic, i) => socket.deliver({ type: "snapshot", id: f.id, topic, rev,
      page: i + 1, pages: f.topics.length,
      items: day.filter((item) => topicsOf(item).indexOf(topic) >= 0) }));
    socket.deliver({ type: "ack", id: f.id, action: "subscribe", rev, pages: f.topics.length,
                     topics: f.topics });
  }, 0);
};
window.held = (type, id) => mediadayClient.mirror.get(type, id);
window.push = (item, topic) => socket().deliver({ type: "event", topic: topic || topicsOf(item)[0],
  change: "updated", item_type: item.type, item_id: item.id, item, version: item.version,
  rev: (window.rev += 1) });
"""

# A day at st-1 relative to the server's now (minutes): a slot under way, one next.
DAY = """
const at = (m) => new Date(serverNow() + m * 60000).toISOString();
const slot = (id, talent, start, end, extra) => Object.assign({ type: "slot", id, version: 1,
  rev: 1, station_id: "st-1", talent_id: talent, starts_at: at(start), ends_at: at(end) },
  extra || {});
day = [
  { type: "day", id: "day", version: 1, rev: 1, name: "Media Day", venue: "Hall A",
    timezone: "UTC" },
  { type: "station", id: "st-1", version: 1, rev: 1, name: "Photo booth", kind: "photo" },
  { type: "station", id: "st-2", version: 1, rev: 1, name: "Video booth", kind: "video" },
  { type: "talent", id: "t-1", version: 1, rev: 1, name: "Maya Okafor", number: 7 },
  { type: "talent", id: "t-2", version: 1, rev: 1, name: "Noor Haddad", number: 11 },
  { type: "shot", id: "sh-1", version: 1, rev: 1, station_id: "st-1", talent_id: "t-1",
    position: 1, description: "Portrait, ball under arm", status: "pending" },
].concat(window.extraDay || []);
"""


def _token(role: str, station: str | None = None) -> str:
    claims: dict[str, Any] = {"role": role, "exp": int(time.time()) + 3600}
    if station:
        claims["st"] = station
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"mdl1.{payload}.sig"


def _serve(route: Route) -> None:
    """client/web as the stack serves it: `/kiosk` is kiosk.html, under the strict CSP."""
    relative = urlparse(route.request.url).path.strip("/")
    path = WEB / (relative if "." in relative else f"{relative}.html")
    if not path.is_file():
        route.fulfill(status=404, body="")
        return
    route.fulfill(
        status=200,
        body=path.read_bytes(),
        headers={
            "Content-Type": mimetypes.guess_type(path.name)[0] or "application/octet-stream",
            "Content-Security-Policy": content_security_policy("screens.test"),
        },
    )


@pytest.fixture
def open_screen(browser_context: BrowserContext) -> Iterator[Callable[..., Page]]:
    """Open a page of client/web over the scripted server with `day_js` as its day; any
    JavaScript error or console error (a CSP violation is one) fails the test."""
    pages: list[Page] = []
    errors: list[str] = []

    def open_page(
        name: str, token: str, size: ViewportSize, day_js: str = "", init: str = ""
    ) -> Page:
        page = browser_context.new_page()
        pages.append(page)
        page.set_viewport_size(size)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.route(f"{ORIGIN}/**", _serve)
        page.add_init_script(SCRIPTED_SOCKET.read_text(encoding="utf-8") + SERVER + init)
        page.goto(f"{ORIGIN}/{name}?token={token}&{KNOBS}")
        page.evaluate(f"() => {{ {day_js} {DAY} socket().open(); }}")
        expect(page.locator("#conn")).to_have_attribute("data-state", "live")
        return page

    yield open_page
    for page in pages:
        page.close()
    assert not errors, f"errors on the pages: {errors}"


def _kiosk(open_screen: Callable[..., Page], day_js: str = "") -> Page:
    return open_screen("kiosk", _token("kiosk"), KIOSK_SIZE, day_js)


def _crew(open_screen: Callable[..., Page], day_js: str = "") -> Page:
    return open_screen("crew", _token("crew", "st-1"), TABLET_SIZE, day_js)


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
    kiosk = _kiosk(open_screen, SHIFTED)
    crew = _crew(open_screen, SHIFTED)
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
    kiosk = _kiosk(open_screen, expires + NOTICES)
    crew = _crew(open_screen, expires + NOTICES)
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
    kiosk = _kiosk(open_screen)
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


# The clock keeps running (U+2212 MINUS, as the pages write it): -2:00, -2:01, ...
OVER_TWO_MINUTES = re.compile("^\u22122:[0-5]\\d$")
OVERRUN = """
window.extraDay = [
  { type: "slot", id: "a", version: 2, rev: 2, station_id: "st-1", talent_id: "t-1",
    starts_at: new Date(serverNow() - 15 * 60000).toISOString(),
    ends_at: new Date(serverNow() - 2 * 60000).toISOString(),
    actual_start: new Date(serverNow() - 14 * 60000).toISOString() },
  { type: "slot", id: "b", version: 1, rev: 3, station_id: "st-1", talent_id: "t-2",
    starts_at: new Date(serverNow() - 1 * 60000).toISOString(),
    ends_at: new Date(serverNow() + 14 * 60000).toISOString() },
];
"""


def test_past_the_planned_end_the_athlete_stays_with_an_overtime_clock_until_done(
    open_screen: Callable[..., Page],
) -> None:
    # Given Maya arrived at st-1 and is still there 2 minutes past her planned end
    crew = _crew(open_screen, OVERRUN)
    kiosk = _kiosk(open_screen, OVERRUN)
    # Then the crew page keeps her and her shot list, with a negative clock in warning colours
    expect(crew.locator("#now-body .talent")).to_have_text("Maya Okafor")
    expect(crew.locator("#shots li[data-shot-id='sh-1']")).to_be_visible()
    overtime = crew.locator("#now-body .countdown.is-overtime .num")
    expect(overtime).to_have_text(OVER_TWO_MINUTES)
    expect(crew.locator("#now-card")).to_have_class("card now-card is-overtime")
    # and the next athlete waits behind her, running late by the overrun
    expect(crew.locator("#now-body .late")).to_have_text("Running 1 min late")
    expect(crew.locator("#now-body .next-line")).to_contain_text("Noor Haddad — waiting, due at")
    # And the kiosk shows the overtime too
    now_card = kiosk.locator('.station[data-station-id="st-1"] .slot-now')
    expect(now_card).to_have_class("slot-now is-overtime")
    expect(now_card.locator(".talent")).to_have_text("Maya Okafor")
    expect(now_card.locator(".countdown .num")).to_have_text(OVER_TWO_MINUTES)
    next_card = kiosk.locator('.station[data-station-id="st-1"] .slot-next')
    expect(next_card.locator(".countdown.is-waiting")).to_contain_text("waiting · due at")
    save_screenshot(crew, "crew-overtime")

    # When the crew taps Done
    crew.get_by_role("button", name="Done: Maya Okafor").click()
    sent = crew.evaluate("() => socket().last('slot.done')")
    assert {k: sent[k] for k in ("action", "slot_id", "version")} == {
        "action": "slot.done",
        "slot_id": "a",
        "version": 2,
    }
    outcome = crew.locator("#now-body .mark-outcome")
    # Then it shows as sending until the server answers
    expect(outcome).to_have_attribute("data-state", "pending")
    expect(crew.get_by_role("button", name="Done: Maya Okafor")).to_be_disabled()
    crew.evaluate(
        """() => { const f = socket().last("slot.done");
           const item = Object.assign({}, held("slot", "a"), { version: 3, rev: 20,
             actual_end: new Date(serverNow()).toISOString() });
           socket().deliver({ type: "ack", id: f.id, action: "slot.done", item, version: 3,
                              rev: 20 }); }"""
    )
    # And once applied, the next athlete is in front, with their own clock
    expect(outcome).to_have_attribute("data-state", "applied")
    expect(outcome).to_contain_text("Done ✓ Maya Okafor")
    expect(crew.locator("#now-body .talent")).to_have_text("Noor Haddad")
    expect(crew.locator("#now-body .countdown.is-overtime")).to_have_count(0)
    expect(crew.locator("#now-card")).not_to_have_class("card now-card is-overtime")


CURRENT = """
window.extraDay = [
  { type: "slot", id: "a", version: 1, rev: 2, station_id: "st-1", talent_id: "t-1",
    starts_at: new Date(serverNow() - 2 * 60000).toISOString(),
    ends_at: new Date(serverNow() + 13 * 60000).toISOString() },
];
"""


def test_arrived_then_done_send_their_action_and_a_refusal_is_shown_as_refused(
    open_screen: Callable[..., Page],
) -> None:
    crew = _crew(open_screen, CURRENT)
    outcome = crew.locator("#now-body .mark-outcome")
    # When the crew taps Arrived for the athlete in front of them
    crew.get_by_role("button", name="Arrived: Maya Okafor").click()
    sent = crew.evaluate("() => socket().last('slot.arrive')")
    assert (sent["slot_id"], sent["version"]) == ("a", 1)
    expect(outcome).to_have_attribute("data-state", "pending")
    crew.evaluate(
        """() => { const f = socket().last("slot.arrive");
           const item = Object.assign({}, held("slot", "a"), { version: 2, rev: 20,
             actual_start: new Date(serverNow()).toISOString() });
           socket().deliver({ type: "ack", id: f.id, action: "slot.arrive", item, version: 2,
                              rev: 20 }); }"""
    )
    # Then it is applied: the button becomes Done
    expect(outcome).to_have_attribute("data-state", "applied")
    expect(outcome).to_contain_text("Arrived ✓ Maya Okafor")
    expect(crew.locator("#now-body .arrived-at")).to_be_visible()
    assert "null" not in crew.locator("#now-body").inner_text()
    done = crew.get_by_role("button", name="Done: Maya Okafor")
    expect(done).to_be_enabled()

    # When Done is refused (say a producer corrected the slot meanwhile)
    done.click()
    crew.evaluate(
        """() => { const f = socket().last("slot.done");
           socket().deliver({ type: "error", id: f.id, code: "invalid_state",
                              message: "not arrived" }); }"""
    )
    # Then the crew is told it was not recorded, and the athlete stays in front
    expect(outcome).to_have_attribute("data-state", "refused")
    expect(outcome).to_contain_text("Done not recorded for Maya Okafor")
    expect(crew.locator("#now-body .talent")).to_have_text("Maya Okafor")
    expect(done).to_be_enabled()
    assert crew.evaluate("() => held('slot', 'a').actual_end") is None
    save_screenshot(crew, "crew-arrived-refused")


PHONE_SIZE: ViewportSize = {"width": 390, "height": 844}
# What the phone can do, recorded: vibration, and a wake lock (the test origin is not a
# secure context, so Chromium would not offer the real one).
DEVICE = """
window.vibrated = [];
Object.defineProperty(Navigator.prototype, "vibrate", { configurable: true,
  value: (pattern) => { vibrated.push(pattern); return true; } });
window.wakeRequests = [];
Object.defineProperty(Navigator.prototype, "wakeLock", { configurable: true, value: {
  request: (type) => { wakeRequests.push(type);
    return Promise.resolve({ addEventListener: () => {} }); } } });
"""
LONG = "Interview-for-the-season-preview-package-" * 3  # one unbroken 123-character word
PHONE_DAY = (
    CURRENT.replace("];", "")
    + f"""
  {{ type: "shot", id: "sh-2", version: 1, rev: 3, station_id: "st-1", talent_id: "t-1",
    position: 2, description: "{LONG}", status: "pending" }},
];
"""
)


def test_on_a_phone_a_new_call_alerts_is_pinned_on_top_and_nothing_scrolls_sideways(
    open_screen: Callable[..., Page],
) -> None:
    # Given a crew phone at 390x844 with a long unbroken shot description
    crew = open_screen("crew", _token("crew", "st-1"), PHONE_SIZE, PHONE_DAY, DEVICE)
    expect(crew.locator("#shots li[data-shot-id='sh-2']")).to_be_visible()
    # Then it keeps the screen awake, and nothing is wider than the screen
    assert crew.evaluate("() => wakeRequests") == ["screen"]
    assert crew.evaluate("() => document.documentElement.scrollWidth") <= 390
    # When a call for this station is pushed
    crew.evaluate(
        """() => push({ type: "call", id: "call-9", version: 1, station_id: "st-1",
                        talent_id: "t-2", state: "pending", note: "Now please" })"""
    )
    # Then the calls card flashes, the phone vibrates, and the call sits above everything
    calls = crew.locator("#calls-card")
    expect(calls).to_have_class(re.compile(r"\bis-alerting\b"))
    assert crew.evaluate("() => vibrated") == [[200, 100, 200]]
    assert crew.evaluate("() => mediadayAlert.flash") is True
    calls_box = calls.bounding_box()
    now_box = crew.locator("#now-card").bounding_box()
    assert calls_box is not None and now_box is not None
    assert calls_box["y"] < now_box["y"]
    expect(crew.locator('#calls li[data-call-id="call-9"]')).to_contain_text("Noor Haddad")
    assert crew.evaluate("() => document.documentElement.scrollWidth") <= 390
    save_screenshot(crew, "crew-phone-call")
    # And the flash ends by itself
    expect(calls).not_to_have_class(re.compile(r"\bis-alerting\b"), timeout=5_000)
