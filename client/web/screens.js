/*
 * screens.js: what the kiosk and crew screens show of the live day (issue #14) beyond the
 * timeline: the notices banner with its urgent takeover, "running N min late" words,
 * overtime clocks, and the crew's call alerts (flash, vibration, tone, wake lock). Display only: which notices show and how late a station runs are the
 * rules of views.js (the same as client/liveday.py); nothing here talks to the server.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var h = M.h;
  // `?takeover_ms=`: how long an urgent notice holds the whole screen (tests shorten it).
  var TAKEOVER_MS = Number(new URLSearchParams(global.location.search).get("takeover_ms")) || 6000;

  /** "Running 10 min late" / "Running 5 min early" / "" when on time. */
  function lateWords(minutes) {
    if (!minutes) return "";
    return "Running " + Math.abs(minutes) + " min " + (minutes > 0 ? "late" : "early");
  }

  /** The late/early badge of a station, or null when it runs on time. */
  function lateBadge(minutes) {
    var words = lateWords(minutes);
    if (!words) return null;
    return h("p", { class: "late", "data-late-min": minutes, "data-way": minutes > 0 ? "late" : "early" }, words);
  }

  /** Every overtime clock under `root` (`data-over`: the planned end, epoch ms) shows how
   *  far past it `now` is, negative, so it reads as a countdown run out. */
  function showOvertime(root, now) {
    var nodes = root.querySelectorAll("[data-over]");
    for (var i = 0; i < nodes.length; i++) {
      var text = "−" + M.countdown(now - Number(nodes[i].getAttribute("data-over")));
      if (nodes[i].textContent !== text) nodes[i].textContent = text;
    }
  }

  /**
   * The notices banner (`els.notices`) and the urgent takeover (`els.takeover`) of a screen
   * of `station` (null: every station). `update` runs on every render and clock tick, so a
   * notice leaves the moment it expires on the server's clock. An urgent notice takes the
   * screen over the first time this screen sees it (or its new text), for TAKEOVER_MS,
   * then stays in the banner. `whereWords(notice)` names the stations it is aimed at on a
   * screen of every station. `onChange` runs when the banner's height may have changed.
   */
  function NoticeBoard(els, station, whereWords, onChange) {
    this.els = els;
    this.station = station;
    this.whereWords = whereWords;
    this.onChange = onChange;
    this.key = null;
    this.seen = {};
    this.showing = null; // the notice id on the takeover
    this.timer = null;
  }

  NoticeBoard.prototype.update = function (notices, now) {
    var self = this;
    var shown = M.shownNotices(notices, now, this.station);
    var key = shown.map(function (n) { return n.id + ":" + n.version; }).join("|");
    if (key !== this.key) {
      this.key = key;
      this.render(shown);
      if (this.onChange) this.onChange();
    }
    if (this.showing && !shown.some(function (n) { return n.id === self.showing; })) this.endTakeover();
    shown.forEach(function (n) {
      var seenAs = n.id + "\u0000" + n.text;
      if (n.level !== "urgent" || self.seen[seenAs]) return;
      self.seen[seenAs] = true;
      self.takeOver(n);
    });
  };

  NoticeBoard.prototype.render = function (shown) {
    var self = this;
    var rows = shown.map(function (n) {
      var where = self.station ? "" : self.whereWords(n);
      return h(
        "li",
        { class: "notice-item", "data-notice-id": n.id, "data-level": n.level },
        h("span", { class: "notice-level" }, n.level === "urgent" ? "Urgent" : "Notice"),
        h("span", { class: "notice-words" }, n.text, where ? h("span", { class: "notice-where" }, " — " + where) : null)
      );
    });
    this.els.notices.replaceChildren.apply(this.els.notices, rows);
    this.els.notices.hidden = rows.length === 0;
  };

  NoticeBoard.prototype.takeOver = function (notice) {
    var self = this;
    this.showing = notice.id;
    this.els.takeover.setAttribute("data-notice-id", notice.id);
    this.els.takeover.replaceChildren(
      h("p", { class: "takeover-label" }, "Urgent"),
      h("p", { class: "takeover-text" }, notice.text)
    );
    this.els.takeover.hidden = false;
    global.clearTimeout(this.timer);
    this.timer = global.setTimeout(function () { self.endTakeover(); }, TAKEOVER_MS);
  };

  NoticeBoard.prototype.endTakeover = function () {
    global.clearTimeout(this.timer);
    this.showing = null;
    this.els.takeover.hidden = true;
  };

  // -- crew alerts (issue #16 §4): flash, vibration, a short tone, screen kept awake -------

  var audio = null; // one AudioContext, created on the first tap (browsers allow sound after one)

  function unlockSound() {
    var Context = global.AudioContext || global.webkitAudioContext;
    if (!Context) return;
    try {
      if (!audio) audio = new Context();
      if (audio.state === "suspended") audio.resume();
    } catch (e) {
      audio = null; // no sound on this browser: the flash and vibration remain
    }
  }

  /** Two short beeps from an oscillator (no sound file); silent until sound is allowed. */
  function beep() {
    if (!audio || audio.state !== "running") return false;
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
      vibrate = false;
    }
    return { flash: true, vibrate: vibrate, sound: beep() };
  }

  /** Keep the screen on (Screen Wake Lock API, where available), again whenever the page
   *  comes back into view (the browser releases the lock when it is hidden). */
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
    global.document.addEventListener("pointerdown", unlockSound, { passive: true });
    request();
    return state;
  }

  Object.assign(M, {
    alertCall: alertCall,
    keepAwake: keepAwake,
    lateWords: lateWords,
    lateBadge: lateBadge,
    showOvertime: showOvertime,
    NoticeBoard: NoticeBoard,
  });
})(window);
