"""What the view tests share: the screens' sizes and knobs, opening a page on the stack,
and reading what a page shows."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import BrowserContext, Page, ViewportSize, expect

from tests.browser.support import ThreadedClient

KIOSK_SIZE: ViewportSize = {"width": 1920, "height": 1080}  # a TV
TABLET_SIZE: ViewportSize = {"width": 1180, "height": 820}  # a tablet in landscape
STATIONS = ("st-1", "st-2", "st-3", "st-4")
# Tests: quick reconnects and a short staleness bound.
KNOBS = "backoff_max_ms=1500&stale_ms=1500"
COUNTDOWN = re.compile(r"^\d+:\d\d$")
# The shared kiosk is a TV whose own clock runs two hours slow: what it shows must follow
# the server's clock (estimated from the pongs), not the screen's.
SLOW_TV_MS = 2 * 3600 * 1000
SLOW_TV = f"(() => {{ const now = Date.now; Date.now = () => now.call(Date) - {SLOW_TV_MS}; }})()"


def open_page(
    context: BrowserContext, url: str, size: ViewportSize, init_script: str | None = None
) -> tuple[Page, list[str]]:
    page = context.new_page()
    page.set_viewport_size(size)
    if init_script is not None:
        page.add_init_script(init_script)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=10_000)
    return page, errors


def station_card(page: Page, station: str) -> Any:
    return page.locator(f'.station[data-station-id="{station}"]')


def name_of(producer: ThreadedClient, item_type: str, item_id: str) -> str:
    return str(producer.item(item_type, item_id).name)


def countdown_seconds(countdown: str) -> int:
    """A countdown as the views show it ("4:05" or "1:02:03"), in seconds."""
    seconds = 0
    for part in countdown.split(":"):
        seconds = seconds * 60 + int(part)
    return seconds
