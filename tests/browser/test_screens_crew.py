"""The crew page during the live day (issue #14), in Chromium over a scripted socket
(tests/browser/screens.py): overtime with the athlete kept until done, the Arrived / Done
taps with their honest outcome, and a call's alert on a phone.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.screens import (
    CURRENT,
    DEVICE,
    PHONE_DAY,
    PHONE_SIZE,
    open_crew,
    open_kiosk,
    token,
)
from tests.browser.support import save_screenshot

pytestmark = pytest.mark.browser


# The clock keeps running (U+2212 MINUS, as the pages write it): -2:00, -2:01, ...
OVER_TWO_MINUTES = re.compile("^\u22122:[0-5]\\d$")
OVERRUN = """
window.extraDay = [
  { type: "slot", id: "a", version: 2, rev: 2, station_id: "st-1", talent_id: "t-1",
    starts_at: new Date(serverNow() - 15 * 60000).toISOString(),
    ends_at: new Date(serverNow() - 2 * 60000).toISOString(),
    actual_start: new Date(serverNow() - 14 * 60000).toISOString() },
  { type: "slot", id: "b", version: 1, rev: 3, station_id: "st-1", talent_id: "t-2",
    starts_at: new Date(serverNow() - 1 * 60000).toISOString(),
    ends_at: new Date(serverNow() + 14 * 60000).toISOString() },
];
"""


def test_past_the_planned_end_the_athlete_stays_with_an_overtime_clock_until_done(
    open_screen: Callable[..., Page],
) -> None:
    # Given Maya arrived at st-1 and is still there 2 minutes past her planned end
    crew = open_crew(open_screen, OVERRUN)
    kiosk = open_kiosk(open_screen, OVERRUN)
    # Then the crew page keeps her and her shot list, with a negative clock in warning colours
    expect(crew.locator("#now-body .talent")).to_have_text("Maya Okafor")
    expect(crew.locator("#shots li[data-shot-id='sh-1']")).to_be_visible()
    overtime = crew.locator("#now-body .countdown.is-overtime .num")
    expect(overtime).to_have_text(OVER_TWO_MINUTES)
    expect(crew.locator("#now-card")).to_have_class("card now-card is-overtime")
    # and the next athlete waits behind her, running late by the overrun
    expect(crew.locator("#now-body .late")).to_have_text("Running 1 min late")
    expect(crew.locator("#now-body .next-line")).to_contain_text("Noor Haddad — waiting, due at")
    # And the kiosk shows the overtime too
    now_card = kiosk.locator('.station[data-station-id="st-1"] .slot-now')
    expect(now_card).to_have_class("slot-now is-overtime")
    expect(now_card.locator(".talent")).to_have_text("Maya Okafor")
    expect(now_card.locator(".countdown .num")).to_have_text(OVER_TWO_MINUTES)
    next_card = kiosk.locator('.station[data-station-id="st-1"] .slot-next')
    expect(next_card.locator(".countdown.is-waiting")).to_contain_text("waiting · due at")
    save_screenshot(crew, "crew-overtime")

    # When the crew taps Done
    crew.get_by_role("button", name="Done: Maya Okafor").click()
    sent = crew.evaluate("() => socket().last('slot.done')")
    assert {k: sent[k] for k in ("action", "slot_id", "version")} == {
        "action": "slot.done",
        "slot_id": "a",
        "version": 2,
    }
    outcome = crew.locator("#now-body .mark-outcome")
    # Then it shows as sending until the server answers
    expect(outcome).to_have_attribute("data-state", "pending")
    expect(crew.get_by_role("button", name="Done: Maya Okafor")).to_be_disabled()
    crew.evaluate(
        """() => { const f = socket().last("slot.done");
           const item = Object.assign({}, held("slot", "a"), { version: 3, rev: 20,
             actual_end: new Date(serverNow()).toISOString() });
           socket().deliver({ type: "ack", id: f.id, action: "slot.done", item, version: 3,
                              rev: 20 }); }"""
    )
    # And once applied, the next athlete is in front, with their own clock
    expect(outcome).to_have_attribute("data-state", "applied")
    expect(outcome).to_contain_text("Done ✓ Maya Okafor")
    expect(crew.locator("#now-body .talent")).to_have_text("Noor Haddad")
    expect(crew.locator("#now-body .countdown.is-overtime")).to_have_count(0)
    expect(crew.locator("#now-card")).not_to_have_class("card now-card is-overtime")


def test_arrived_then_done_send_their_action_and_a_refusal_is_shown_as_refused(
    open_screen: Callable[..., Page],
) -> None:
    crew = open_crew(open_screen, CURRENT)
    outcome = crew.locator("#now-body .mark-outcome")
    # When the crew taps Arrived for the athlete in front of them
    crew.get_by_role("button", name="Arrived: Maya Okafor").click()
    sent = crew.evaluate("() => socket().last('slot.arrive')")
    assert (sent["slot_id"], sent["version"]) == ("a", 1)
    expect(outcome).to_have_attribute("data-state", "pending")
    crew.evaluate(
        """() => { const f = socket().last("slot.arrive");
           const item = Object.assign({}, held("slot", "a"), { version: 2, rev: 20,
             actual_start: new Date(serverNow()).toISOString() });
           socket().deliver({ type: "ack", id: f.id, action: "slot.arrive", item, version: 2,
                              rev: 20 }); }"""
    )
    # Then it is applied: the button becomes Done
    expect(outcome).to_have_attribute("data-state", "applied")
    expect(outcome).to_contain_text("Arrived ✓ Maya Okafor")
    expect(crew.locator("#now-body .arrived-at")).to_be_visible()
    assert "null" not in crew.locator("#now-body").inner_text()
    done = crew.get_by_role("button", name="Done: Maya Okafor")
    expect(done).to_be_enabled()

    # When Done is refused (say a producer corrected the slot meanwhile)
    done.click()
    crew.evaluate(
        """() => { const f = socket().last("slot.done");
           socket().deliver({ type: "error", id: f.id, code: "invalid_state",
                              message: "not arrived" }); }"""
    )
    # Then the crew is told it was not recorded, and the athlete stays in front
    expect(outcome).to_have_attribute("data-state", "refused")
    expect(outcome).to_contain_text("Done not recorded for Maya Okafor")
    expect(crew.locator("#now-body .talent")).to_have_text("Maya Okafor")
    expect(done).to_be_enabled()
    assert crew.evaluate("() => held('slot', 'a').actual_end") is None
    save_screenshot(crew, "crew-arrived-refused")


def test_on_a_phone_a_new_call_alerts_is_pinned_on_top_and_nothing_scrolls_sideways(
    open_screen: Callable[..., Page],
) -> None:
    # Given a crew phone at 390x844 with a long unbroken shot description
    crew = open_screen("crew", token("crew", "st-1"), PHONE_SIZE, PHONE_DAY, DEVICE)
    expect(crew.locator("#shots li[data-shot-id='sh-2']")).to_be_visible()
    # Then it keeps the screen awake, and nothing is wider than the screen
    assert crew.evaluate("() => wakeRequests") == ["screen"]
    assert crew.evaluate("() => document.documentElement.scrollWidth") <= 390
    # When a call for this station is pushed
    crew.evaluate(
        """() => push({ type: "call", id: "call-9", version: 1, station_id: "st-1",
                        talent_id: "t-2", state: "pending", note: "Now please" })"""
    )
    # Then the calls card flashes, the phone vibrates, and the call sits above everything
    calls = crew.locator("#calls-card")
    expect(calls).to_have_class(re.compile(r"\bis-alerting\b"))
    assert crew.evaluate("() => vibrated") == [[200, 100, 200]]
    assert crew.evaluate("() => mediadayAlert.flash") is True
    calls_box = calls.bounding_box()
    now_box = crew.locator("#now-card").bounding_box()
    assert calls_box is not None and now_box is not None
    assert calls_box["y"] < now_box["y"]
    expect(crew.locator('#calls li[data-call-id="call-9"]')).to_contain_text("Noor Haddad")
    assert crew.evaluate("() => document.documentElement.scrollWidth") <= 390
    save_screenshot(crew, "crew-phone-call")
    # And the flash ends by itself
    expect(calls).not_to_have_class(re.compile(r"\bis-alerting\b"), timeout=5_000)
