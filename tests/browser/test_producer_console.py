"""The producer console (/producer) in Chromium against the real local stack.

One stack with the demo day serves the module; a Python producer client sets things up
and checks what the server holds, a Python crew client acknowledges calls.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from infra.local.runner import LocalStack
from tests.browser.support import ThreadedClient, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]

LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 1024, "height": 768}
KNOBS = "backoff_max_ms=1500&stale_ms=1500"


@pytest.fixture(scope="module")
def producer(local_stack: LocalStack) -> Iterator[ThreadedClient]:
    client = ThreadedClient(
        local_stack.ws_url, local_stack.token("producer"), ["roster", "schedule", "calls"]
    )
    try:
        yield client
    finally:
        client.close()


def _open(
    context: BrowserContext, stack: LocalStack, query: str = "", size: dict[str, int] = LAPTOP
) -> tuple[Page, list[str]]:
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


@pytest.fixture
def console(browser_context: BrowserContext, local_stack: LocalStack) -> Iterator[Page]:
    page, errors = _open(browser_context, local_stack)
    yield page
    page.close()
    assert not errors, f"JavaScript errors on the console: {errors}"


def _first_slot(producer: ThreadedClient, station: str) -> Any:
    return producer.mirror(lambda mirror: mirror.slots(station))[0]


def _fill_slot_form(page: Page, station: str, talent: str, start: str, end: str) -> None:
    page.select_option("#slot-station", station)
    page.select_option("#slot-talent", talent)
    page.fill("#slot-start", start)
    page.fill("#slot-end", end)


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
        slots = producer.mirror(lambda mirror, s=station.id: mirror.slots(s))
        expect(column.locator(".pslot")).to_have_count(len(slots))
    slot = _first_slot(producer, "st-1")
    talent = producer.item("talent", slot.talent_id)
    expect(console.locator(f'.pslot[data-slot-id="{slot.id}"] .pslot-who')).to_contain_text(
        talent.name
    )


def test_producer_creates_moves_and_deletes_a_slot_in_place(
    console: Page, producer: ThreadedClient
) -> None:
    talent = sorted(producer.mirror(lambda mirror: list(mirror.talent().values())), key=str)[0]
    # Create at st-1, late in the day (23:00-23:10 on the venue's clock)
    console.click('.pcol[data-station-id="st-1"] .pcol-head button')
    _fill_slot_form(console, "st-1", talent.id, "23:00", "23:10")
    console.fill("#slot-title", "Console-made slot")
    console.click("#slot-save")
    expect(console.locator("#editor")).to_be_hidden()
    card = console.locator('.pslot:has-text("Console-made slot")')
    expect(card).to_have_count(1)
    slot_id = str(card.get_attribute("data-slot-id"))
    producer.wait_until(lambda mirror: mirror.get("slot", slot_id) is not None, within=5)
    created = producer.item("slot", slot_id)
    assert created is not None and created.station_id == "st-1"
    assert created.talent_id == talent.id
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
    slot = _first_slot(producer, "st-3")
    first, first_errors = _open(browser_context, local_stack)
    second, second_errors = _open(browser_context, local_stack)
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


def test_call_by_shirt_number_is_acked_on_the_crew_side_and_shown(
    browser_context: BrowserContext, local_stack: LocalStack, producer: ThreadedClient
) -> None:
    page, errors = _open(browser_context, local_stack, "&unacked_s=1")
    talent = next(
        t for t in producer.mirror(lambda mirror: list(mirror.talent().values())) if t.number
    )
    crew = ThreadedClient(local_stack.ws_url, local_stack.token("crew", "st-4"), ["calls"])
    try:
        # Two steps: type the shirt number and pick the station, then press Call
        page.fill("#athlete-filter", talent.number)
        page.select_option("#call-station", "st-4")
        row = page.locator(f'#athletes li[data-talent-id="{talent.id}"]')
        expect(page.locator("#athletes li").first).to_have_attribute("data-talent-id", talent.id)
        before = {c.id for c in producer.mirror(lambda mirror: mirror.calls())}
        row.locator("button").click()
        producer.wait_until(
            lambda mirror: any(c.id not in before for c in mirror.calls("st-4")), within=5
        )
        call_id = next(
            c.id for c in producer.mirror(lambda m: m.calls("st-4")) if c.id not in before
        )
        assert producer.item("call", call_id).talent_id == talent.id
        board_row = page.locator(f'.pcall[data-call-id="{call_id}"]')
        expect(board_row).to_have_attribute("data-state", "pending")
        # Nobody acknowledges within the (1 s) limit: the call is highlighted
        expect(board_row).to_have_class("pcall is-overdue", timeout=4000)
        # The crew acknowledges: the console shows who and the new state within 1 s
        crew.wait_until(lambda mirror: mirror.get("call", call_id) is not None, within=5)
        call = crew.item("call", call_id)
        started = time.monotonic()
        crew.write("call.ack", call_id=call_id, version=call.version, state="en-route")
        row = page.locator(f'.pcall[data-call-id="{call_id}"]')
        expect(row).to_have_attribute("data-state", "en-route", timeout=1000)
        shown_after = time.monotonic() - started
        expect(row).to_contain_text("en route by e2e-crew-st-4")
        expect(row).not_to_have_class("pcall is-overdue")
        print(f"crew ack -> console: {shown_after * 1000:.0f} ms")
        # Cancel from the board
        row.locator("button", has_text="Cancel").click()
        expect(row).to_have_attribute("data-state", "cancelled")
        expect(row).to_contain_text("cancelled by e2e-producer")
        producer.wait_until(
            lambda mirror: str(mirror.get("call", call_id).state) == "cancelled", within=5
        )
    finally:
        crew.close()
        page.close()
    assert not errors, errors


def test_call_from_a_slot_is_one_click(console: Page, producer: ThreadedClient) -> None:
    slot = _first_slot(producer, "st-2")
    before = {c.id for c in producer.mirror(lambda mirror: mirror.calls())}
    console.click(f'.pslot[data-slot-id="{slot.id}"] .pslot-call')
    producer.wait_until(
        lambda mirror: any(
            c.id not in before and c.talent_id == slot.talent_id and c.station_id == "st-2"
            for c in mirror.calls()
        ),
        within=5,
    )


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


def test_shift_a_station_from_now_shows_it_running_late(
    console: Page, producer: ThreadedClient
) -> None:
    # Given st-4's slots that start from now on (2 min keeps the demo's 2-min gaps intact)
    now = datetime.now(UTC)
    later = {
        s.id: s.starts_at
        for s in producer.mirror(lambda mirror: mirror.slots("st-4"))
        if s.starts_at >= now + timedelta(seconds=30)
    }
    assert later
    column = console.locator('.pcol[data-station-id="st-4"]')
    # When the producer types 2 in the column's shift control and presses Enter
    column.locator("input.shift-minutes").fill("2")
    column.locator("input.shift-minutes").press("Enter")
    # Then every later slot moved by 2 minutes, and the board says so
    expect(column.locator(".shift-outcome")).to_contain_text("slots moved")
    producer.wait_until(
        lambda mirror: all(
            mirror.get("slot", sid).starts_at == start + timedelta(minutes=2)
            for sid, start in later.items()
        ),
        within=5,
    )
    first = min(later, key=lambda sid: later[sid])
    expect(column.locator(f'.pslot[data-slot-id="{first}"] .flag-late')).to_have_text(
        "running 2 min late"
    )


def test_shot_list_add_edit_reorder_delete_with_progress(
    console: Page, local_stack: LocalStack
) -> None:
    crew = ThreadedClient(local_stack.ws_url, local_stack.token("crew", "st-1"), ["shots:st-1"])
    try:
        talent = "t-1"
        # Something is chosen from the start: a station and an athlete
        expect(console.locator("#shots-station")).not_to_have_value("")
        expect(console.locator("#shots-talent")).not_to_have_value("")
        console.select_option("#shots-station", "st-1")
        console.select_option("#shots-talent", talent)
        listed = console.locator("#shot-list li[data-shot-id]")
        existing = sum(
            1 for s in crew.mirror(lambda mirror: mirror.shots("st-1")) if s.talent_id == talent
        )
        expect(listed).to_have_count(existing)  # the station's shots have arrived
        for text in ("Console shot A", "Console shot B"):
            console.fill("#shot-text", text)
            console.press("#shot-text", "Enter")
            expect(console.locator(f'#shot-list li:has-text("{text}")')).to_have_count(1)
        expect(listed).to_have_count(existing + 2)
        # Reorder: B above A
        console.click('#shot-list li:has-text("Console shot B") button:text-is("↑")')
        expect(listed.nth(existing)).to_contain_text("Console shot B")
        expect(listed.nth(existing + 1)).to_contain_text("Console shot A")
        # Edit A's description
        console.click('#shot-list li:has-text("Console shot A") button:text-is("Edit")')
        console.fill("#shot-text", "Console shot A, wider")
        console.click("#shot-save")
        expect(console.locator('#shot-list li:has-text("Console shot A, wider")')).to_have_count(1)
        # Progress follows the crew's taps
        shot_id = str(
            console.locator('#shot-list li:has-text("Console shot B")').get_attribute(
                "data-shot-id"
            )
        )
        crew.wait_until(lambda mirror: mirror.get("shot", shot_id) is not None, within=5)
        shot = crew.item("shot", shot_id)
        done_before = sum(
            1
            for s in crew.mirror(lambda mirror: mirror.shots("st-1"))
            if s.talent_id == talent and str(s.status) != "pending"
        )
        crew.write("shot.set_status", shot_id=shot_id, version=shot.version, status="captured")
        expect(console.locator("#shots-progress")).to_have_text(
            f"{done_before + 1} of {existing + 2} done"
        )
        # Delete B
        console.click('#shot-list li:has-text("Console shot B") button:text-is("Delete")')
        expect(listed).to_have_count(existing + 1)
        crew.wait_until(lambda mirror: mirror.get("shot", shot_id) is None, within=5)
    finally:
        crew.close()


@pytest.mark.parametrize("size", [LAPTOP, TABLET], ids=["1280x800", "1024x768"])
def test_console_fits_laptop_and_tablet_without_horizontal_scroll(
    browser_context: BrowserContext, local_stack: LocalStack, size: dict[str, int]
) -> None:
    page, errors = _open(browser_context, local_stack, size=size)
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths
    save_screenshot(page, f"producer-board-{size['width']}x{size['height']}")
    page.locator("#calls-section").scroll_into_view_if_needed()
    save_screenshot(page, f"producer-calls-{size['width']}x{size['height']}")
    page.locator("#shots-section").scroll_into_view_if_needed()
    save_screenshot(page, f"producer-shots-roster-{size['width']}x{size['height']}")
    # Keyboard: a slot's edit button opens the editor on Enter, Escape closes it
    page.locator(".pslot-open").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#editor")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#editor")).to_be_hidden()
    page.close()
    assert not errors, errors
