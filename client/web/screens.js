/*
 * screens.js: what the kiosk and crew screens show of the live day (issue #14) beyond the
 * timeline: the notices banner with its urgent takeover, "running N min late" words,
 * overtime clocks, and the one full-screen takeover (urgent notices, the kiosk's calls).
 * Display only: which notices show and how late a station runs are the rules of views.js
 * (the same as client/liveday.py); nothing here talks to the server. The crew's call
 * alerts (tone, vibration, flash, wake lock) are crew-alerts.js.
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

  /** A screen's clock tick: the wall clock (`els.clock`), then every countdown and
   *  overtime clock under `root`, and the notices banner (a notice may just have expired). */
  function tickScreen(els, root, notices, mirror, now) {
    els.clock.textContent = M.clockTime(now);
    M.showCountdowns(root, now);
    showOvertime(root, now);
    notices.update(mirror.ofType("notice"), now);
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
    this.stage = new Takeover(els.takeover); // shared with the kiosk's call takeover
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
    this.stage.keep("notice", shown.map(function (n) { return n.id; }));
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
    this.stage.show({ kind: "notice", id: notice.id, label: "Urgent", text: notice.text });
  };

  /**
   * The full-screen takeover (`el`, #takeover) of a screen, one thing at a time for
   * TAKEOVER_MS: an urgent notice (kind "notice") or a pushed call (kind "call", kiosk).
   * An urgent notice cuts a call short (the call stays in the calls list); a call waits
   * for the notice, then for the calls before it. Showing the same thing again restarts it.
   */
  function Takeover(el) {
    this.el = el;
    this.current = null; // {kind, id, label, text}
    this.queue = [];
    this.timer = null;
  }

  Takeover.prototype.showing = function (kind) {
    return !!this.current && this.current.kind === kind;
  };

  Takeover.prototype.show = function (entry) {
    var same = this.current && this.current.kind === entry.kind && this.current.id === entry.id;
    if (this.current && !same && !(entry.kind === "notice" && this.current.kind === "call")) {
      this.queue.push(entry);
      return;
    }
    var self = this;
    this.current = entry;
    this.el.removeAttribute("data-notice-id");
    this.el.removeAttribute("data-call-id");
    this.el.setAttribute("data-kind", entry.kind);
    this.el.setAttribute("data-" + entry.kind + "-id", entry.id);
    this.el.replaceChildren(h("p", { class: "takeover-label" }, entry.label), h("p", { class: "takeover-text" }, entry.text));
    this.el.hidden = false;
    global.clearTimeout(this.timer);
    this.timer = global.setTimeout(function () { self.end(entry.kind); }, TAKEOVER_MS);
  };

  /** Only the `ids` of `kind` may stay on or wait for the screen (the others expired,
   *  were cleared or were answered). */
  Takeover.prototype.keep = function (kind, ids) {
    var wanted = {};
    ids.forEach(function (id) { wanted[id] = true; });
    this.queue = this.queue.filter(function (entry) { return entry.kind !== kind || wanted[entry.id]; });
    if (this.showing(kind) && !wanted[this.current.id]) this.end(kind);
  };

  /** End what is shown if it is of `kind`, then show the next in line. */
  Takeover.prototype.end = function (kind) {
    if (!this.showing(kind)) return;
    global.clearTimeout(this.timer);
    this.current = null;
    this.el.hidden = true;
    var next = this.queue.shift();
    if (next) this.show(next);
  };

  Object.assign(M, {
    lateWords: lateWords,
    lateBadge: lateBadge,
    showOvertime: showOvertime,
    tickScreen: tickScreen,
    NoticeBoard: NoticeBoard,
    Takeover: Takeover,
  });
})(window);
