/*
 * devices.js: what a producer's device actions, and the end of this screen's access, do
 * to a page (docs/protocol.md, "Devices, presence and access").
 *
 * - `command` frames: `identify` flashes the screen's label over the page for `seconds`
 *   (so a producer can tell which tablet is which); `redirect` with a `station_id` shows
 *   that station on a kiosk (the page reloads with `?station=`; the token stays in the
 *   tab, access.js). A crew page's station is its token's, so it ignores redirects.
 * - an `unauthorized` error frame without a request id is the server ending this
 *   connection (token expired or revoked): the client keeps the reason in
 *   `client.accessEnded`, and the connection label says so instead of "Reconnecting".
 *
 * Only short frames that mention a command or `unauthorized` are parsed here (both are a
 * few hundred bytes); every other frame goes straight on to the client.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var Client = M.Client;
  var SHORT = 2048;
  var received = Client.prototype._received;

  Client.prototype._received = function (data) {
    if (typeof data === "string" && data.length < SHORT && mentions(data)) {
      var frame = null;
      try {
        frame = JSON.parse(data);
      } catch (e) {
        frame = null;
      }
      if (frame && frame.type === "command") {
        this._contact();
        runCommand(frame, this);
        return;
      }
      if (frame && frame.type === "error" && !frame.id) this.accessEnded = String(frame.message || "");
    }
    received.call(this, data);
  };

  function mentions(text) {
    return text.indexOf('"command"') >= 0 || text.indexOf('"unauthorized"') >= 0;
  }

  function runCommand(frame, client) {
    if (frame.command === "identify") identify(frame.label || "", frame.seconds || 5);
    else if (frame.command === "redirect") redirect(frame, client);
  }

  /** The label, large, over the whole page for `seconds`; a second identify restarts it. */
  function identify(label, seconds) {
    var doc = global.document;
    var overlay = doc.getElementById("identify");
    if (!overlay) {
      overlay = doc.createElement("div");
      overlay.id = "identify";
      overlay.className = "identify";
      overlay.setAttribute("role", "status");
      doc.body.appendChild(overlay);
    }
    overlay.textContent = label; // text, never HTML
    overlay.hidden = false;
    global.clearTimeout(identify.timer);
    identify.timer = global.setTimeout(function () {
      overlay.hidden = true;
    }, seconds * 1000);
  }

  function redirect(frame, client) {
    var claims = client.claims || {};
    if (claims.role !== "kiosk" || !frame.station_id) return;
    var params = new URLSearchParams(global.location.search);
    if (params.get("station") === frame.station_id) return;
    params.set("station", frame.station_id);
    M.navigate(global.location.pathname + "?" + params.toString());
  }

  /** Where a redirect goes (a function, so tests can watch it instead of leaving). */
  M.navigate = function (url) {
    global.location.assign(url);
  };
  M.identify = identify;
})(window);
