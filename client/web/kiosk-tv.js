/*
 * kiosk-tv.js: what makes the kiosk a TV (issue #16 §4). A TV cannot scroll, so a list
 * that does not fit its panel pages through (PAGE_MS a page, "1/3" under it) instead of
 * shrinking; and a call pushed while the board is live takes the whole screen for a few
 * seconds ("CALL: #32 Sam O'Neill → Video Booth"), through the same takeover as urgent
 * notices (screens.js). Below TV_QUERY (tablets, phones) lists scroll as web pages do.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var knobs = new URLSearchParams(global.location.search);
  // `?page_ms=`: how long each page of a list stays up (tests shorten it).
  var PAGE_MS = Number(knobs.get("page_ms")) || 8000;
  var TV_QUERY = "(min-width: 1100px)"; // the layout in kiosk.css that fills the screen
  // A call older than this on the server's clock when first seen was missed, not pushed.
  var FRESH_CALL_MS = 60000;

  /**
   * The items of `list` in pages that fit its height, one page shown at a time; the page
   * turns every PAGE_MS, and `indicator` says "2/3". Items off the page get `data-off-page`
   *  (an attribute, so the items keep their classes).
   */
  function Pager(list, indicator) {
    var self = this;
    this.list = list;
    this.indicator = indicator;
    this.pages = [];
    this.page = 0;
    list.classList.add("paged");
    global.setInterval(function () { self.turn(); }, PAGE_MS);
    global.addEventListener("resize", function () { self.layout(); });
  }

  /** Replace the items, then split them into pages (keeping the page on show). */
  Pager.prototype.show = function (items) {
    this.list.replaceChildren.apply(this.list, items);
    this.layout();
  };

  Pager.prototype.layout = function () {
    var items = Array.prototype.slice.call(this.list.children);
    items.forEach(function (el) { el.removeAttribute("data-off-page"); });
    this.pages = global.matchMedia(TV_QUERY).matches ? pack(items, this.list.clientHeight) : [items];
    this.page = Math.min(this.page, this.pages.length - 1);
    this.draw();
  };

  Pager.prototype.turn = function () {
    if (this.pages.length < 2) return;
    this.page = (this.page + 1) % this.pages.length;
    this.draw();
  };

  Pager.prototype.draw = function () {
    var page = this.page;
    this.pages.forEach(function (items, i) {
      items.forEach(function (el) { el.toggleAttribute("data-off-page", i !== page); });
    });
    var many = this.pages.length > 1;
    this.indicator.hidden = !many;
    this.indicator.textContent = many ? page + 1 + "/" + this.pages.length : "";
    this.indicator.setAttribute("aria-label", many ? "Page " + (page + 1) + " of " + this.pages.length : "");
    this.list.setAttribute("data-page", String(page + 1));
    this.list.setAttribute("data-pages", String(this.pages.length));
  };

  /** Items (laid out one under another) in pages of at most `room` px; an item taller
   *  than the room gets a page of its own. */
  function pack(items, room) {
    var pages = [];
    var top = 0;
    items.forEach(function (el) {
      var box = el.getBoundingClientRect();
      if (pages.length === 0 || box.bottom - top > room + 1) {
        pages.push([]);
        top = box.top;
      }
      pages[pages.length - 1].push(el);
    });
    return pages.length ? pages : [[]];
  }

  /**
   * Which calls take the screen over: those first seen while the board is live (`ready`),
   * still pending, and pushed within FRESH_CALL_MS on the server's clock. The calls of the
   * first snapshot, of a reconnect's resubscribe and sync (not ready), and old calls a
   * periodic sync catches up on, do not: they are in the calls list already.
   */
  function CallTakeover(stage, words) {
    this.stage = stage;
    this.words = words; // call -> the takeover text
    this.seen = null; // call id -> true; null until the board was first live
  }

  /** `calls`: the board's active calls at `now` (server time); `ready`: the board is live. */
  CallTakeover.prototype.update = function (calls, ready, now) {
    var self = this;
    this.stage.keep("call", calls.map(function (call) { return call.id; }));
    if (!ready) {
      // Catching up after a drop: what the resubscribe brings is not news.
      if (this.seen) calls.forEach(function (call) { self.seen[call.id] = true; });
      return;
    }
    var first = this.seen === null;
    if (first) this.seen = {};
    calls.forEach(function (call) {
      if (self.seen[call.id]) return;
      self.seen[call.id] = true;
      var pushed = call.pushed_at ? Date.parse(call.pushed_at) : now;
      if (first || call.state !== "pending" || now - pushed > FRESH_CALL_MS) return;
      self.stage.show({ kind: "call", id: call.id, label: "Call", text: self.words(call) });
    });
  };

  Object.assign(M, { Pager: Pager, CallTakeover: CallTakeover });
})(window);
