"""The kiosk as a TV (issue #16 §4), in Chromium over a scripted socket
(tests/browser/screens.py): sizes readable from 5 m at 1080p and 4K, the whole screen
used, lists that page through instead of being cut off, one station's door TV, and the
full-screen takeover of a pushed call (not of a snapshot or a reconnect's catch-up).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests.browser.screens import KIOSK_SIZE, token
from tests.browser.support import save_screenshot

pytestmark = pytest.mark.browser

UHD_SIZE: ViewportSize = {"width": 3840, "height": 2160}
FAST_PAGES = "&page_ms=700"


# Four stations under way, Sam O'Neill (#32) next everywhere; `window.callCount` calls
# already active in the snapshot. The scripted server also answers a reconnect's sync.
TV_DAY = """
window.extraDay = [
  { type: "station", id: "st-3", version: 1, rev: 2, name: "Podcast corner", kind: "audio" },
  { type: "station", id: "st-4", version: 1, rev: 2, name: "Broadcast desk", kind: "video" },
  { type: "talent", id: "t-3", version: 1, rev: 2, name: "Ilse Varga", number: 3 },
  { type: "talent", id: "t-4", version: 1, rev: 2, name: "Tomás Reyes", number: 4 },
  { type: "talent", id: "t-32", version: 1, rev: 2, name: "Sam O'Neill", number: 32 },
].concat(["st-1", "st-2", "st-3", "st-4"].flatMap((st, i) => [
  { type: "slot", id: "now-" + st, version: 1, rev: 3, station_id: st, talent_id: "t-" + (i + 1),
    starts_at: new Date(serverNow() - 5 * 60000).toISOString(),
    ends_at: new Date(serverNow() + (10 + i) * 60000).toISOString() },
  { type: "slot", id: "next-" + st, version: 1, rev: 3, station_id: st, talent_id: "t-32",
    starts_at: new Date(serverNow() + (20 + i * 15) * 60000).toISOString(),
    ends_at: new Date(serverNow() + (30 + i * 15) * 60000).toISOString() },
])).concat(Array.from({ length: window.callCount || 0 }, (_, i) => ({
  type: "call", id: "c-" + (i + 1), version: 1, rev: 4, station_id: "st-" + (1 + (i % 4)),
  talent_id: "t-" + (1 + (i % 2)), state: "pending", note: "Call number " + (i + 1),
  pushed_at: new Date(serverNow() - 120000).toISOString() })));
