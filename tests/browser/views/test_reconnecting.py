"""A page whose network fails: a black hole, a silent drop, a stack restart. Each is
noticed, said on screen, and caught up on once the network is back. The restart test
stops and starts the folder's stack, so it goes last (this module is the folder's last).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import suppress
from operator import methodcaller
from typing import Any
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import BrowserContext, WebSocketRoute, expect
from playwright.sync_api import Error as PlaywrightError

from infra.local.runner import LocalStack
from tests.browser.support import ThreadedClient, ThreadedFaultProxy, save_screenshot
from tests.browser.views.pages import KIOSK_SIZE, KNOBS, TABLET_SIZE, name_of, station_card

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]


# Issue #16's goal: "Reconnecting" within heartbeat + pong timeout of the link going silent
# (20 s with the crew page's defaults), through a TCP proxy that black-holes the socket:
# Playwright's WebSocket routing closes sockets, a black hole never does.
# MEDIADAY_BLACK_HOLE_DEFAULTS=1 runs it at the defaults (a 20 s test) instead of 2 + 1.5 s.
def test_a_black_holed_socket_shows_reconnecting_within_heartbeat_and_pong_timeout(
    browser_context: BrowserContext,
    local_stack: LocalStack,
    record_property: Callable[[str, object], None],
) -> None:
    defaults = os.environ.get("MEDIADAY_BLACK_HOLE_DEFAULTS") == "1"
    heartbeat, pong = (15.0, 5.0) if defaults else (2.0, 1.5)
    knobs = KNOBS if defaults else f"{KNOBS}&heartbeat_ms=2000&pong_timeout_ms=1500"
    proxy = ThreadedFaultProxy(local_stack.port)
    try:
        # Given a crew tablet whose page and socket both go through the venue's network
        page = browser_context.new_page()
        page.set_viewport_size(TABLET_SIZE)
        page.goto(f"{proxy.url}/crew?token={local_stack.token('crew', 'st-2')}&{knobs}")
        conn = page.locator("#conn")
        expect(conn).to_have_attribute("data-state", "live", timeout=10_000)
        # When the network becomes a black hole (sockets stay open, bytes vanish)
        assert proxy.stall() >= 1
        started = time.monotonic()
        # Then the page says "Reconnecting" within heartbeat + pong timeout ...
        limit = heartbeat + pong
        expect(conn).to_have_attribute("data-state", "reconnecting", timeout=(limit + 5) * 1000)
        noticed = time.monotonic() - started
        record_property("black_hole_to_reconnecting_s", round(noticed, 2))
        print(f"black hole -> Reconnecting in {noticed:.2f} s (goal {limit:g} s)")
        assert noticed <= limit + 0.5
        # ... and a new socket (the old one never closes) brings it back
        expect(conn).to_have_attribute("data-state", "live", timeout=15_000)
        page.close()
    finally:
        proxy.close()


# The page's reconnect backoff cap, as KNOBS sets it for every page of this folder.
BACKOFF_MAX_MS = int(parse_qs(KNOBS)["backoff_max_ms"][0])
# Playwright relays a routed socket's frames through this (sync) test's thread: slack for
# that relay on a loaded machine, on top of what the page itself may take.
HARNESS_MS = 1_000


class VenueWifi:
    """Frames between a page and the server through Wi-Fi that can go out. An outage
    holds frames, it does not lose them: TCP retransmits them once the link is back, so a
    frame on an open socket is late, never missing while later ones pass. (A model that
    dropped them left a socket opened during the outage without its subscribe answer,
    pongs flowing, and the page's patient resume waited 3 request timeouts, 45 s.)"""

    def __init__(self) -> None:
        self.up = True
        self._held: list[Callable[[], None]] = []

    def carry(self, deliver: Callable[[], None]) -> None:
        if self.up:
            deliver()
        else:
            self._held.append(deliver)

    def drop(self) -> None:
        self.up = False

    def restore(self) -> None:
        """Deliver what the outage held, in order, then pass traffic again."""
        while self._held:  # frames relayed meanwhile queue behind the held ones
            deliver = self._held.pop(0)
            with suppress(PlaywrightError):  # its socket closed meanwhile (given up as silent)
                deliver()
        self.up = True


def test_a_silent_network_drop_is_noticed_and_the_kiosk_catches_up(
    browser_context: BrowserContext,
    local_stack: LocalStack,
    producer: ThreadedClient,
    day_under_way: dict[str, Any],
) -> None:
    # Given a kiosk on venue Wi-Fi that can stop passing traffic without closing anything
    wifi = VenueWifi()

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        ws.on_message(lambda message: wifi.carry(lambda: server.send(message)))
        server.on_message(lambda message: wifi.carry(lambda: ws.send(message)))

    page = browser_context.new_page()
    page.set_viewport_size(KIOSK_SIZE)
    page.route_web_socket("**/local*", route)
    pong_timeout_ms = 1500
    knobs = f"{KNOBS}&heartbeat_ms=1000&pong_timeout_ms={pong_timeout_ms}"
    page.goto(f"{local_stack.http_url}/kiosk?token={local_stack.token('kiosk')}&{knobs}")
    conn = page.locator("#conn")
    expect(conn).to_have_attribute("data-state", "live", timeout=10_000)
    slot = producer.item("slot", day_under_way["st-4"]["now"].id)

    # When the Wi-Fi silently drops and the producer changes a slot meanwhile
    wifi.drop()
    producer.write("slot.update", slot_id=slot.id, version=slot.version, changes={"title": "Q&A"})
    # Then the missing pong gives it away: the kiosk marks itself reconnecting
    expect(conn).to_have_attribute("data-state", "reconnecting", timeout=5_000)
    expect(page.locator("#stale-banner")).to_be_visible(timeout=5_000)

    # And when the Wi-Fi is back it reconnects by itself, within its backoff cap plus the
    # new socket's first answers (a pong timeout: slower, the page would call it silent),
    # and shows the change it missed
    wifi.restore()
    within_ms = BACKOFF_MAX_MS + pong_timeout_ms
    expect(conn).to_have_attribute("data-state", "live", timeout=within_ms + HARNESS_MS)
    expect(station_card(page, "st-4").locator(".slot-now .talent-meta")).to_contain_text("Q&A")
    expect(page.locator("#stale-banner")).to_be_hidden()
    page.close()


def test_the_kiosk_shows_it_is_reconnecting_then_the_changes_made_meanwhile(
    browser_context: BrowserContext,
    local_stack: LocalStack,
    producer: ThreadedClient,
    day_under_way: dict[str, Any],
) -> None:
    # Given a kiosk whose network the test can hold down (Wi-Fi still out after a restart)
    network = {"up": True}

    def route(ws: WebSocketRoute) -> None:
        if network["up"]:
            ws.connect_to_server()
        else:
            ws.close(code=1011, reason="network down")

    page = browser_context.new_page()
    page.set_viewport_size(KIOSK_SIZE)
    page.route_web_socket("**/local*", route)
    page.goto(f"{local_stack.http_url}/kiosk?token={local_stack.token('kiosk')}&{KNOBS}")
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=10_000)
    tally = station_card(page, "st-1").locator(".shot-tally")
    # every topic is in: st-1's captured shots show (this test captures one if none is yet)
    captured = str(_captured_at_st_1(producer, day_under_way))
    expect(tally).to_have_attribute("data-captured", captured)
    slot = producer.item("slot", day_under_way["st-3"]["now"].id)
    before = page.locator('.station[data-station-id="st-3"] .slot-now .talent').inner_text()

    # When the stack stops
    network["up"] = False
    local_stack.stop()
    # Then the kiosk says it is reconnecting, with the time of its last update, and dims
    expect(page.locator("#conn")).to_have_attribute("data-state", "reconnecting")
    banner = page.locator("#stale-banner")
    expect(banner).to_be_visible(timeout=5_000)
    expect(banner).to_contain_text("Reconnecting — last update")
    expect(page.locator("body")).to_have_class("kiosk is-stale")
    save_screenshot(page, "kiosk-reconnecting")

    # When the stack is back and the producer changes things while the kiosk is still cut off
    local_stack.start()
    producer.wait_connected(within=20)
    slot = producer.item("slot", slot.id)
    replacement = "t-6" if slot.talent_id != "t-6" else "t-2"
    producer.write(
        "slot.update",
        slot_id=slot.id,
        version=slot.version,
        changes={"talent_id": replacement},
        allow_overlap=True,  # the stretched slot may overlap the replacement's own bookings
    )
    producer.write("call.push", call={"talent_id": "t-3", "station_id": "st-4", "note": "Next"})
    page.wait_for_timeout(500)
    expect(page.locator('.station[data-station-id="st-3"] .slot-now .talent')).to_have_text(before)
    expect(banner).to_be_visible()

    # Then, once the network is back, the kiosk catches up on its own and is live again
    network["up"] = True
    expected = name_of(producer, "talent", replacement)
    expect(page.locator('.station[data-station-id="st-3"] .slot-now .talent')).to_have_text(
        expected, timeout=10_000
    )
    expect(station_card(page, "st-4")).to_have_class("station is-called")
    expect(tally).to_have_attribute("data-captured", captured)
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    expect(banner).to_be_hidden()
    expect(page.locator("body")).to_have_class("kiosk")
    page.close()


def _captured_at_st_1(producer: ThreadedClient, day_under_way: dict[str, Any]) -> int:
    """How many of the st-1 talent's shots are captured, after capturing one if none is:
    the module stands alone, without test_kiosk_and_crew.py's crew tap before it."""
    talent_id = producer.item("slot", day_under_way["st-1"]["now"].id).talent_id

    def shots() -> list[Any]:
        at_station = producer.mirror(methodcaller("shots", "st-1"))
        return [shot for shot in at_station if shot.talent_id == talent_id]

    if not any(shot.status == "captured" for shot in shots()):
        shot = shots()[0]
        producer.write("shot.set_status", shot_id=shot.id, version=shot.version, status="captured")
        producer.wait_until(lambda m: m.get("shot", shot.id).status == "captured", within=5)
    return sum(shot.status == "captured" for shot in shots())
