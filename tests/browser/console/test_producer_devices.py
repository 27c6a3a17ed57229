"""The producer console's devices (issue #16 §1, #14 §5) in Chromium against the real
local stack: who is online per station, and label, identify, redirect and revoke acting on
real kiosk and crew pages.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from infra.local.runner import LocalStack
from tests.browser.console_pages import open_screen

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]


# ---------------------------------------------------------------------------------------
def test_a_crew_tablet_appears_under_its_station_is_labelled_and_identified(
    console: Page, browser_context: BrowserContext, local_stack: LocalStack
) -> None:
    expect(console.locator("#devices-summary")).to_contain_text("online")
    # When a crew tablet of st-3 opens its page
    crew, errors = open_screen(browser_context, local_stack, "crew", "st-3", subject="cam-c")
    try:
        # Then it shows up under st-3 at once, as a crew device
        row = console.locator('.dev-group[data-group="st-st-3"] .dev-row:has-text("cam-c")')
        expect(row).to_have_attribute("data-role", "crew", timeout=5_000)
        # When the producer labels it (Enter saves)
        row.locator('button:text-is("Label")').click()
        row.locator(".dev-editor input").fill("Camera 3 tablet")
        row.locator(".dev-editor input").press("Enter")
        labelled = console.locator('.dev-row:has-text("Camera 3 tablet")')
        expect(labelled).to_contain_text("Label saved.")
        # and identifies it: the tablet flashes its label
        labelled.locator('button:text-is("Identify")').click()
        expect(crew.locator("#identify")).to_have_text("Camera 3 tablet", timeout=5_000)
        expect(labelled).to_contain_text("Flashing its label")
        # When the tablet closes its page, its row says so
        connection = str(labelled.get_attribute("data-connection-id"))
        crew.close()
        gone = console.locator(f'.dev-row[data-connection-id="{connection}"]')
        expect(gone).to_have_attribute("data-state", "disconnected", timeout=10_000)
    finally:
        if not crew.is_closed():
            crew.close()
    assert not errors, errors


def test_redirect_shows_another_station_on_a_kiosk(
    console: Page, browser_context: BrowserContext, local_stack: LocalStack
) -> None:
    kiosk, errors = open_screen(browser_context, local_stack, "kiosk", subject="tv-lobby")
    try:
        expect(kiosk.locator(".station")).not_to_have_count(1)  # every station, to begin with
        row = console.locator('.dev-group[data-group="kiosk"] .dev-row:has-text("tv-lobby")')
        row.locator('button:text-is("Redirect")').click()
        row.locator(".dev-editor select").select_option("st-2")
        row.locator('.dev-editor button:text-is("Show this station")').click()
        # The kiosk reloads on st-2 alone, without anyone touching it
        expect(kiosk).to_have_url(re.compile(r"station=st-2"), timeout=10_000)
        expect(kiosk.locator("#conn")).to_have_attribute("data-state", "live", timeout=10_000)
        expect(kiosk.locator(".station")).to_have_count(1)
        expect(kiosk.locator(".station").first).to_have_attribute("data-station-id", "st-2")
    finally:
        kiosk.close()
    assert not errors, errors


def test_revoking_a_stolen_tablets_token_cuts_it_off_and_leaves_its_owners_other_device(
    console: Page, browser_context: BrowserContext, local_stack: LocalStack
) -> None:
    # Given two devices of the same crew member at st-1: the stolen one, then a spare
    group = console.locator('.dev-group[data-group="st-st-1"]')
    stolen, stolen_errors = open_screen(browser_context, local_stack, "crew", "st-1", subject="sam")
    expect(group.locator('.dev-row:has-text("sam")')).to_have_count(1, timeout=5_000)
    target = group.locator('.dev-row:has-text("sam")')
    connection = str(target.get_attribute("data-connection-id"))
    spare, spare_errors = open_screen(browser_context, local_stack, "crew", "st-1", subject="sam")
    try:
        expect(group.locator('.dev-row:has-text("sam")')).to_have_count(2, timeout=5_000)
        row = console.locator(f'.dev-row[data-connection-id="{connection}"]')
        # When the producer asks to revoke it, the dialog makes the choice plain
        row.locator('button:text-is("Revoke…")').click()
        dialog = console.locator("#revoke-dialog")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("Only this device")
        expect(dialog).to_contain_text("Everything of “sam”")
        expect(console.locator("#revoke-by-token")).to_be_checked()  # the narrow one first
        # Escape backs out, and nothing happened
        console.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(row).to_have_attribute("data-state", "online")
        # When it is confirmed for this device only
        row.locator('button:text-is("Revoke…")').click()
        console.click("#revoke-confirm")
        # Then the stolen tablet is cut off and says why, its row says revoked, and the
        # spare stays online
        expect(dialog).to_be_hidden()
        expect(row).to_have_attribute("data-state", "revoked", timeout=5_000)
        expect(console.locator("#devices-outcome")).to_contain_text("1 connection closed")
        expect(stolen.locator("#conn")).to_contain_text("Access revoked", timeout=10_000)
        expect(spare.locator("#conn")).to_have_attribute("data-state", "live")
        online = group.locator('.dev-row[data-state="online"]:has-text("sam")')
        expect(online).to_have_count(1)
    finally:
        stolen.close()
        spare.close()
    assert not stolen_errors and not spare_errors, (stolen_errors, spare_errors)
