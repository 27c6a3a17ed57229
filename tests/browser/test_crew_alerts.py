"""The crew's call alerts (issue #16 §4), in Chromium over a scripted socket
(tests/browser/screens.py): the sound toggle that unlocks audio with a user gesture, the
generated tone, muting that is remembered, and the wake lock taken again when the page
comes back into view. Flash, vibration and the phone layout: test_screens_crew.py.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.screens import CURRENT, DEVICE, PHONE_DAY, PHONE_SIZE, TABLET_SIZE, token
from tests.browser.support import save_screenshot

pytestmark = pytest.mark.browser

# Web Audio, recorded: like Chromium, the context starts suspended and resumes only
# within a user gesture (navigator.userActivation); each oscillator started is a tone.
AUDIO = """
window.tones = [];
window.AudioContext = class {
  constructor() { this.state = "suspended"; this.currentTime = 0; this.destination = {};
                  this.listeners = []; }
  addEventListener(type, listener) { this.listeners.push(listener); }
  resume() {
    if (navigator.userActivation.isActive) this.state = "running";
    this.listeners.forEach((listener) => listener());
    return Promise.resolve();
  }
  createOscillator() { return { frequency: { value: 0 }, connect: (node) => node,
    start() { tones.push(this.frequency.value); }, stop() {} }; }
  createGain() { return { connect: (node) => node,
    gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} } }; }
};
"""


def _push_call(crew: Page, call_id: str) -> None:
    crew.evaluate(
        f"""() => push({{ type: "call", id: "{call_id}", version: 1, station_id: "st-1",
                         talent_id: "t-2", state: "pending" }})"""
    )
    expect(crew.locator(f'#calls li[data-call-id="{call_id}"]')).to_have_count(1)


# ---------------------------------------------------------------------------------------
def test_the_sound_toggle_unlocks_the_alert_tone_and_muting_is_remembered(
    open_screen: Callable[..., Page],
) -> None:
    # Given a crew tablet that nobody has touched yet
    crew = open_screen("crew", token("crew", "st-1"), TABLET_SIZE, CURRENT, DEVICE + AUDIO)
    toggle = crew.locator("#sound-toggle")
    expect(toggle).to_have_text("Tap to enable sound")
    expect(toggle).to_have_attribute("data-state", "locked")
    # When a call comes: it flashes and vibrates, but the browser allows no sound yet
    _push_call(crew, "call-1")
    assert crew.evaluate("() => mediadayAlert") == {"flash": True, "vibrate": True, "sound": False}
    assert crew.evaluate("() => tones") == []

    # When the crew taps the toggle: sound is on, and they hear the alert once (880 Hz x 2)
    toggle.click()
    expect(toggle).to_have_attribute("data-state", "on")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert crew.evaluate("() => tones") == [880, 880]
    # Then the next call beeps
    _push_call(crew, "call-2")
    assert crew.evaluate("() => mediadayAlert.sound") is True
    assert crew.evaluate("() => tones.length") == 4
    save_screenshot(crew, "crew-tablet-call")

    # When they mute it: the next call is silent (still flashing), and the choice is kept
    toggle.click()
    expect(toggle).to_have_text("Sound off")
    _push_call(crew, "call-3")
    assert crew.evaluate("() => mediadayAlert") == {"flash": True, "vibrate": True, "sound": False}
    assert crew.evaluate("() => tones.length") == 4
    assert crew.evaluate("() => localStorage.getItem('mediaday.sound')") == "off"
    crew.evaluate("() => localStorage.removeItem('mediaday.sound')")


def test_the_wake_lock_is_taken_again_when_the_page_comes_back_into_view(
    open_screen: Callable[..., Page],
) -> None:
    # Given a crew tablet holding a wake lock
    crew = open_screen("crew", token("crew", "st-1"), TABLET_SIZE, CURRENT, DEVICE)
    assert crew.evaluate("() => wakeRequests") == ["screen"]
    # When the page is hidden (the browser drops the lock), nothing is asked while hidden
    crew.evaluate(
        """() => { window.visibility = "hidden";
             Object.defineProperty(document, "visibilityState", { configurable: true,
               get: () => window.visibility });
             document.dispatchEvent(new Event("visibilitychange")); }"""
    )
    assert crew.evaluate("() => wakeRequests") == ["screen"]
    # Then coming back into view asks for it again
    crew.evaluate(
        """() => { window.visibility = "visible";
             document.dispatchEvent(new Event("visibilitychange")); }"""
    )
    assert crew.evaluate("() => wakeRequests") == ["screen", "screen"]


def test_on_a_phone_any_first_tap_unlocks_sound_and_the_page_fits_the_screen(
    open_screen: Callable[..., Page],
) -> None:
    # Given a crew phone (390x844) with a long unbroken shot description
    crew = open_screen("crew", token("crew", "st-1"), PHONE_SIZE, PHONE_DAY, DEVICE + AUDIO)
    toggle = crew.locator("#sound-toggle")
    expect(toggle).to_have_attribute("data-state", "locked")
    # When the crew taps anywhere (here: the shot list's heading)
    crew.locator("#shots-title").click()
    # Then sound is unlocked without a beep, and a call alerts with it
    expect(toggle).to_have_attribute("data-state", "on")
    assert crew.evaluate("() => tones") == []
    _push_call(crew, "call-9")
    assert crew.evaluate("() => mediadayAlert.sound") is True
    # And the page, toggle included, is no wider than the phone
    assert crew.evaluate("() => document.documentElement.scrollWidth") <= PHONE_SIZE["width"]
    toggle_box = toggle.bounding_box()
    assert toggle_box is not None and toggle_box["x"] + toggle_box["width"] <= PHONE_SIZE["width"]
    save_screenshot(crew, "crew-phone-sound-on")
