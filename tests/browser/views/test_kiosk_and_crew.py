"""The kiosk and the crew tablet on the stack's demo day: what they show, how fast a
producer's change reaches them, the crew's taps, and what a kiosk may not do.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from operator import methodcaller
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import ThreadedClient, save_screenshot
from tests.browser.views.pages import (
    COUNTDOWN,
    STATIONS,
    countdown_seconds,
    name_of,
    station_card,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]


def test_kiosk_renders_the_demo_schedule(
    kiosk: Page, producer: ThreadedClient, day_under_way: dict[str, Any]
) -> None:
    # Given the demo day, with a slot under way at every station
    for station in STATIONS:
        card = station_card(kiosk, station)
        slots = day_under_way[station]
        # Then each station shows its name, who is on now and who is next, with countdowns
        expect(card.locator("h3")).to_have_text(name_of(producer, "station", station))
        now_talent = name_of(producer, "talent", slots["now"].talent_id)
        next_talent = name_of(producer, "talent", slots["next"].talent_id)
        expect(card.locator(".slot-now .talent")).to_have_text(now_talent)
        expect(card.locator(".slot-now")).to_have_attribute("data-slot-id", slots["now"].id)
        expect(card.locator(".slot-next .talent")).to_have_text(next_talent)
        expect(card.locator(".slot-now .countdown .num")).to_have_text(COUNTDOWN)
        # with how far the crew is with the shot list of the talent in front of them
        at_station = producer.mirror(methodcaller("shots", station))
        shots = [x for x in at_station if x.talent_id == slots["now"].talent_id]
        expect(card.locator(".shot-tally")).to_have_attribute("data-total", str(len(shots)))
    # And the demo's pending call is highlighted on its station and in the calls panel
    expect(kiosk.locator('#calls .call[data-call-id="call-1"]')).to_contain_text("Maya Okafor")
    expect(station_card(kiosk, "st-1")).to_have_class("station is-called")
    expect(kiosk.locator("#stale-banner")).to_be_hidden()
    save_screenshot(kiosk, "kiosk")


def test_a_producer_change_reaches_the_kiosk_within_a_second(
    kiosk: Page, producer: ThreadedClient, day_under_way: dict[str, Any]
) -> None:
    slot = producer.item("slot", day_under_way["st-2"]["now"].id)
    replacement = "t-8" if slot.talent_id != "t-8" else "t-7"
    expected = name_of(producer, "talent", replacement)
    now_card = station_card(kiosk, "st-2").locator(".slot-now")
    now_talent = now_card.locator(".talent")
    expect(now_talent).not_to_have_text(expected)

    # When the producer puts someone else in the slot under way at st-2
    started = time.monotonic()
    producer.write(
        "slot.update",
        slot_id=slot.id,
        version=slot.version,
        changes={"talent_id": replacement},
        allow_overlap=True,  # the stretched slot may overlap the replacement's own bookings
    )
    # Then the kiosk shows the new name within one second of the request
    expect(now_talent).to_have_text(expected, timeout=1_000)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"producer change -> kiosk took {elapsed:.3f} s"
    # with the time left in the slot by the server's clock, though the TV's own runs slow
    shown = countdown_seconds(now_card.locator(".countdown .num").inner_text())
    left = (slot.ends_at - datetime.now(UTC)).total_seconds()
    assert abs(shown - left) <= 2, f"countdown {shown} s, {left:.1f} s left by the server"

    # And a call pushed to st-3 lights up that station within one second too
    started_call = time.monotonic()
    producer.write("call.push", call={"talent_id": "t-5", "station_id": "st-3", "note": "Now"})
    expect(station_card(kiosk, "st-3")).to_have_class("station is-called", timeout=1_000)
    elapsed_call = time.monotonic() - started_call
    assert elapsed_call < 1.0, f"call push -> kiosk took {elapsed_call:.3f} s"


def test_the_crew_marks_a_shot_captured_and_the_kiosk_and_a_python_client_see_it(
    crew: Page, kiosk: Page, producer: ThreadedClient, day_under_way: dict[str, Any]
) -> None:
    # Given the crew of st-1 with the talent in front of them and their shot list
    talent_id = producer.item("slot", day_under_way["st-1"]["now"].id).talent_id
    expect(crew.locator("#now-body .talent")).to_have_text(name_of(producer, "talent", talent_id))
    first_row = crew.locator("#shots li[data-shot-id]").first
    shot_id = first_row.get_attribute("data-shot-id")
    assert shot_id is not None
    tally = station_card(kiosk, "st-1").locator(".shot-tally")
    expect(tally).to_have_attribute("data-captured", "0")

    # When they tap "Captured" once
    first_row.get_by_role("button", name="Captured").click()

    # Then the crew view, the kiosk and a Python client all see the shot captured
    expect(first_row).to_have_attribute("data-status", "captured")
    expect(first_row.get_by_role("button", name="Undo captured")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(tally).to_have_attribute("data-captured", "1", timeout=2_000)
    producer.wait_until(lambda m: m.get("shot", shot_id).status == "captured", within=2)

    # And acknowledging the call turns it "en route" on the kiosk
    crew.locator('#calls li[data-call-id="call-1"]').get_by_role("button", name="En route").click()
    expect(kiosk.locator('#calls .call[data-call-id="call-1"]')).to_have_attribute(
        "data-state", "en-route", timeout=2_000
    )
    save_screenshot(crew, "crew")


def test_the_crew_view_explains_conflicts_and_refusals_in_plain_words(
    crew: Page, producer: ThreadedClient
) -> None:
    notice = crew.locator("#notice")
    # A stale version (someone changed the shot meanwhile): conflict, in plain words
    shot_id = crew.locator("#shots li[data-shot-id]").nth(1).get_attribute("data-shot-id")
    code = crew.evaluate(
        """(id) => mediadayClient.write({ action: "shot.set_status", shot_id: id, version: 99,
                                          status: "skipped" }).then(() => "ok", (e) => e.code)""",
        shot_id,
    )
    assert code == "conflict"
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Someone else changed this a moment ago")
    crew.get_by_role("button", name="Dismiss").click()
    expect(notice).to_be_hidden()

    # Another station's shot: forbidden, in plain words
    other = producer.mirror(lambda m: m.shots("st-2")[0])
    code = crew.evaluate(
        """([id, version]) => mediadayClient.write({ action: "shot.set_status", shot_id: id,
                version: version, status: "captured" }).then(() => "ok", (e) => e.code)""",
        [other.id, other.version],
    )
    assert code == "forbidden"
    expect(notice).to_contain_text("not allowed to make that change")
    assert producer.item("shot", other.id).status == "pending"


def test_a_kiosk_token_cannot_write(kiosk: Page, producer: ThreadedClient) -> None:
    # The kiosk offers nothing to press or fill in
    assert kiosk.locator("button, input, select, textarea, [contenteditable]").count() == 0
    # And a write forged through the page's own socket is refused and changes nothing
    slot = producer.mirror(lambda m: m.slots("st-4")[-1])
    answer = kiosk.evaluate(
        """([id, version]) => mediadayClient.request({ action: "slot.delete", slot_id: id,
                version: version }).then((ack) => ack, (error) => error)""",
        [slot.id, slot.version],
    )
    assert answer["type"] == "error"
    assert answer["code"] == "forbidden"
    producer.run(producer.client.sync())
    assert producer.item("slot", slot.id) is not None
    assert producer.item("slot", slot.id).version == slot.version
