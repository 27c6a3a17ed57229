/*
 * pairing.js: a kiosk or crew page opened without a token pairs itself (docs/protocol.md,
 * "Device pairing"). It covers the page with a big code, read off the TV across a room,
 * and waits: a producer approves the code in the console, the server sends this socket
 * (and only it) a token, the page keeps it where pages keep tokens (access.js: the tab's
 * sessionStorage, never the URL) and reloads, live.
 *
 * The socket is its own (`?pair`, no token, no subprotocol): a waiting screen may only
 * `ping` and `pair.start`, so the shared Client, which subscribes at once, is not used.
 * A code is asked for again before it expires; a silent or closed socket is replaced
 * after a jittered, capped backoff (a refused connect, 429, lands here too).
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var doc = global.document;
  var params = new URLSearchParams(global.location.search);
  var access = M.pageAccess(params);
  if (access.token) return; // a page with a token starts as usual

  var PING_MS = 20000;
  var SILENT_MS = 30000; // nothing heard this long: the socket is dead
  var BACKOFF_MS = [1000, 30000];
  var SEPARATOR = "-"; // shown between the halves of a code: "K7M-4QX"

  var socket = null;
  var attempt = 0;
  var timers = {};
  var lastHeard = 0;
  var offsetMs = 0; // server time minus local time
  var code = null;
  var codeExpiresAt = 0; // local epoch ms
  var finished = false;
  var els = overlay();
  M.pairing = { active: true }; // kiosk.js / crew.js find no token and stop: this page pairs

  function overlay() {
    var h = M.h;
    var parts = {
      code: h("p", { class: "pairing-code", id: "pairing-code", "aria-live": "polite" }, "······"),
      status: h("p", { class: "pairing-status", id: "pairing-status", role: "status" }, "Connecting…"),
      again: h("button", { type: "button", class: "btn pairing-again", hidden: true, onclick: restart }, "Ask for a new code"),
    };
    var role = doc.body.classList.contains("crew") ? "crew tablet" : "screen";
    var box = h(
      "div",
      { class: "pairing", id: "pairing", role: "dialog", "aria-modal": "true", "aria-labelledby": "pairing-title" },
      h("h1", { id: "pairing-title", class: "pairing-title" }, "Pair this " + role),
      parts.code,
      h("p", { class: "pairing-help" }, "A producer opens the console, Pending devices, and approves this code."),
      parts.status,
      parts.again
    );
    doc.body.appendChild(box); // pairing.css hides the rest of the page meanwhile
    doc.body.classList.add("is-pairing");
    return parts;
  }

  function show(text) {
    els.status.textContent = text;
  }

  function spaced(value) {
    return value.slice(0, 3) + SEPARATOR + value.slice(3);
  }

  function url() {
    return access.url + (access.url.indexOf("?") >= 0 ? "&" : "?") + "pair";
  }

  function connect() {
    if (finished) return;
    try {
      socket = new global.WebSocket(url());
    } catch (e) {
      retry();
      return;
    }
    var mine = socket;
    mine.onopen = function () {
      if (socket !== mine) return;
      attempt = 0;
      lastHeard = Date.now();
      askForCode();
      timers.ping = global.setInterval(ping, PING_MS);
    };
    mine.onmessage = function (event) {
      if (socket === mine) received(event.data);
    };
    mine.onclose = function () {
      if (socket !== mine) return;
      socket = null;
      clear();
      if (!finished) retry();
    };
  }

  function send(action) {
    if (!socket || socket.readyState !== global.WebSocket.OPEN) return;
    socket.send(JSON.stringify({ action: action, id: action + "-" + M.requestId() }));
  }

  function askForCode() {
    send("pair.start");
  }

  function ping() {
    if (Date.now() - lastHeard > SILENT_MS && socket) {
      var dead = socket;
      socket = null; // replaced now, not when the browser gives up on it
      clear();
      dead.close();
      retry();
      return;
    }
    send("ping");
  }

  function received(data) {
    var frame;
    try {
      frame = JSON.parse(data);
    } catch (e) {
      return;
    }
    lastHeard = Date.now();
    if (typeof frame.server_time === "number") offsetMs = frame.server_time - Date.now();
    if (frame.type === "ack" && frame.action === "pair.start") showCode(frame.item);
    else if (frame.type === "paired") paired(frame);
    else if (frame.type === "error") refused(frame);
  }

  function showCode(item) {
    code = String(item.code);
    codeExpiresAt = Number(item.expires_at) - offsetMs;
    els.code.textContent = spaced(code);
    els.code.setAttribute("aria-label", "Pairing code " + code.split("").join(" "));
    els.again.hidden = true;
    tick();
  }

  function tick() {
    global.clearTimeout(timers.tick);
    if (!code || finished) return;
    var left = Math.round((codeExpiresAt - Date.now()) / 1000);
    if (left <= 0) {
      code = null;
      show("Getting a new code…");
      askForCode();
      return;
    }
    show("Waiting for approval · code valid for " + Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0"));
    timers.tick = global.setTimeout(tick, 1000);
  }

  function paired(frame) {
    finished = true;
    clear();
    els.code.textContent = "✓";
    var what = frame.label || frame.role;
    // The role's own page: a screen opened as /crew but paired as a kiosk becomes /kiosk.
    var path = global.location.pathname.replace(/(kiosk|crew|producer)(\.html)?$/, frame.role + "$2");
    if (!M.keepToken(frame.token, path)) {
      show("Paired as " + what + ", but this browser keeps no session storage: allow it and pair again.");
      return;
    }
    show("Paired as " + what + ". Starting…");
    var next = new URLSearchParams(global.location.search);
    next.delete("station");
    if (frame.role === "kiosk" && frame.station_id) next.set("station", frame.station_id);
    var query = next.toString();
    global.location.replace(path + (query ? "?" + query : ""));
  }

  function refused(frame) {
    if (frame.code === "pairing_rate_limited") {
      show("Too many screens are pairing from this network right now: a new code follows in a minute.");
      global.clearTimeout(timers.tick);
      timers.tick = global.setTimeout(askForCode, 60000);
    } else if (frame.code === "unauthorized" && frame.id) {
      if (socket) socket.close(); // the server forgot this screen: a new socket, a new code
    } else if (frame.code === "unauthorized") {
      // A producer declined this screen: the server closes the socket; wait for a person.
      finished = true;
      clear();
      code = null;
      els.code.textContent = "······";
      show("A producer declined this screen.");
      els.again.hidden = false;
    } else {
      show(String(frame.message || frame.code));
    }
  }

  function restart() {
    finished = false;
    attempt = 0;
    els.again.hidden = true;
    show("Connecting…");
    connect();
  }

  function retry() {
    global.clearTimeout(timers.reconnect);
    var ceiling = Math.min(BACKOFF_MS[1], BACKOFF_MS[0] * Math.pow(2, attempt));
    var delay = ceiling / 2 + Math.random() * (ceiling / 2);
    attempt += 1;
    code = null;
    show("Connecting… (trying again in " + Math.ceil(delay / 1000) + " s)");
    timers.reconnect = global.setTimeout(connect, delay);
  }

  function clear() {
    global.clearInterval(timers.ping);
    global.clearTimeout(timers.tick);
  }

  connect();
})(window);
