"""Opening the producer console (/producer) on the local stack, for the console's tests.

The `producer` and `console` fixtures (tests/browser/conftest.py) are built on this; tests
that need a second tab or another size call `open_console` themselves.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import BrowserContext, Page, ViewportSize, expect

from infra.local.runner import LocalStack
from tests.browser.support import ThreadedClient

LAPTOP: ViewportSize = {"width": 1280, "height": 800}
TABLET: ViewportSize = {"width": 1024, "height": 768}
# Quick reconnects and a short stale limit, so a test never waits on the defaults
KNOBS = "backoff_max_ms=1500&stale_ms=1500"
CONSOLE_TOPICS = ["roster", "schedule", "calls", "notices"]


def open_console(
    context: BrowserContext, stack: LocalStack, query: str = "", size: ViewportSize = LAPTOP
) -> tuple[Page, list[str]]:
    """A live console tab and the list its JavaScript errors (CSP violations too) land in."""
    page = context.new_page()
    page.set_viewport_size(size)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # A CSP violation (an inline style or script) shows as a console error
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    token = stack.token("producer")
    page.goto(f"{stack.http_url}/producer?token={token}&{KNOBS}{query}")
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=10_000)
    expect(page.locator("#console")).to_have_attribute("aria-busy", "false")
    return page, errors


def first_slot(producer: ThreadedClient, station: str) -> Any:
    return producer.mirror(lambda mirror: mirror.slots(station))[0]


def open_screen(
    context: BrowserContext,
    stack: LocalStack,
    role: str,
    station: str | None = None,
    query: str = "",
    subject: str | None = None,
) -> tuple[Page, list[str]]:
    """A live kiosk or crew page on the stack, and the list its JavaScript errors land in."""
    page = context.new_page()
    page.set_viewport_size(TABLET)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    token = stack.token(role, station, subject=subject)
    page.goto(f"{stack.http_url}/{role}?token={token}&{KNOBS}{query}")
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=10_000)
    return page, errors
