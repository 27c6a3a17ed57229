"""The kiosk and crew pages over a scripted socket, for the live-day screen tests
(test_screens_liveday.py, test_screens_crew.py).

The real pages (client/web, under the pages' strict CSP) are served from a fake origin;
WebSocket is the scripted double (scripted_socket.js), which answers pings and
subscribes from `window.day`. The "server" runs two hours ahead of the screen, so every
time shown must come from the server's clock.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

from playwright.sync_api import BrowserContext, Page, Route, ViewportSize, expect

from infra.local.pages import content_security_policy
from tests.browser.scripted import SCRIPTED_SOCKET, WEB

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
  notice: ["notices"], presence: ["presence"] }[item.type] || []);
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


def token(role: str, station: str | None = None) -> str:
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


@contextmanager
def screens_on(browser_context: BrowserContext) -> Iterator[Callable[..., Page]]:
    """Open a page of client/web over the scripted server with `day_js` as its day; any
    JavaScript error or console error (a CSP violation is one) fails the test."""
    pages: list[Page] = []
    errors: list[str] = []

    def open_page(
        name: str, token: str, size: ViewportSize, day_js: str = "", init: str = "", query: str = ""
    ) -> Page:
        page = browser_context.new_page()
        pages.append(page)
        page.set_viewport_size(size)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.route(f"{ORIGIN}/**", _serve)
        page.add_init_script(SCRIPTED_SOCKET.read_text(encoding="utf-8") + SERVER + init)
        page.goto(f"{ORIGIN}/{name}?token={token}&{KNOBS}{query}")
        page.evaluate(f"() => {{ {day_js} {DAY} socket().open(); }}")
        expect(page.locator("#conn")).to_have_attribute("data-state", "live")
        return page

    yield open_page
    for page in pages:
        page.close()
    assert not errors, f"errors on the pages: {errors}"


def open_kiosk(open_screen: Callable[..., Page], day_js: str = "") -> Page:
    return open_screen("kiosk", token("kiosk"), KIOSK_SIZE, day_js)


def open_crew(open_screen: Callable[..., Page], day_js: str = "") -> Page:
    return open_screen("crew", token("crew", "st-1"), TABLET_SIZE, day_js)


# A crew at st-1 with Maya Okafor in front of it since two minutes (slot `a`).
CURRENT = """
window.extraDay = [
  { type: "slot", id: "a", version: 1, rev: 2, station_id: "st-1", talent_id: "t-1",
    starts_at: new Date(serverNow() - 2 * 60000).toISOString(),
    ends_at: new Date(serverNow() + 13 * 60000).toISOString() },
];
"""

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