"""
SYNC_ANSWERED = """
const sendTv = ScriptedSocket.prototype.send;
ScriptedSocket.prototype.send = function (text) {
  sendTv.call(this, text);
  const f = JSON.parse(text);
  const socket = this;
  if (f.action === "sync") setTimeout(() => socket.deliver({ type: "ack", id: f.id,
    action: "sync", rev, pages: 0 }), 0);
};
"""
SMALLEST_BOARD_TEXT = """() => Math.min(...Array.from(document.querySelectorAll("#board *"))
  .filter((el) => el.offsetParent && Array.from(el.childNodes).some(
    (n) => n.nodeType === 3 && n.textContent.trim()))
  .map((el) => parseFloat(getComputedStyle(el).fontSize)))"""


def _tv(
    open_screen: Callable[..., Page], size: ViewportSize, calls: int = 0, query: str = ""
) -> Page:
    day = f"window.callCount = {calls};" + TV_DAY
    page = open_screen("kiosk", token("kiosk"), size, day, SYNC_ANSWERED, query)
    expect(page.locator(".station")).to_have_count(1 if "station=" in query else 4)
    return page


def _font_px(page: Page, selector: str) -> float:
    return float(
        page.locator(selector).first.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)")
    )


# ---------------------------------------------------------------------------------------
def test_names_and_countdowns_are_sized_for_5_m_at_1080p_and_scale_to_4k(
    open_screen: Callable[..., Page],
) -> None:
    # Given the kiosk on a 1080p TV with four stations under way and two calls
    kiosk = _tv(open_screen, KIOSK_SIZE, calls=2)
    # Then the athlete, the countdown, the next athlete and the calls have their minimums
    sizes_1080 = {
        selector: _font_px(kiosk, selector)
        for selector in (
            ".slot-now .talent",
            ".slot-now .countdown .num",
            ".slot-next .talent",
            ".call .who",
        )
    }
    assert sizes_1080 == {
        ".slot-now .talent": 66,
        ".slot-now .countdown .num": 60,
        ".slot-next .talent": 42,
        ".call .who": 42,
    }
    assert kiosk.evaluate(SMALLEST_BOARD_TEXT) >= 24
    # And the board uses the whole screen, without a scroll
    board = kiosk.locator("#board").bounding_box()
    assert board is not None and board["y"] + board["height"] >= KIOSK_SIZE["height"] - 1
    assert kiosk.evaluate("() => document.documentElement.scrollHeight") <= KIOSK_SIZE["height"]
    save_screenshot(kiosk, "kiosk-tv-1080p")

    # When the same board is on a 4K TV, every size doubles (the same on the same panel)
    kiosk.set_viewport_size(UHD_SIZE)
    for selector, px in sizes_1080.items():
        assert _font_px(kiosk, selector) == 2 * px, selector
    assert kiosk.evaluate(SMALLEST_BOARD_TEXT) >= 48
    save_screenshot(kiosk, "kiosk-tv-4k")


def test_ten_calls_page_through_and_the_tenth_is_shown_whole_within_a_cycle(
    open_screen: Callable[..., Page],
) -> None:
    # Given ten active calls, more than the calls panel holds at 1080p
    kiosk = _tv(open_screen, KIOSK_SIZE, calls=10, query=FAST_PAGES)
    calls = kiosk.locator("#calls")
    pages = int(calls.get_attribute("data-pages") or "0")
    assert pages >= 2
    expect(kiosk.locator("#calls-pages")).to_have_text(f"1/{pages}")
    # Then every call, the tenth too, is shown whole in its turn, within one cycle of pages
    started = time.monotonic()
    seen: set[str] = set()
    while len(seen) < 10 and time.monotonic() - started < pages * 0.7 + 3:
        seen |= set(
            calls.evaluate(
                """(list) => { const room = list.getBoundingClientRect();
                  return Array.from(list.children).filter((li) => {
                    const box = li.getBoundingClientRect();
                    return box.height > 0 && box.top >= room.top && box.bottom <= room.bottom + 1;
                  }).map((li) => li.dataset.callId); }"""
            )
        )
        kiosk.wait_for_timeout(100)
    assert seen == {f"c-{n}" for n in range(1, 11)}
    expect(kiosk.locator("#calls-pages")).to_have_text(f"{pages}/{pages}", timeout=pages * 1000)
    assert kiosk.evaluate("() => document.documentElement.scrollHeight") <= KIOSK_SIZE["height"]
    save_screenshot(kiosk, "kiosk-tv-10-calls")


def test_a_pushed_call_takes_over_the_screen_but_a_snapshot_or_a_catch_up_does_not(
    open_screen: Callable[..., Page],
) -> None:
    # Given a kiosk whose snapshot already holds an active call: no takeover for it
    kiosk = _tv(open_screen, KIOSK_SIZE, calls=1)
    takeover = kiosk.locator("#takeover")
    kiosk.wait_for_timeout(300)
    expect(takeover).to_be_hidden()
    # When the producer pushes a call for Sam O'Neill to the video booth
    shown = kiosk.evaluate(
        """() => { push({ type: "call", id: "c-new", version: 1, station_id: "st-2",
             talent_id: "t-32", state: "pending",
             pushed_at: new Date(serverNow()).toISOString() });
           const el = document.getElementById("takeover"), box = el.getBoundingClientRect();
           return { hidden: el.hidden, kind: el.dataset.kind, text: el.innerText,
                    box: [box.x, box.y, box.width, box.height] }; }"""
    )
    # Then it takes the whole screen at once, then leaves it (takeover_ms=800)
    assert shown == {
        "hidden": False,
        "kind": "call",
        "text": "CALL\n\n#32 Sam O'Neill → Video booth",
        "box": [0, 0, 1920, 1080],
    }
    save_screenshot(kiosk, "kiosk-tv-call-takeover")
    expect(takeover).to_be_hidden(timeout=3_000)
    # When an urgent notice comes during a call's takeover, the notice takes the screen
    kinds = kiosk.evaluate(
        """() => { const el = document.getElementById("takeover"), kinds = [];
           push({ type: "call", id: "c-two", version: 1, station_id: "st-1", talent_id: "t-2",
             state: "pending", pushed_at: new Date(serverNow()).toISOString() });
           kinds.push(el.dataset.kind + ":" + el.innerText);
           push({ type: "notice", id: "n-1", version: 1, level: "urgent", stations: [],
             text: "Fire drill at 11:00" });
           kinds.push(el.dataset.kind + ":" + el.innerText);
           return kinds; }"""
    )
    assert kinds == [
        "call:CALL\n\n#11 Noor Haddad → Photo booth",
        "notice:URGENT\n\nFire drill at 11:00",
    ]
    expect(takeover).to_be_hidden(timeout=3_000)
    # When the link drops and the catch-up brings a call pushed meanwhile: no takeover
    kiosk.evaluate(
        """() => { day.push({ type: "call", id: "c-missed", version: 1, rev: 30,
             station_id: "st-3", talent_id: "t-1", state: "pending",
             pushed_at: new Date(serverNow()).toISOString() }); socket().drop(); }"""
    )
    kiosk.wait_for_function("() => sockets.length === 2")
    kiosk.evaluate("() => socket().open()")
    expect(kiosk.locator('#calls li[data-call-id="c-missed"]')).to_have_count(1)
    expect(kiosk.locator("#conn")).to_have_attribute("data-state", "live")
    kiosk.wait_for_timeout(300)
    expect(takeover).to_be_hidden()


def test_a_door_tv_shows_its_station_alone_and_larger(open_screen: Callable[..., Page]) -> None:
    # Given the kiosk at the photo booth's door (`?station=st-1`, as device.redirect sets)
    kiosk = _tv(open_screen, KIOSK_SIZE, calls=4, query="&station=st-1")
    # Then it shows that station only, its athlete at 120px and countdown at 108px
    expect(kiosk.locator(".station h3")).to_have_text("Photo booth")
    assert _font_px(kiosk, ".slot-now .talent") == 120
    assert _font_px(kiosk, ".slot-now .countdown .num") == 108
    # And only calls to this station or for its athlete (c-1 to st-1, c-3 for Maya)
    ids = kiosk.locator("#calls li[data-call-id]").evaluate_all(
        "(rows) => rows.map((r) => r.dataset.callId).sort()"
    )
    assert ids == ["c-1", "c-3"]
    assert kiosk.evaluate("() => document.documentElement.scrollHeight") <= KIOSK_SIZE["height"]
    save_screenshot(kiosk, "kiosk-tv-station")
