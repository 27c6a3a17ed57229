/*
 * views.js: what the kiosk and crew views share: times in the venue's zone, countdowns,
 * a station's timeline, names from the mirror, the connection label and a tiny element
 * builder. Loaded after the client scripts (see mediaday.js); nothing here talks to the
 * server.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var ACTIVE_CALL_STATES = ["pending", "en-route", "arrived"];
  var DEFAULT_STALE_MS = 4000; // how long cut off before the data on screen counts as stale

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // Times show in the media day's time zone (the venue's), whatever the screen is set to.
  var formats = null;

  function setTimeZone(zone) {
    try {
      var base = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone || undefined };
      formats = {
        zone: zone,
        hm: new Intl.DateTimeFormat("en-GB", base),
        hms: new Intl.DateTimeFormat("en-GB", Object.assign({ second: "2-digit" }, base)),
      };
    } catch (e) {
      formats = null; // an unknown zone name: fall back to the screen's own
    }
  }

  /** "hh:mm:ss" of an epoch-ms moment. */
  function clockTime(ms) {
    if (formats) return formats.hms.format(new Date(ms));
    var d = new Date(ms);
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }

  function hourMinute(ms) {
    if (formats) return formats.hm.format(new Date(ms));
    var d = new Date(ms);
    return pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  /** "4:05" or "1:02:03" for a duration; never negative. */
  function countdown(ms) {
    var total = Math.max(0, Math.ceil(ms / 1000));
    var h = Math.floor(total / 3600);
    var m = Math.floor((total % 3600) / 60);
    var s = total % 60;
    return h > 0 ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  /**
   * A station's slots in time order, with the current one and the next one at `now`.
   * The athlete marked arrived stays current until marked done, even past the planned
   * end; the slots planned during that overrun wait behind it (client/liveday.py).
   */
  function stationTimeline(slots, now) {
    var sorted = slots.slice().sort(function (a, b) {
      return Date.parse(a.starts_at) - Date.parse(b.starts_at) || (a.id < b.id ? -1 : 1);
    });
    var current = null;
    sorted.forEach(function (slot) {
      if (slot.actual_start && !slot.actual_end) {
        if (current === null || Date.parse(slot.actual_start) > Date.parse(current.actual_start)) {
          current = slot;
        }
      }
    });
    if (current === null) {
      sorted.forEach(function (slot) {
        var start = Date.parse(slot.starts_at);
        var end = Date.parse(slot.ends_at);
        if (start <= now && now < end && !slot.actual_end && current === null) current = slot;
      });
    }
    var after = current ? Date.parse(current.starts_at) : now;
    var next = null;
    sorted.forEach(function (slot) {
      if (slot === current || slot.actual_start || slot.actual_end) return;
      if (Date.parse(slot.starts_at) > after && next === null) next = slot;
    });
    return { slots: sorted, current: current, next: next };
  }

  /** How long the current slot runs past its planned end (ms), or 0. */
  function overtimeMs(slot, now) {
    if (!slot || slot.actual_end) return 0;
    return Math.max(0, now - Date.parse(slot.ends_at));
  }

  /**
   * Minutes later than planned the station's next slot will start (negative: early):
   * its shift (`starts_at` - `planned_starts_at`), or more while the current slot overruns
   * past the next one's start.
   */
  function minutesLate(slots, now) {
    var line = stationTimeline(slots, now);
    if (!line.next) return 0;
    var planned = Date.parse(line.next.planned_starts_at || line.next.starts_at);
    var expected = Date.parse(line.next.starts_at);
    if (line.current && overtimeMs(line.current, now) > 0 && now > expected) expected = now;
    return Math.round((expected - planned) / 60000);
  }

  /** The notices a screen of `station` (null: every station) shows now: not cleared, not
   * expired on the server's clock, aimed at all or at it; urgent first, newest first. */
  function shownNotices(notices, now, station) {
    return notices
      .filter(function (n) {
        if (n.deleted || (n.expires_at && Date.parse(n.expires_at) <= now)) return false;
        var aimed = n.stations || [];
        return aimed.length === 0 || !station || aimed.indexOf(station) >= 0;
      })
      .sort(function (a, b) {
        var urgent = (b.level === "urgent") - (a.level === "urgent");
        return urgent || b.rev - a.rev;
      });
  }

  function isActiveCall(call) {
    return !call.deleted && ACTIVE_CALL_STATES.indexOf(call.state) >= 0;
  }

  /** A talent's name from the mirror; the id while the roster has not arrived. */
  function talentName(mirror, id) {
    var t = mirror.get("talent", id);
    return t ? t.name : id;
  }

  /** A talent's number, team and position ("#7 · team · position"); empty when unknown. */
  function talentMeta(mirror, id) {
    var t = mirror.get("talent", id);
    if (!t) return "";
    return [t.number ? "#" + t.number : "", t.team, t.position].filter(Boolean).join(" · ");
  }

  /** A station's name from the mirror; the id while the roster has not arrived. */
  function stationName(mirror, id) {
    var s = mirror.get("station", id);
    return s ? s.name : id;
  }

  /** The page's options from its own URL: token and API (access.js: the token leaves the
   *  address bar, `ws` only from the allow-list), test knobs. */
  function pageOptions() {
    var params = new URLSearchParams(global.location.search);
    var options = M.pageAccess(params);
    [
      ["heartbeat_ms", "heartbeatMs"],
      ["pong_timeout_ms", "pongTimeoutMs"],
      ["backoff_max_ms", "backoffMaxMs"],
      ["stale_ms", "staleMs"],
    ].forEach(function (pair) {
      var value = Number(params.get(pair[0]));
      if (value > 0) options[pair[1]] = value;
    });
    return options;
  }

  /** A tiny element builder: h("div", {class: "x"}, child, "text"). Text is never HTML. */
  function h(tag, attrs) {
    var el = global.document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name.slice(0, 2) === "on") el.addEventListener(name.slice(2), value);
      else el.setAttribute(name, value === true ? "" : String(value));
    });
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function append(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(el, c); });
    else el.appendChild(typeof child === "object" ? child : global.document.createTextNode(String(child)));
  }

  /**
   * The connection pill both views show: unobtrusive when live, plain words otherwise.
   * `stale` turns true once the view has been cut off for longer than `staleMs` (the
   * page's `?stale_ms=`, else 4 s): from then on the data on screen must not pass for
   * current. (A silently dead socket is caught by the pong timeout, which closes it and so
   * starts this clock.)
   */
  function connectionLabel(status, client, staleMs) {
    var last = status.lastContact
      ? " — last update " + clockTime(status.lastContact + client.clockOffsetMs)
      : "";
    if (status.state === "live") return { state: "live", text: "Live", stale: false };
    if (client.accessEnded && /revoked/.test(client.accessEnded)) {
      // devices.js: a producer revoked this screen's access; only a new link helps.
      return { state: "reconnecting", text: "Access revoked — ask a producer for a new link", stale: true };
    }
    var claims = client.claims;
    if (claims && typeof claims.exp === "number" && claims.exp * 1000 <= client.serverNow()) {
      // The server refuses an expired token; retrying cannot help, a new link can.
      return { state: "reconnecting", text: "Access expired — ask a producer for a new link", stale: true };
    }
    if (!status.everLive) {
      // Nothing on screen yet, so nothing can be stale.
      var text = status.attempts > 0 ? "Cannot reach the server — retrying" : "Connecting…";
      return { state: "connecting", text: text, stale: false };
    }
    var stale = status.state === "stopped" || Date.now() - status.since > (staleMs || DEFAULT_STALE_MS);
    return { state: "reconnecting", text: "Reconnecting" + last, stale: stale };
  }

  /**
   * A connection label in a page's pill (`els.conn`), its stale dimming and its banner
   * (`els.banner`: the label, then the page's `warning`). `onBannerToggle` runs when the
   * banner appears or goes away (the kiosk refits the board to the screen).
   */
  function showConnection(els, label, warning, onBannerToggle) {
    if (els.conn.getAttribute("data-state") !== label.state || els.conn.textContent !== label.text) {
      els.conn.setAttribute("data-state", label.state);
      els.conn.textContent = label.text;
    }
    global.document.body.classList.toggle("is-stale", label.stale);
    if (els.banner.hidden === label.stale) {
      els.banner.hidden = !label.stale;
      if (onBannerToggle) onBannerToggle();
    }
    if (label.stale) {
      var text = label.text + ". " + warning;
      if (els.banner.textContent !== text) els.banner.textContent = text;
    }
  }

  /**
   * A view's renderStatus(client): the connection label and stale banner (showConnection), and,
   * when the client is ready for the first time, one more `render()`, so what is on
   * screen then is the baseline that later changes (a new call) are announced against.
   */
  function readyStatus(els, render, staleMs, warning, onBannerToggle) {
    var wasReady = false;
    return function renderStatus(client) {
      if (client.status.ready && !wasReady) {
        wasReady = true;
        render();
      }
      showConnection(els, connectionLabel(client.status, client, staleMs), warning, onBannerToggle);
    };
  }

  /** The page's notice bar (`els.notice`, `els.noticeText`, `els.noticeClose`): wires its
   * close button and returns showNotice(text). */
  function noticeBar(els) {
    els.noticeClose.addEventListener("click", function () {
      els.notice.hidden = true;
    });
    return function showNotice(text) {
      els.noticeText.textContent = text;
      els.notice.hidden = false;
    };
  }

  /** Start a view: draw it, connect, then redraw its clocks and label every `everyMs`. */
  function startView(client, view, everyMs) {
    global.setInterval(function () {
      view.tick();
      view.renderStatus();
    }, everyMs);
    view.render();
    view.renderStatus();
    client.start();
  }

  /** Every countdown under `root` (`data-until`, epoch ms) shows the time left at `now`. */
  function showCountdowns(root, now) {
    var nodes = root.querySelectorAll("[data-until]");
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].textContent = countdown(Number(nodes[i].getAttribute("data-until")) - now);
    }
  }

  /**
   * What a page hands `new MediaDay.Client`: the page's own settings (topics, callbacks,
   * default timings), with any timing given in the URL (`params`, see pageOptions) winning
   * so a test or a slow venue link can tune it without a new build.
   */
  function clientOptions(params, page) {
    return Object.assign({}, page, {
      url: params.url,
      token: params.token,
      heartbeatMs: params.heartbeatMs || page.heartbeatMs,
      pongTimeoutMs: params.pongTimeoutMs || page.pongTimeoutMs,
      backoffMaxMs: params.backoffMaxMs || page.backoffMaxMs || 8000,
    });
  }

  Object.assign(M, {
    clockTime: clockTime,
    setTimeZone: setTimeZone,
    hourMinute: hourMinute,
    countdown: countdown,
    stationTimeline: stationTimeline,
    overtimeMs: overtimeMs,
    minutesLate: minutesLate,
    shownNotices: shownNotices,
    isActiveCall: isActiveCall,
    talentName: talentName,
    talentMeta: talentMeta,
    stationName: stationName,
    pageOptions: pageOptions,
    clientOptions: clientOptions,
    connectionLabel: connectionLabel,
    showConnection: showConnection,
    readyStatus: readyStatus,
    noticeBar: noticeBar,
    startView: startView,
    showCountdowns: showCountdowns,
    h: h,
  });
})(window);
