/*
 * mediaday.js: the small WebSocket client the kiosk and crew pages share.
 *
 * It keeps a live mirror of the topics a page subscribes to, following the delivery
 * contract in docs/architecture.md:
 *   - connect with the token as a subprotocol, reconnect with jittered exponential backoff;
 *   - ping on a heartbeat, estimate the server clock offset from each pong;
 *   - subscribe, collecting snapshot pages by request id until the ack's page count is
 *     complete (pages may arrive before the ack);
 *   - apply an item only when its version is newer than the one held (duplicates and
 *     reordering are harmless); an item stays in the mirror only while a subscribed topic
 *     holds it and it is not deleted;
 *   - keep the rev of each topic's last snapshot/sync answer as its watermark and sync
 *     since it on every other heartbeat (repairs silent loss);
 *   - after a reconnect, subscribe again (a new connection has no subscriptions) and sync
 *     since the watermark held before the drop: the snapshot replaces what each topic held
 *     and the sync reports, tombstones included, what changed meanwhile.
 *
 * No build step, no dependencies: classic scripts that fill in `window.MediaDay`, loaded
 * in this order by the pages:
 *   mirror.js         topics and the mirror of the items they hold;
 *   mediaday.js       the Client: requests, writes and the frames that answer them;
 *   link.js           the Client's connection: open, reconnect, heartbeat, server clock;
 *   subscriptions.js  the Client's subscriptions, watermarks and syncs;
 *   config.js         the WebSocket APIs the pages may use besides their own origin;
 *   access.js         the page's token (out of the URL) and API (from an allow-list);
 *   views.js          what the kiosk and crew views share (times, names, labels, h()).
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var Mirror = M.Mirror;

  // Plain words for the error codes of mediaday/errors.py.
  var ERROR_WORDS = {
    forbidden: "This screen is not allowed to make that change.",
    conflict: "Someone else changed this a moment ago. You now see their version; try again if needed.",
    not_found: "That item no longer exists. It was probably removed by a producer.",
    invalid: "The request was not understood.",
    unknown_action: "The server does not know that action.",
    too_large: "That message is too large.",
    rate_limited: "Too many changes too quickly. Wait a few seconds and try again.",
    resync_required: "Catching up with the server.",
    invalid_state: "That is no longer possible: the item has moved on (for example, the call was cancelled or is already done).",
    unauthorized: "The server no longer knows this screen's connection. Reconnecting…",
    timeout: "The server did not answer in time. Check the connection and try again.",
    // a write still waiting for its answer: it is applied once, whatever happens meanwhile
    pending: "Still sending: the server has not answered yet. It will be applied once, no need to tap again.",
    offline: "Not connected right now. The change was not sent; try again once connected.",
  };


  /** 32 hex characters; crypto.randomUUID needs a secure context, getRandomValues does not. */
  function requestId() {
    var bytes = new Uint8Array(16);
    global.crypto.getRandomValues(bytes);
    var hex = "";
    for (var i = 0; i < bytes.length; i++) hex += (bytes[i] + 256).toString(16).slice(1);
    return hex;
  }

  /** The token's claims, decoded for display only: the server alone decides what is allowed. */
  function tokenClaims(token) {
    try {
      var payload = String(token || "").split(".")[1];
      var b64 = payload.replace(/-/g, "+").replace(/_/g, "/");
      while (b64.length % 4) b64 += "=";
      var text = decodeURIComponent(
        Array.prototype.map
          .call(global.atob(b64), function (c) {
            return "%" + ("00" + c.charCodeAt(0).toString(16)).slice(-2);
          })
          .join("")
      );
      var claims = JSON.parse(text);
      return claims && typeof claims === "object" ? claims : null;
    } catch (e) {
      return null;
    }
  }

  function errorWords(error) {
    if (!error) return "";
    var words = ERROR_WORDS[error.code];
    if (error.code === "invalid" && error.message) return "The request was not accepted: " + error.message;
    return words || error.message || "Something went wrong.";
  }

  /**
   * A connection to the service that survives drops.
   *
   * options: url, token, topics, heartbeatMs (15000), pongTimeoutMs (5000: a silent link
   * shows "Reconnecting" within heartbeat + pong timeout, 20 s),
   * syncEvery (2 heartbeats), backoffBaseMs (500), backoffMaxMs (10000),
   * requestTimeoutMs (15000), onChange(mirror), onStatus(status), onError(error, request).
   */
  function Client(options) {
    this.options = Object.assign(
      {
        heartbeatMs: 15000,
        pongTimeoutMs: 5000,
        syncEvery: 2,
        backoffBaseMs: 500,
        backoffMaxMs: 10000,
        requestTimeoutMs: 15000,
        onChange: function () {},
        onStatus: function () {},
        onError: function () {},
      },
      options
    );
    this.topics = this.options.topics.slice();
    this.mirror = new Mirror();
    this.mirror.setTopics(this.topics);
    this.claims = tokenClaims(this.options.token);
    this.topicRevs = {}; // topic -> rev of its last snapshot/sync answer (its watermark)
    this.clockOffsetMs = 0; // server time minus local time
    this.bestRttMs = Infinity;
    this.offsetSamples = [];
    this.pending = new Map(); // request id -> {frame, resolve, reject, pages, ack, timer}
    this.socket = null;
    this.attempt = 0;
    this.beats = 0;
    this.stopped = true;
    this.timers = {};
    this.status = {
      state: "connecting", // connecting | live | reconnecting | stopped
      since: Date.now(),
      lastContact: null, // local epoch ms of the last frame from the server
      lastUpdate: null, // local epoch ms of the last complete snapshot/sync/event
      attempts: 0,
      retryAt: null,
      ready: false, // the subscription snapshot has been applied
      everLive: false, // has been live at least once (there is data on screen)
    };
  }

  Client.prototype.serverNow = function () {
    return Date.now() + this.clockOffsetMs;
  };

  Client.prototype.start = function () {
    this.stopped = false;
    var self = this;
    this._onOnline = function () {
      if (!self.socket) self._connectSoon(0);
    };
    global.addEventListener("online", this._onOnline);
    this._connect();
  };

  Client.prototype.stop = function () {
    this.stopped = true;
    global.removeEventListener("online", this._onOnline);
    this._clearTimers();
    if (this.socket) this.socket.close(1000, "page closed");
    this.socket = null;
    this.pending.forEach(function (entry) {
      global.clearTimeout(entry.timer);
      entry.reject({ code: "offline", message: ERROR_WORDS.offline });
    });
    this.pending.clear();
    this._setStatus({ state: "stopped", ready: false });
  };

  /**
   * Send one request; resolves with the ack (subscribe/sync: once every page is in),
   * rejects with {code, message, current?} on an error frame, a timeout or when offline.
   * `how.patient`: a resume's read, resent on its socket when refused or shed (subscriptions.js).
   */
  Client.prototype.request = function (fields, how) {
    var self = this;
    var frame = Object.assign({ id: requestId() }, fields);
    return new Promise(function (resolve, reject) {
      if (!self.socket || self.socket.readyState !== global.WebSocket.OPEN) {
        reject({ code: "offline", message: ERROR_WORDS.offline });
        return;
      }
      var entry = { frame: frame, resolve: resolve, reject: reject, pages: [], ack: null,
                    patient: !!(how && how.patient) };
      self.pending.set(frame.id, entry);
      self.socket.send(JSON.stringify(frame));
      self._armRequest(entry); // link.js: attempts, resends on this socket, the deadline
    });
  };

  /** A write: the ack's item is applied at once, a conflict's current item too. */
  Client.prototype.write = function (fields) {
    var self = this;
    return this.request(fields).then(
      function (ack) {
        if (ack.item && self.mirror.apply(ack.item)) self._changed();
        return ack;
      },
      function (error) {
        if (error && error.current && self.mirror.apply(error.current)) self._changed();
        self.options.onError(error, fields);
        throw error;
      }
    );
  };

  // -- frames -----------------------------------------------------------------------------

  Client.prototype._received = function (data) {
    var frame;
    try {
      frame = JSON.parse(data);
    } catch (e) {
      return;
    }
    if (!frame || typeof frame !== "object") return;
    this._contact();
    if (this.clockOffsetMs === 0 && this.offsetSamples.length === 0 && typeof frame.server_time === "number") {
      this.clockOffsetMs = frame.server_time - Date.now(); // rough, until the first pong
    }
    switch (frame.type) {
      case "event":
        if (this.mirror.apply(frame.item)) {
          this._updated();
          this._changed();
        }
        break;
      case "events": // one frame per stream batch (subscribed with events: "batched")
        if (this.mirror.applyEvents(frame.changes)) {
          this._updated();
          this._changed();
        }
        break;
      case "snapshot":
      case "sync":
        this._page(frame);
        break;
      case "ack":
      case "pong":
        this._answered(frame);
        break;
      case "error":
        this._failed(frame);
        break;
      default:
        break;
    }
  };

  Client.prototype._page = function (frame) {
    var entry = this.pending.get(frame.id);
    if (!entry) return; // a page for a request that already timed out
    entry.pages.push(frame);
    this._complete(frame.id, entry);
  };

  Client.prototype._answered = function (frame) {
    var entry = this.pending.get(frame.id);
    if (!entry) return;
    if (frame.type === "pong" || typeof frame.pages !== "number") {
      this._settle(frame.id, entry);
      // Sent more than once: a `duplicate` may be this client's own earlier send (the CSV
      // import counts such a row as written). `resent` is the client's note, not the server's.
      var resent = (entry.resends || 0) + (entry.reconnectSends || 0) > 0;
      entry.resolve(resent ? Object.assign({ resent: true }, frame) : frame);
      return;
    }
    entry.ack = frame;
    this._complete(frame.id, entry);
  };

  /** Pages may come before the ack: the answer is complete when both agree on the count. */
  Client.prototype._complete = function (id, entry) {
    if (!entry.ack || entry.pages.length < entry.ack.pages) return;
    this._settle(id, entry);
    entry.pages.sort(function (a, b) {
      return a.topic === b.topic ? a.page - b.page : a.topic < b.topic ? -1 : 1;
    });
    entry.resolve({ ack: entry.ack, pages: entry.pages });
  };

  Client.prototype._failed = function (frame) {
    // The connection record is gone (expired, or the server lost it): start a new one.
    if (frame.code === "unauthorized" && this.socket) this.socket.close(4002, "unauthorized");
    var entry = frame.id ? this.pending.get(frame.id) : null;
    if (!entry) {
      this.options.onError(frame, null);
      return;
    }
    this._settle(frame.id, entry);
    entry.reject(frame);
  };

  Client.prototype._settle = function (id, entry) {
    global.clearTimeout(entry.timer);
    this.pending.delete(id);
  };

  Client.prototype._contact = function () {
    this.status.lastContact = Date.now();
  };

  Client.prototype._updated = function () {
    this.status.lastUpdate = Date.now();
  };

  Client.prototype._changed = function () {
    this.options.onChange(this.mirror);
  };

  Client.prototype._setStatus = function (changes) {
    if (changes.state && changes.state !== this.status.state) this.status.since = Date.now();
    Object.assign(this.status, changes);
    this.options.onStatus(this.status);
  };

  /**
   * Let a script claim some frames before the client reads them: a text frame shorter than
   * `maxLength` whose text `mentions` is parsed and offered to `take(client, frame)`; when
   * that returns true the frame was the script's (the client only notes the contact),
   * otherwise it goes on to the client. Cheap: other frames are not parsed twice.
   */
  function claimFrames(maxLength, mentions, take) {
    var received = Client.prototype._received;
    Client.prototype._received = function (data) {
      if (typeof data === "string" && data.length < maxLength && mentions(data)) {
        var frame = null;
        try {
          frame = JSON.parse(data);
        } catch (e) {
          frame = null;
        }
        if (frame && take(this, frame)) {
          this._contact();
          return;
        }
      }
      received.call(this, data);
    };
  }

  M.Client = Client;
  M.claimFrames = claimFrames;
  M.ERROR_WORDS = ERROR_WORDS;
  M.tokenClaims = tokenClaims;
  M.errorWords = errorWords;
  M.requestId = requestId;
})(window);
