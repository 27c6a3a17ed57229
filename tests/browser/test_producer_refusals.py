"""The console's notices and devices over a scripted server (tests/browser/screens.py): a
device list that follows `device` frames, and refusals from the server shown in plain
words beside the control that caused them, with nothing else changed. Fast: no stack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.console_pages import LAPTOP
from tests.browser.screens import screens_on, token
from tests.browser.scripted import WEB, page_scripts

pytestmark = pytest.mark.browser

# The scripted server also holds the day's devices, answers the `devices` subscribe from
# them, and refuses the actions named in `refuse` (action -> {code, message}).
DEVICES = """
window.devicesNow = [
  { connection_id: "c-cam", role: "crew", station: "st-1", subject: "cam-a",
    label: "Camera A tablet", connected_at: Date.now(), last_active: Date.now(),
    token_id: "j-cam", user_agent: "Mozilla/5.0 Chrome/131.0" },
];
window.refuse = {};
const answerAt = ScriptedSocket.prototype.send;
ScriptedSocket.prototype.send = function (text) {
  const f = JSON.parse(text);
  const socket = this;
  if (f.action === "subscribe" && f.topics[0] === "devices") {
    this.sent.push(f);
    setTimeout(() => {
      socket.deliver({ type: "snapshot", id: f.id, topic: "devices", rev, page: 1, pages: 1,
                       items: devicesNow });
      socket.deliver({ type: "ack", id: f.id, action: "subscribe", rev, pages: 1,
                       topics: ["devices"] });
    }, 0);
    return;
  }
  answerAt.call(this, text);
  const no = refuse[f.action];
  if (no) setTimeout(() => socket.deliver(Object.assign({ type: "error", id: f.id }, no)), 0);
};
window.deviceFrame = (change, device) =>
  socket().deliver({ type: "device", topic: "devices", change, device });
"""
NOTICE = """
window.extraDay = [{ type: "notice", id: "n-1", version: 3, rev: 9, level: "info",
  stations: [], text: "Lunch in 10 minutes", posted_by: "producer" }];
"""


@pytest.fixture
def console(browser_context: BrowserContext) -> Iterator[Page]:
    with screens_on(browser_context) as open_page:
        yield _open(open_page)


def _open(open_page: Callable[..., Page]) -> Page:
    return open_page("producer", token("producer"), LAPTOP, NOTICE, init=DEVICES)


# ---------------------------------------------------------------------------------------
def test_the_console_page_loads_the_screens_banner_before_its_notices() -> None:
    scripts = page_scripts("producer.html")
    assert scripts.index("screens.js") < scripts.index("producer-notices.js")
    assert scripts.index("producer-revoke.js") < scripts.index("producer-devices.js")
    assert (WEB / "producer-ops.css").is_file()


def test_device_rows_follow_connects_labels_and_disconnects(console: Page) -> None:
    cam = console.locator('.dev-row[data-connection-id="c-cam"]')
    expect(cam).to_contain_text("Camera A tablet")
    expect(console.locator("#devices-summary")).to_have_text("1 crew, 0 kiosks, 0 producers online")
    # A kiosk connects, the tablet is relabelled elsewhere, then the tablet disconnects
    console.evaluate(
        """() => {
          deviceFrame("connected", { connection_id: "c-tv", role: "kiosk", subject: "tv-1",
                                     connected_at: Date.now() });
          deviceFrame("updated", Object.assign({}, devicesNow[0], { label: "Cam A (spare)" }));
        }"""
    )
    expect(console.locator('.dev-group[data-group="kiosk"] .dev-row')).to_contain_text("tv-1")
    expect(cam).to_contain_text("Cam A (spare)")
    console.evaluate("""() => deviceFrame("disconnected", devicesNow[0])""")
    expect(cam).to_have_attribute("data-state", "disconnected")
    expect(cam.locator("button")).to_have_count(0)  # nothing to act on any more
    expect(console.locator('.dev-group[data-group="st-st-1"]')).to_contain_text("0 online")


def test_a_refused_device_action_says_why_under_the_device(console: Page) -> None:
    console.evaluate(
        """() => { refuse["device.identify"] = { code: "not_found",
                                                 message: "device c-cam is not connected" }; }"""
    )
    cam = console.locator('.dev-row[data-connection-id="c-cam"]')
    cam.locator('button:text-is("Identify")').click()
    expect(cam.locator(".dev-outcome")).to_have_text(
        "Not done: That device is no longer connected."
    )
    expect(cam).to_have_attribute("data-state", "online")


def test_a_refused_revoke_keeps_the_dialog_open_and_says_why(console: Page) -> None:
    console.evaluate(
        """() => { refuse.revoke = { code: "rate_limited", message: "slow down" }; }"""
    )
    cam = console.locator('.dev-row[data-connection-id="c-cam"]')
    cam.locator('button:text-is("Revoke…")').click()
    console.check("#revoke-by-subject")
    console.click("#revoke-confirm")
    expect(console.locator("#revoke-error")).to_contain_text("Not revoked: Too many changes")
    expect(console.locator("#revoke-dialog")).to_be_visible()
    sent = console.evaluate("""() => socket().last("revoke")""")
    assert sent["subject"] == "cam-a" and "token_id" not in sent
    console.click("#revoke-cancel")
    expect(cam).to_have_attribute("data-state", "online")


def test_a_refused_clear_says_why_beside_the_notice_and_keeps_it(console: Page) -> None:
    console.evaluate("""() => { refuse["notice.clear"] = { code: "forbidden", message: "no" }; }""")
    row = console.locator('#nt-list li[data-notice-id="n-1"]')
    row.locator('button:text-is("Clear")').click()
    expect(row).to_contain_text("Not cleared: This screen is not allowed to make that change.")
    sent = console.evaluate("""() => socket().last("notice.clear")""")
    assert sent == {**sent, "notice_id": "n-1", "version": 3}
    expect(row).to_be_visible()
