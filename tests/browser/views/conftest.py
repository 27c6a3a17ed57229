"""The kiosk and crew pages in Chromium against the real local stack (`mediaday serve`).

One stack with the demo day serves the whole folder (a package-scoped `local_stack`), with
someone in front of every crew (`day_under_way`) and one kiosk and one crew tablet open
throughout. Its modules run in name order: the screens first, then the page hardening,
then the reconnects, whose last test stops and starts the stack. Producer changes go
through the Python client.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from operator import methodcaller
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from infra.local.runner import LocalStack
from tests.browser.support import ThreadedClient, iso
from tests.browser.views.pages import (
    KIOSK_SIZE,
    KNOBS,
    SLOW_TV,
    STATIONS,
    TABLET_SIZE,
    open_page,
)
from tests.support.stack import running_stack


@pytest.fixture(scope="package")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """One stack for every module here: they share its day and its open pages."""
    yield from running_stack(tmp_path_factory)


@pytest.fixture(scope="package")
def producer(local_stack: LocalStack) -> Iterator[ThreadedClient]:
    topics = ["roster", "schedule", "calls", *(f"shots:{s}" for s in STATIONS)]
    client = ThreadedClient(local_stack.ws_url, local_stack.token("producer"), topics)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="package")
def day_under_way(producer: ThreadedClient) -> dict[str, Any]:
    """Someone in front of every crew for the whole folder, whatever the time of day: the
    demo's slots last 13 minutes of each quarter hour, so the producer stretches each
    station's latest-begun slot (or its first) from before now to well after the tests."""
    now = datetime.now(UTC)
    current: dict[str, Any] = {}
    for station in STATIONS:
        slots = producer.mirror(methodcaller("slots", station))
        begun = [index for index, slot in enumerate(slots) if slot.starts_at <= now]
        index = begun[-1] if begun else 0
        slot = slots[index]
        ack = producer.write(
            "slot.update",
            slot_id=slot.id,
            version=slot.version,
            changes={
                "starts_at": iso(min(slot.starts_at, now - timedelta(minutes=5))),
                "ends_at": iso(max(slot.ends_at, now + timedelta(minutes=30))),
            },
            allow_overlap=True,  # the stretched slot overlaps its athlete's next booking
        )
        assert ack.item is not None
        current[station] = {
            "now": producer.item("slot", str(ack.item["id"])),
            "next": slots[index + 1],
        }
    return current


@pytest.fixture(scope="package")
def kiosk(
    browser_context: BrowserContext, local_stack: LocalStack, day_under_way: dict[str, Any]
) -> Iterator[Page]:
    url = f"{local_stack.http_url}/kiosk?token={local_stack.token('kiosk')}&{KNOBS}"
    page, errors = open_page(browser_context, url, KIOSK_SIZE, init_script=SLOW_TV)
    yield page
    page.close()
    assert not errors, f"JavaScript errors on the kiosk: {errors}"


@pytest.fixture(scope="package")
def crew(
    browser_context: BrowserContext, local_stack: LocalStack, day_under_way: dict[str, Any]
) -> Iterator[Page]:
    url = f"{local_stack.http_url}/crew?token={local_stack.token('crew', 'st-1')}&{KNOBS}"
    page, errors = open_page(browser_context, url, TABLET_SIZE)
    yield page
    page.close()
    assert not errors, f"JavaScript errors on the crew page: {errors}"
