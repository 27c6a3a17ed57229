/*
 * presence.js: the day's online markers on the kiosk and crew pages (docs/protocol.md,
 * "Online markers: the presence topic"): which stations have a crew connected, and
 * whether a producer is. Names, counts and devices are never sent to these screens.
 *
 * A page lists "presence" among its client's topics: the subscribe snapshot and every
 * heartbeat sync carry the markers as one item (`type: presence`, no id, so the mirror
 * ignores it), and a `presence` frame arrives whenever one flips. The newest by
 * `server_time` wins; until the first answer the markers are unknown (null), and a page
 * that is offline shows them as unknown too rather than as they last were.
 *
 * Hooks: `M.presenceOf(client)` (null or {producers, crews}), `M.crewMarker(client, id)`
 * for a kiosk's station card, `M.producerMarker(client, element)` for the crew page.
 * A change redraws the page (the client's onChange).
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var Client = M.Client;
  var SHORT = 4096;
  var page = Client.prototype._page;
  var setStatus = Client.prototype._setStatus;

  M.claimFrames(
    SHORT,
    function (text) {
      return text.indexOf('"type":"presence"') >= 0;
    },
    function (client, frame) {
      if (frame.type !== "presence" || frame.id) return false;
      take(client, frame, frame.server_time);
      return true;
    }
  );

  /** Snapshot and sync pages: the markers item, stamped with the page's server time. */
  Client.prototype._page = function (frame) {
    var items = (frame && frame.items) || [];
    for (var i = 0; i < items.length; i++) {
      if (items[i] && items[i].type === "presence") take(this, items[i], frame.server_time);
    }
    page.call(this, frame);
  };

  /** Going offline (or back) turns the markers unknown (or known): redraw them. */
  Client.prototype._setStatus = function (changes) {
    setStatus.call(this, changes);
    var ready = !!this.status.ready; // link.js may clear it before telling the status
    if (this.presenceMarkers && ready !== this.presenceShownReady) {
      this.presenceShownReady = ready;
      this._changed();
    }
  };

  function take(client, markers, serverTime) {
    var at = typeof serverTime === "number" ? serverTime : 0;
    var held = client.presenceMarkers;
    if (held && held.at > at) return; // an older announcement overtaken by a newer one
    var next = {
      producers: markers.producers === true,
      crews: Array.isArray(markers.crews) ? markers.crews.map(String) : [],
      at: at,
    };
    client.presenceMarkers = next;
    if (!held || held.producers !== next.producers || held.crews.join() !== next.crews.join()) {
      client._changed();
    }
  }

  /** The markers, or null while unknown (before the first answer, or while offline). */
  M.presenceOf = function (client) {
    if (!client || !client.presenceMarkers || !client.status || !client.status.ready) return null;
    return client.presenceMarkers;
  };

  /** A kiosk's small per-station marker: a dot and words (colour is never the only cue). */
  M.crewMarker = function (client, stationId) {
    var markers = M.presenceOf(client);
    var state = markers === null ? "unknown" : markers.crews.indexOf(stationId) >= 0 ? "online" : "offline";
    var words = { online: "Crew online", offline: "No crew online", unknown: "Crew: unknown" }[state];
    return M.h("span", { class: "presence presence-" + state, "data-presence": state, title: words }, words);
  };

  /** The crew page's "producer online" line, drawn into `element`. */
  M.producerMarker = function (client, element) {
    if (!element) return;
    var markers = M.presenceOf(client);
    var state = markers === null ? "unknown" : markers.producers ? "online" : "offline";
    element.className = "presence presence-" + state;
    element.setAttribute("data-presence", state);
    element.textContent = { online: "Producer online", offline: "No producer online", unknown: "Producer: unknown" }[
      state
    ];
  };
})(window);
