/*
 * crew-alerts.js: a new call for the crew's station must not be missed (issue #16 §4):
 * the calls card flashes, the device vibrates and plays a generated tone where the browser
 * allows, and the screen is kept awake. Browsers play sound only after a user gesture, so
 * the page has a sound toggle: "Tap to enable sound" until a gesture has unlocked audio
 * (the toggle itself, or any tap on the page), then "Sound on" / "Sound off"; the choice
 * is remembered on the device (localStorage), the unlock cannot be and is asked again.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var SOUND_KEY = "mediaday.sound"; // "off" when the crew muted this device
  var audio = null; // one AudioContext, created on the first gesture
  var muted = readMuted();
  var listeners = [];
  var toggle = null; // the sound toggle: its own tap decides, not the page-wide unlock

  function readMuted() {
    try {
      return global.localStorage.getItem(SOUND_KEY) === "off";
    } catch (e) {
      return false; // storage blocked: sound on by default
    }
  }

  function saveMuted() {
    try {
      global.localStorage.setItem(SOUND_KEY, muted ? "off" : "on");
    } catch (e) {
      /* storage blocked: the choice lasts as long as the page */
    }
  }

  /** "on", "off" (muted by the crew), "locked" (no gesture yet) or "none" (no Web Audio). */
  function soundState() {
    if (muted) return "off";
    if (!(global.AudioContext || global.webkitAudioContext)) return "none";
    return audio && audio.state === "running" ? "on" : "locked";
  }

  function changed() {
    listeners.forEach(function (listener) { listener(soundState()); });
  }

  /** Create or resume the AudioContext: only works inside a user gesture. */
  function unlockSound() {
    var Context = global.AudioContext || global.webkitAudioContext;
    if (!Context) return;
    try {
      if (!audio) {
        audio = new Context();
        audio.addEventListener("statechange", changed);
      }
      if (audio.state === "suspended") audio.resume().then(changed, changed);
    } catch (e) {
      audio = null; // no sound on this browser: the flash and vibration remain
    }
    changed();
  }

  /** Two short 880 Hz beeps from an oscillator (no sound file); false when it cannot sound. */
  function beep() {
    if (muted || !audio || audio.state !== "running") return false;
    [0, 0.25].forEach(function (at) {
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.25, audio.currentTime + at);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + at + 0.18);
      tone.connect(gain).connect(audio.destination);
      tone.start(audio.currentTime + at);
      tone.stop(audio.currentTime + at + 0.2);
    });
    return true;
  }

  var TOGGLE_WORDS = {
    on: "Sound on",
    off: "Sound off",
    locked: "Tap to enable sound",
    none: "No sound on this device",
  };

  /**
   * The sound toggle (`button`): a tap unlocks audio and plays the tone once, so the crew
   * hears what an alert sounds like; a tap on "Sound on" mutes, on "Sound off" unmutes.
   */
  function soundToggle(button) {
    function show(state) {
      button.setAttribute("data-state", state);
      button.setAttribute("aria-pressed", state === "on" ? "true" : "false");
      button.textContent = TOGGLE_WORDS[state];
      button.disabled = state === "none";
    }
    toggle = button;
    listeners.push(show);
    button.addEventListener("click", function () {
      muted = soundState() === "on";
      saveMuted();
      unlockSound();
      beep();
      changed();
    });
    show(soundState());
  }

  /**
   * A new call for this station: flash `el` (CSS, `is-alerting` for 3 s), vibrate and
   * beep where the browser allows. Returns what it could do, e.g. {flash, vibrate, sound}.
   */
  function alertCall(el) {
    el.classList.remove("is-alerting");
    void el.offsetWidth; // restart the animation on a second call
    el.classList.add("is-alerting");
    global.clearTimeout(alertCall.timer);
    alertCall.timer = global.setTimeout(function () { el.classList.remove("is-alerting"); }, 3000);
    var nav = global.navigator;
    var vibrate = false;
    try {
      vibrate = typeof nav.vibrate === "function" && nav.vibrate([200, 100, 200]) === true;
    } catch (e) {
      vibrate = false; // not allowed (no gesture yet, or a policy): the flash remains
    }
    return { flash: true, vibrate: vibrate, sound: beep() };
  }

  /** Keep the screen on (Screen Wake Lock API, where available), again whenever the page
   *  comes back into view (the browser releases the lock when it is hidden). Any tap on
   *  the page also unlocks sound. */
  function keepAwake() {
    var state = { supported: !!(global.navigator.wakeLock && global.navigator.wakeLock.request), held: false };
    function request() {
      if (!state.supported || global.document.visibilityState !== "visible") return;
      global.navigator.wakeLock.request("screen").then(
        function (lock) {
          state.held = true;
          lock.addEventListener("release", function () { state.held = false; });
        },
        function () { state.held = false; } // refused (battery saver, policy): nothing to do
      );
    }
    global.document.addEventListener("visibilitychange", request);
    global.document.addEventListener("pointerdown", function (event) {
      if (soundState() === "locked" && !(toggle && toggle.contains(event.target))) unlockSound();
    }, { passive: true });
    request();
    return state;
  }

  Object.assign(M, { alertCall: alertCall, keepAwake: keepAwake, soundToggle: soundToggle });
})(window);
