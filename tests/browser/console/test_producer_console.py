"""The producer console (/producer) in Chromium against the real local stack: access, the
board, the slot editor and its conflict view, the roster, and the laptop/tablet fit (calls,
shots and the shift are in test_producer_calls_shots.py).

The package's one stack with the demo day (console/conftest.py) serves it; a Python
producer client sets things up and checks what the server holds.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from operator import methodcaller
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Page, ViewportSize, expect

from infra.local.runner import LocalStack
from tests.browser.console_pages import LAPTOP, TABLET, first_slot, open_console
from tests.browser.support import ThreadedClient, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]


def _fill_slot_form(page: Page, station: str, talent: str, start: str, end: str) -> None:
    page.select_option("#slot-station", station)
    page.select_option("#slot-talent", talent)
    page.fill("#slot-start", start)
    page.fill("#slot-end", end)


def _free_window(producer: ThreadedClient) -> tuple[str, str, str]:
    """An athlete and a 10-minute window ("HH:MM") on the venue's day that no slot books
    them in. The demo day is seeded around the hour the suite runs, so no fixed hour is
    free at every hour (23:00 failed at 20:30 UTC: the athlete was at st-4 until 23:01)."""
    zone = ZoneInfo(producer.mirror(lambda mirror: mirror.day().timezone))
    # the console's new slot takes the venue's day of "now", rounded up to 5 minutes
    day = (datetime.now(zone) + timedelta(minutes=5)).date()
    slots = producer.mirror(lambda mirror: mirror.slots())
    talents = sorted(producer.mirror(lambda mirror: list(mirror.talent().values())), key=str)
    for hour in (23, *range(23)):
        starts = datetime.combine(day, time(hour, 0), zone)
        ends = starts + timedelta(minutes=10)
        for talent in talents:
            if not any(
                s.talent_id == talent.id and s.starts_at < ends and starts < s.ends_at
                for s in slots
            ):
                return talent.id, f"{hour:02d}:00", f"{hour:02d}:10"
    raise AssertionError("the demo day books every athlete at every hour")


# ---------------------------------------------------------------------------------------
def test_console_is_for_producers_only(
    browser_context: BrowserContext, local_stack: LocalStack
) -> None:
    for role, station in (("crew", "st-1"), ("kiosk", None)):
        page = browser_context.new_page()
        page.goto(f"{local_stack.http_url}/producer?token={local_stack.token(role, station)}")
        expect(page.locator("#notice")).to_contain_text("This page is for producers")
        expect(page.locator("#console")).to_be_hidden()
        expect(page.locator("#conn")).to_have_text("Not a producer")
        page.close()


def test_board_shows_every_station_with_a_now_line(console: Page, producer: ThreadedClient) -> None:
    stations = producer.mirror(lambda mirror: mirror.stations())
    expect(console.locator(".pcol")).to_have_count(len(stations))
    for station in stations:
        column = console.locator(f'.pcol[data-station-id="{station.id}"]')
        expect(column.locator("h3")).to_have_text(station.name)
        expect(column.locator(".now-line")).to_have_count(1)
        slots = producer.mirror(methodcaller("slots", station.id))
        expect(column.locator(".pslot")).to_have_count(len(slots))
    slot = first_slot(producer, "st-1")
    talent = producer.item("talent", slot.talent_id)
    expect(console.locator(f'.pslot[data-slot-id="{slot.id}"] .pslot-who')).to_contain_text(
        talent.name
    )


def test_producer_creates_moves_and_deletes_a_slot_in_place(
    console: Page, producer: ThreadedClient
) -> None:
    talent_id, starts, ends = _free_window(producer)
    # Create at st-1, in a window the demo day leaves free for that athlete
    console.click('.pcol[data-station-id="st-1"] .pcol-head button')
    _fill_slot_form(console, "st-1", talent_id, starts, ends)
    console.fill("#slot-title", "Console-made slot")
    console.click("#slot-save")
    expect(console.locator("#editor")).to_be_hidden()
    card = console.locator('.pslot:has-text("Console-made slot")')
    expect(card).to_have_count(1)
    slot_id = str(card.get_attribute("data-slot-id"))
    producer.wait_until(lambda mirror: mirror.get("slot", slot_id) is not None, within=5)
    created = producer.item("slot", slot_id)
    assert created is not None and created.station_id == "st-1"
    assert created.talent_id == talent_id
    # Move it to st-2 and retitle it in one save
    card.locator(".pslot-open").click()
    console.select_option("#slot-station", "st-2")
    console.fill("#slot-title", "Moved by the console")
    console.click("#slot-save")
    moved = console.locator(f'.pcol[data-station-id="st-2"] .pslot[data-slot-id="{slot_id}"]')
    expect(moved).to_contain_text("Moved by the console")
    producer.wait_until(
        lambda mirror: mirror.get("slot", slot_id).title == "Moved by the console", within=5
    )
    held = producer.item("slot", slot_id)
    assert held.station_id == "st-2"
    assert (held.ends_at - held.starts_at) == timedelta(minutes=10)
    # Delete it
    moved.locator(".pslot-open").click()
    console.click("#slot-delete")
    expect(console.locator(f'.pslot[data-slot-id="{slot_id}"]')).to_have_count(0)
    producer.wait_until(lambda mirror: mirror.get("slot", slot_id) is None, within=5)


def test_two_producers_editing_one_slot_nothing_is_lost(
    browser_context: BrowserContext, local_stack: LocalStack, producer: ThreadedClient
) -> None:
    # Given two producers (two tabs, each with its own token) with the same slot open
    slot = first_slot(producer, "st-3")
    first, first_errors = open_console(browser_context, local_stack)
    second, second_errors = open_console(browser_context, local_stack)
    for page in (first, second):
        page.click(f'.pslot[data-slot-id="{slot.id}"] .pslot-open')
    # When the first saves a new title, then the second saves another
    first.fill("#slot-title", "Title from producer one")
    first.click("#slot-save")
    expect(first.locator("#editor")).to_be_hidden()
    second.fill("#slot-title", "Title from producer two")
    second.click("#slot-save")
    # Then the second sees both versions side by side, and nothing of theirs is saved
    conflict = second.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(second.locator('#conflict-theirs dd[data-field="title"]')).to_have_text(
        "Title from producer one"
    )
    expect(second.locator('#conflict-yours dd[data-field="title"]')).to_have_text(
        "Title from producer two"
    )
    expect(second.locator('#conflict-yours dd[data-field="title"]')).to_have_class("differs")
    producer.wait_until(
        lambda mirror: mirror.get("slot", slot.id).title == "Title from producer one", within=5
    )
    save_screenshot(second, "producer-conflict-1280x800")
    # And one click re-applies the second producer's edit over the first's
    second.click("#conflict-reapply")
    expect(second.locator("#editor")).to_be_hidden()
    producer.wait_until(
        lambda mirror: mirror.get("slot", slot.id).title == "Title from producer two", within=5
    )
    expect(first.locator(f'.pslot[data-slot-id="{slot.id}"]')).to_contain_text(
        "Title from producer two"
    )
    first.close()
    second.close()
    assert not first_errors and not second_errors, (first_errors, second_errors)


def test_an_edit_that_double_books_an_athlete_is_refused_in_words(
    console: Page, producer: ThreadedClient
) -> None:
    # Given two slots at the same time at st-1 and st-2 with different athletes
    st2 = {s.starts_at: s for s in producer.mirror(lambda mirror: mirror.slots("st-2"))}
    mine, other = next(
        (a, st2[a.starts_at])
        for a in producer.mirror(lambda mirror: mirror.slots("st-1"))
        if a.starts_at in st2 and st2[a.starts_at].talent_id != a.talent_id
    )
    # When the producer gives st-1's slot the athlete already booked at st-2
    console.click(f'.pslot[data-slot-id="{mine.id}"] .pslot-open')
    console.select_option("#slot-talent", other.talent_id)
    console.click("#slot-save")
    # Then the editor says why, stays open with the edit, and nothing changed
    expect(console.locator("#slot-error")).to_contain_text(other.id)
    expect(console.locator("#editor")).to_be_visible()
    expect(console.locator("#slot-talent")).to_have_value(other.talent_id)
    assert producer.item("slot", mine.id).version == mine.version
    console.click("#slot-close")


def test_roster_creates_and_edits_stations_and_talent(
    console: Page, producer: ThreadedClient
) -> None:
    console.fill("#station-name", "Console Booth")
    console.select_option("#station-kind", "podcast")
    console.fill("#station-location", "Hall B")
    console.click("#station-save")
    column = console.locator('.pcol:has(h3:text-is("Console Booth"))')
    expect(column).to_have_count(1)
    station_id = str(column.get_attribute("data-station-id"))
    producer.wait_until(
        lambda mirror: getattr(mirror.get("station", station_id), "location", "") == "Hall B",
        within=5,
    )
    console.click(f'#station-list li[data-id="{station_id}"] button')
    expect(console.locator("#station-id")).to_have_value(station_id)
    console.fill("#station-name", "Console Booth 2")
    console.click("#station-save")
    expect(console.locator(f'.pcol[data-station-id="{station_id}"] h3')).to_have_text(
        "Console Booth 2"
    )
    console.fill("#talent-name", "Alex Console")
    console.fill("#talent-number", "99")
    console.fill("#talent-team", "Testers")
    console.click("#talent-save")
    expect(console.locator("#talent-list")).to_contain_text("#99 Alex Console")
    producer.wait_until(
        lambda mirror: any(t.name == "Alex Console" for t in mirror.talent().values()), within=5
    )


@pytest.mark.parametrize("size", [LAPTOP, TABLET], ids=["1280x800", "1024x768"])
def test_console_fits_laptop_and_tablet_without_horizontal_scroll(
    browser_context: BrowserContext, local_stack: LocalStack, size: ViewportSize
) -> None:
    page, errors = open_console(browser_context, local_stack, size=size)
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths
    save_screenshot(page, f"producer-board-{size['width']}x{size['height']}")
    page.locator("#calls-section").scroll_into_view_if_needed()
    save_screenshot(page, f"producer-calls-{size['width']}x{size['height']}")
    page.locator("#shots-section").scroll_into_view_if_needed()
    save_screenshot(page, f"producer-shots-roster-{size['width']}x{size['height']}")
    for section in ("notices", "devices"):
        page.locator(f"#{section}-section").scroll_into_view_if_needed()
        save_screenshot(page, f"producer-{section}-{size['width']}x{size['height']}")
    expect(page.locator('.dev-group[data-group="producer"] .flag')).to_have_text("this console")
    # Keyboard: a slot's edit button opens the editor on Enter, Escape closes it
    page.locator(".pslot-open").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#editor")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#editor")).to_be_hidden()
    page.close()
    assert not errors, errors
