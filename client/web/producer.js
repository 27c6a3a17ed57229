/*
 * Producer console: the board, the calls and the roster of the whole day, in one page. This
 * file boots it: access (producer tokens only), one Client for the page's life, and the
 * context the sections share (producer-board.js, producer-calls.js, producer-roster.js,
 * producer-notices.js, producer-devices.js).
 * The token's role is decoded for display only: the server checks every write.
 */
(function () {
  "use strict";

  var M = window.MediaDay;
  var P = M.Producer;
  var h = M.h;
  var options = M.pageOptions();
  var params = new URLSearchParams(window.location.search);

  var els = {
    dayName: document.getElementById("day-name"),
    daySub: document.getElementById("day-sub"),
    clock: document.getElementById("clock"),
    conn: document.getElementById("conn"),
    banner: document.getElementById("stale-banner"),
    notice: document.getElementById("notice"),
    noticeText: document.getElementById("notice-text"),
    noticeClose: document.getElementById("notice-close"),
    main: document.getElementById("console"),
  };

  var showNotice = M.noticeBar(els);

  var claims = M.tokenClaims(options.token);
  if (!options.token || !claims) {
    showNotice("This console needs a producer token. Open it with ?token=… from `mediaday token --role producer`.");
    els.conn.textContent = "No token";
    return;
  }
  if (claims.role !== "producer") {
    document.body.classList.add("is-refused");
    showNotice("This page is for producers. This link is a " + (claims.role || "unknown") + " link: open /" + (claims.role === "crew" ? "crew" : "kiosk") + " with it instead, or ask for a producer link.");
    els.conn.textContent = "Not a producer";
    return;
  }
  if (claims.exp && claims.exp * 1000 < Date.now()) showNotice("This access token has expired. Issue a new producer link.");

  var client = new M.Client(
    M.clientOptions(options, {
      topics: ["roster", "schedule", "calls", "notices"],
      heartbeatMs: 15000,
      pongTimeoutMs: 5000,
      onChange: function () { render(); },
      onStatus: renderStatus,
      onError: function (error, request) {
        // Writes report their own outcome in place; only unrequested errors land here.
        var write = request && request.action !== "subscribe";
        if (!write && error && error.code !== "offline" && error.code !== "timeout") showNotice(M.errorWords(error));
      },
    })
  );
  window.mediadayClient = client;

  // Frames that are not items (`device`, `pairing`: presence, not mirrored) go to the section
  // that takes their type, before the item code sees them. Only frames that name a taken
  // type are parsed here, so every other frame goes straight on.
  var taps = {};
  var received = client._received;
  client._received = function (data) {
    var types = Object.keys(taps);
    if (typeof data === "string" && types.some(function (type) { return data.indexOf('"' + type + '"') >= 0; })) {
      var frame = null;
      try {
        frame = JSON.parse(data);
      } catch (e) {
        frame = null;
      }
      if (frame && Object.prototype.hasOwnProperty.call(taps, frame.type)) {
        this._contact();
        taps[frame.type](frame);
        return;
      }
    }
    received.call(this, data);
  };
  var mirror = client.mirror;
  var busy = new Set();

  /** Words for a refused write: the catalogue's, with the server's message when it says more. */
  function refusal(error) {
    if (!error) return "";
    if (error.code === "double_booked" || error.code === "not_found" || error.code === "invalid") {
      return (M.ERROR_WORDS[error.code] && error.code !== "invalid" ? M.ERROR_WORDS[error.code] + " " : "") + (error.message || "");
    }
    return M.errorWords(error);
  }

  var ctx = {
    M: M,
    h: h,
    client: client,
    mirror: mirror,
    busy: busy,
    params: params,
    showNotice: showNotice,
    refusal: refusal,
    now: function () { return client.serverNow(); },
    render: function () { render(); },
    /** One write per key at a time (a second click while one is pending is ignored). */
    write: function (key, fields) {
      if (busy.has(key)) return Promise.reject({ code: "pending", message: M.ERROR_WORDS.pending });
      busy.add(key);
      render();
      return client.write(fields).then(
        function (ack) { busy.delete(key); render(); return ack; },
        function (error) { busy.delete(key); render(); throw error; }
      );
    },
    talentLabel: function (id) {
      var t = mirror.get("talent", id);
      if (!t) return id;
      return (t.number ? "#" + t.number + " " : "") + t.name;
    },
    stations: function () {
      return mirror.ofType("station").sort(function (a, b) { return String(a.name).localeCompare(b.name) || (a.id < b.id ? -1 : 1); });
    },
    talents: function () {
      return mirror.ofType("talent").sort(function (a, b) { return String(a.name).localeCompare(b.name) || (a.id < b.id ? -1 : 1); });
    },
    /** Fill a <select> with options [{value, label}], keeping its value; rebuilt only on change. */
    fillSelect: function (select, choices, keep) {
      var key = choices.map(function (c) { return c.value + "=" + c.label; }).join("|");
      var value = keep === undefined ? select.value : keep;
      if (select.getAttribute("data-key") !== key) {
        select.replaceChildren.apply(select, choices.map(function (c) { return h("option", { value: c.value }, c.label); }));
        select.setAttribute("data-key", key);
      }
      select.value = value;
      if (select.selectedIndex < 0 && choices.length) select.selectedIndex = 0; // nothing chosen yet
    },
    /** A short, unused id for a new item: prefix + 6 random hex characters. */
    newId: function (prefix) {
      return prefix + "-" + M.requestId().slice(0, 6);
    },
    /** `handler(frame)` gets every frame of `type` (not an item type) instead of the client. */
    takeFrames: function (type, handler) {
      taps[type] = handler;
    },
  };

  var sections = [P.shift, P.board, P.calls, P.shots, P.notices, P.devices, P.pairing, P.roster, P.csv, P.report];
  sections.forEach(function (section) { section.init(ctx); });

  function render() {
    var focused = document.activeElement && document.activeElement.getAttribute("data-focus-key");
    var now = client.serverNow();
    var day = mirror.ofType("day")[0] || null;
    if (day) {
      M.setTimeZone(day.timezone);
      P.time.setZone(day.timezone);
      els.dayName.textContent = day.name;
      els.daySub.textContent = "Producer console" + (day.venue ? " · " + day.venue : "");
    }
    sections.forEach(function (section) { section.render(ctx, now); });
    els.main.setAttribute("aria-busy", client.status.ready ? "false" : "true");
    if (focused) {
      var again = document.querySelector('[data-focus-key="' + focused + '"]');
      if (again && again !== document.activeElement) again.focus();
    }
    tick();
  }

  var lastMinute = -1;

  function tick() {
    var now = client.serverNow();
    els.clock.textContent = M.clockTime(now);
    sections.forEach(function (section) { if (section.tick) section.tick(ctx, now); });
    var minute = Math.floor(now / 60000);
    if (minute !== lastMinute) {
      lastMinute = minute; // the now line moves once a minute
      render();
    }
  }

  function renderStatus() {
    var label = M.connectionLabel(client.status, client, options.staleMs);
    M.showConnection(els, label, "The board may be out of date; changes cannot be sent until the connection is back.");
    els.main.setAttribute("aria-busy", client.status.ready ? "false" : "true");
  }

  els.main.hidden = false;
  M.startView(client, { render: render, tick: tick, renderStatus: renderStatus }, 1000);
})();
