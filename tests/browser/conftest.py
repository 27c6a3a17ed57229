"""One headless Debian Chromium for every browser test, driven by Playwright.

Playwright's own browser download is not used: `make test` installs Debian's `chromium`
(apt-get) when /usr/bin/chromium is missing, and the tests point Playwright at it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright

from infra.local.runner import LocalStack
from tests.browser.console_pages import CONSOLE_TOPICS, open_console
from tests.browser.screens import screens_on
from tests.browser.scripted import load_client
from tests.browser.support import ThreadedClient

CHROMIUM = Path(os.environ.get("MEDIADAY_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="package")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Chromium with a fresh profile; every test opens its own pages in it.

    Package scope, not session: Playwright's sync API keeps an event loop running in this
    thread while it is alive, which would break the asyncio tests collected after these.
    """
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: `make test` installs Debian's chromium "
            "(or set MEDIADAY_CHROMIUM to a Chromium binary)"
        )
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Iterator[Page]:
    """A fresh tab; JavaScript errors on the page fail the test."""
    tab = browser_context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield tab
    finally:
        tab.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def open_screen(browser_context: BrowserContext) -> Iterator[Callable[..., Page]]:
    """Kiosk and crew pages over the scripted server (tests/browser/screens.py); a
    JavaScript or console error on any fails the test."""
    with screens_on(browser_context) as open_page:
        yield open_page


@pytest.fixture
def js(page: Page) -> Page:
    """A tab with the client's scripts over a scripted WebSocket (tests/browser/scripted.py)."""
    return load_client(page)


@pytest.fixture(scope="module")
def producer(local_stack: LocalStack) -> Iterator[ThreadedClient]:
    """A Python producer client on the module's stack: sets things up, checks the server."""
    client = ThreadedClient(local_stack.ws_url, local_stack.token("producer"), CONSOLE_TOPICS)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def console(browser_context: BrowserContext, local_stack: LocalStack) -> Iterator[Page]:
    """A live producer console at 1280x800; JavaScript errors on it fail the test."""
    page, errors = open_console(browser_context, local_stack)
    yield page
    page.close()
    assert not errors, f"JavaScript errors on the console: {errors}"
