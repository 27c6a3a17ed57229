"""The producer console's notices (issue #16 §1, #14 §2) in Chromium against the real local
stack: written and previewed on the console, seen on a kiosk, refused in words.

A Python producer client checks what the server holds and plays the other producer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from infra.local.runner import LocalStack
from tests.browser.console_pages import open_screen
from tests.browser.support import ThreadedClient

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]


def _notice_id(console: Page, text: str) -> str:
    row = console.locator(f'#nt-list li:has-text("{text}")')
    expect(row).to_have_count(1)
    return str(row.get_attribute("data-notice-id"))


def _write_notice(console: Page, text: str, level: str = "info") -> None:
    console.fill("#nt-text", text)
    console.select_option("#nt-level", level)


# ---------------------------------------------------------------------------------------
def test_an_urgent_notice_from_the_console_takes_over_a_kiosk_then_is_edited_and_cleared(
    console: Page, browser_context: BrowserContext, local_stack: LocalStack
) -> None:
    kiosk, errors = open_screen(browser_context, local_stack, "kiosk", query="&takeover_ms=800")
    try:
        # Given the producer writes an urgent notice: the preview is the screens' banner
        _write_notice(console, "All crews to Hall B", "urgent")
        preview = console.locator("#nt-preview .notice-item")
        expect(preview).to_have_attribute("data-level", "urgent")
        expect(preview).to_contain_text("All crews to Hall B")
        expect(console.locator("#nt-preview-note")).to_contain_text("takes over every screen")
        # When it is posted
        console.click("#nt-save")
        notice_id = _notice_id(console, "All crews to Hall B")
        # Then the kiosk is taken over, then keeps it as an urgent banner
        expect(kiosk.locator("#takeover")).to_contain_text("All crews to Hall B", timeout=5_000)
        banner = kiosk.locator(f'#notices [data-notice-id="{notice_id}"]')
        expect(banner).to_have_attribute("data-level", "urgent")
        expect(kiosk.locator("#takeover")).to_be_hidden(timeout=3_000)
        expect(console.locator("#nt-text")).to_have_value("")  # the form is ready again
        # When the producer edits it down to info
        console.click(f'#nt-list li[data-notice-id="{notice_id}"] button:text-is("Edit")')
        expect(console.locator("#nt-text")).to_have_value("All crews to Hall B")
        _write_notice(console, "Crews to Hall B after lunch", "info")
        console.click("#nt-save")
        # Then the kiosk's banner follows, and a clear takes it off the screen
        expect(banner).to_contain_text("Crews to Hall B after lunch")
        expect(banner).to_have_attribute("data-level", "info")
        console.click(f'#nt-list li[data-notice-id="{notice_id}"] button:text-is("Clear")')
        expect(banner).to_have_count(0)
        expect(console.locator(f'#nt-list li[data-notice-id="{notice_id}"]')).to_have_count(0)
    finally:
        kiosk.close()
    assert not errors, errors


def test_a_notice_for_chosen_stations_shows_only_there_and_its_expiry_is_kept(
    console: Page, producer: ThreadedClient
) -> None:
    _write_notice(console, "Video booth: cables on the floor")
    console.check('input[name="nt-target"][value="some"]')
    # Nothing ticked yet: refused in words beside the form, nothing sent
    console.click("#nt-save")
    expect(console.locator("#nt-error")).to_contain_text("Tick at least one station")
    console.check('#nt-stations input[value="st-2"]')
    expect(console.locator("#nt-preview .notice-where")).to_contain_text(
        producer.item("station", "st-2").name
    )
    # An expiry already past on the venue clock is refused before sending
    venue_now = datetime.now(ZoneInfo(producer.mirror(lambda mirror: mirror.day().timezone)))
    past, later = venue_now - timedelta(minutes=2), venue_now + timedelta(minutes=10)
    if not past.date() == later.date() == venue_now.date():
        pytest.skip("the venue clock is minutes from midnight: no later time today")
    console.fill("#nt-expires", past.strftime("%H:%M"))
    console.click("#nt-save")
    expect(console.locator("#nt-error")).to_contain_text("already passed")
    console.fill("#nt-expires", later.strftime("%H:%M"))
    console.click("#nt-save")
    notice_id = _notice_id(console, "Video booth: cables on the floor")
    producer.wait_until(lambda mirror: mirror.get("notice", notice_id) is not None, within=5)
    held = producer.item("notice", notice_id)
    assert held.stations == ["st-2"]
    assert held.expires_at is not None
    expect(console.locator(f'#nt-list li[data-notice-id="{notice_id}"]')).to_contain_text(
        f"hides at {later.strftime('%H:%M')}"
    )


def test_an_edit_that_meets_another_producers_change_keeps_the_words_and_says_so(
    console: Page, producer: ThreadedClient
) -> None:
    # Given a notice the console has open for editing
    posted = producer.write("notice.post", notice={"text": "Doors open at 9"})
    assert posted.item is not None
    notice_id = str(posted.item["id"])
    row = console.locator(f'#nt-list li[data-notice-id="{notice_id}"]')
    row.locator('button:text-is("Edit")').click()
    # When another producer changes it first, and this one saves
    producer.write(
        "notice.update", notice_id=notice_id, version=1, changes={"text": "Doors open at 10"}
    )
    expect(row).to_contain_text("Doors open at 10")  # the list follows live
    console.fill("#nt-text", "Doors open at 9:30")
    console.click("#nt-save")
    # Then the form says what the server holds, keeps the producer's words, and nothing of
    # theirs was overwritten; a second Update applies them on purpose
    expect(console.locator("#nt-error")).to_contain_text("Doors open at 10")
    expect(console.locator("#nt-text")).to_have_value("Doors open at 9:30")
    assert producer.item("notice", notice_id).text == "Doors open at 10"
    console.click("#nt-save")
    producer.wait_until(
        lambda mirror: mirror.get("notice", notice_id).text == "Doors open at 9:30", within=5
    )
