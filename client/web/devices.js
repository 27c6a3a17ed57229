/*
 * devices.js: what a producer's device actions, and the end of this screen's access, do
 * to a page (docs/protocol.md, "Devices, presence and access").
 *
 * - `command` frames: `identify` flashes the screen's label over the page for `seconds`
 *   (so a producer can tell which tablet is which); `redirect` with a `station_id` shows
 *   that station on a kiosk or a crew tablet (the page reloads with `?station=`; the token
 *   stays in the tab, access.js). A crew's writes stay bound to its token's station: on
 *   another station the crew page only shows, says so, and offers the way back.
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
  var SHORT = 2048;

  M.claimFrames(SHORT, mentions, function (client, frame) {
    if (frame.type === "command") {
      runCommand(frame, client);
      return true;
    }
    if (frame.type === "error" && !frame.id) client.accessEnded = String(frame.message || "");
    return false;
  });

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
    if ((claims.role !== "kiosk" && claims.role !== "crew") || !frame.station_id) return;
    var params = new URLSearchParams(global.location.search);
    if ((params.get("station") || claims.st) === frame.station_id) return;
    if (claims.role === "crew" && frame.station_id === claims.st) params.delete("station");
    else params.set("station", frame.station_id);
    M.navigate(global.location.pathname + "?" + params.toString());
  }

  /** The station a crew page shows: `?station=` (a redirect) when it is an id, else its own. */
  M.crewStationShown = function (own) {
    var asked = new URLSearchParams(global.location.search).get("station");
    return asked && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(asked) ? asked : own;
  };

  /** On another station than its token's, the crew page says what it can do, and offers
   * the way back (the write buttons are hidden: `html.view-only`, base.css). */
  M.showVisiting = function (element, mirror, shown, own) {
    if (!element) return;
    var doc = global.document;
    doc.documentElement.classList.add("view-only");
    var said =
      "Showing " + M.stationName(mirror, shown) + " (a producer redirected this tablet): view only. " +
      "This tablet's access is for " + M.stationName(mirror, own) +
      ": shots, arrivals and calls can be marked there only.";
    if (element.getAttribute("data-said") === said) return; // redrawn only when a name changes
    element.setAttribute("data-said", said);
    var back = doc.createElement("button");
    back.type = "button";
    back.className = "btn";
    back.textContent = "Back to " + M.stationName(mirror, own);
    back.addEventListener("click", function () {
      var params = new URLSearchParams(global.location.search);
      params.delete("station");
      M.navigate(global.location.pathname + "?" + params.toString());
    });
    var words = doc.createElement("span");
    words.textContent = said;
    element.replaceChildren(words, back);
    element.hidden = false;
  };

  /** Where a redirect goes (a function, so tests can watch it instead of leaving). */
  M.navigate = function (url) {
    global.location.assign(url);
  };
  M.identify = identify;
})(window);
