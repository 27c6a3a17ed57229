"""The producer console's calls, shot lists and running-late shift, in Chromium against the
real local stack (the board, editor and roster are in test_producer_console.py).

A Python producer client checks what the server holds, Python crew clients acknowledge
calls and tick shots.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from infra.local.runner import LocalStack
from tests.browser.console_pages import first_slot, open_console
from tests.browser.support import ThreadedClient

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]


def test_call_by_shirt_number_is_acked_on_the_crew_side_and_shown(
    browser_context: BrowserContext, local_stack: LocalStack, producer: ThreadedClient
) -> None:
    page, errors = open_console(browser_context, local_stack, "&unacked_s=1")
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
    slot = first_slot(producer, "st-2")
    before = {c.id for c in producer.mirror(lambda mirror: mirror.calls())}
    console.click(f'.pslot[data-slot-id="{slot.id}"] .pslot-call')
    producer.wait_until(
        lambda mirror: any(
            c.id not in before and c.talent_id == slot.talent_id and c.station_id == "st-2"
            for c in mirror.calls()
        ),
        within=5,
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


def test_shift_all_stations_at_once_from_above_the_board(
    console: Page, producer: ThreadedClient
) -> None:
    # Given every station's slots that start from now on (last here: it moves the whole day)
    now = datetime.now(UTC)
    later = {
        s.id: (s.station_id, s.starts_at)
        for s in producer.mirror(lambda mirror: mirror.slots())
        if s.starts_at >= now + timedelta(seconds=30)
    }
    assert len({station for station, _ in later.values()}) > 1
    control = console.locator("#shift-all")
    expect(control).to_contain_text("All stations late:")
    # When the producer shifts every station by 1 minute (Enter in the custom field)
    control.locator("input.shift-minutes").fill("1")
    control.locator("input.shift-minutes").press("Enter")
    # Then every later slot of every station moved, in one all-or-nothing request
    expect(control.locator(".shift-outcome")).to_contain_text("slots moved")
    producer.wait_until(
        lambda mirror: all(
            mirror.get("slot", sid).starts_at == start + timedelta(minutes=1)
            for sid, (_, start) in later.items()
        ),
        within=5,
    )
    # A shift out of range is refused in words beside the control, and nothing is sent
    control.locator("input.shift-minutes").fill("500")
    control.locator('button:text-is("Shift")').click()
    expect(control.locator(".shift-outcome")).to_contain_text("a whole number from")
