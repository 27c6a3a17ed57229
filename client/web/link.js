/*
 * link.js: the Client's connection (see mediaday.js): open with the token as a
 * subprotocol, reconnect with jittered exponential backoff, ping on a heartbeat, and estimate
 * the server's clock from each pong.
 *
 * A *silent* link (nothing at all heard for the pong timeout after a ping) is dead: the page
 * says "Reconnecting" at once and opens a new socket after the backoff, without waiting for
 * the old one to close (through a black hole that wait is a minute). A *slow* link (a late
 * pong, but other frames arriving) is live and kept. A check that ran late (this page's own
 * event loop stalled: a busy device, a throttled tab) may run before frames that arrived
 * meanwhile are read, so its verdict is confirmed first, as the Python client's is: one more
 * ping and half a pong timeout with nothing heard. Requests wait what recent round trips
 * imply per attempt; a write unanswered on an open socket is resent there with the same
 * id after a backoff, while the page's retry budget (a token bucket, like the AWS SDKs'
 * retry quota) lasts, and on every new socket; a write is never given up on while the page
 * runs, so a tap is never reported failed and then applied.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var Client = M.Client;
  var ERROR_WORDS = M.ERROR_WORDS;
  var READ_ACTIONS = ["ping", "subscribe", "unsubscribe", "sync"];
  var SUBPROTOCOL = "mediaday.v1"; // mediaday.tokens.SUBPROTOCOL
  var LATE_MS = 100; // a timer this far past its time ran on a stalled or throttled page
  var CONFIRMATIONS = 3; // late confirmations in a row before silence is taken as silence

  /** setTimeout that tells `fn` how late it ran (ms past its time, by the wall clock). */
  function later(delay, fn) {
    var due = Date.now() + delay;
    return global.setTimeout(function () {
      fn(Date.now() - due);
    }, delay);
  }

  Client.prototype._connect = function () {
    if (this.stopped) return;
    // The token travels as a subprotocol (`Sec-WebSocket-Protocol: mediaday.v1, <token>`),
    // never in the URL, so no access log, proxy or history keeps it.
    var token = this.options.token;
    var protocols = token ? [SUBPROTOCOL, token] : [SUBPROTOCOL];
    var socket;
    try {
      socket = new global.WebSocket(this.options.url, protocols);
    } catch (e) {
      this._scheduleReconnect();
      return;
    }
    this.socket = socket;
    this._setStatus({ state: this.status.everLive ? "reconnecting" : "connecting", retryAt: null });
    var self = this;
    socket.onopen = function () {
      if (self.socket === socket) self._opened();
    };
    socket.onmessage = function (event) {
      if (self.socket === socket) self._received(event.data);
    };
    socket.onclose = function () {
      if (self.socket === socket) self._closed();
    };
  };

  Client.prototype._opened = function () {
    var self = this;
    // The lowest watermark held before the drop (topics added meanwhile have none yet).
    var held = Object.keys(this.topicRevs).map(function (topic) {
      return self.topicRevs[topic];
    });
    var resumeFrom = held.length ? Math.min.apply(null, held) : null;
    this._contact();
    this._ping();
    this._armHeartbeat();
    this._resendWrites();
    this._subscribe()
      .then(function () {
        return resumeFrom === null ? null : self.sync(resumeFrom);
      })
      .then(
      function () {
        self.attempt = 0;
        self._setStatus({ state: "live", attempts: 0, ready: true, everLive: true });
        return self._subscribeMissing();
      },
      function (error) {
        self.options.onError(error, { action: "subscribe" });
        if (self.socket) self.socket.close(4000, "subscribe failed");
      }
    );
  };

  /**
   * Reads in flight are abandoned (the reconnect subscribes afresh). A write in flight may
   * or may not have been applied: it is resent with the same id once connected again, and
   * the server answers a repeat as a duplicate instead of applying it twice.
   */
  Client.prototype._closed = function () {
    var self = this;
    this.socket = null;
    this.status.ready = false;
    this._clearTimers();
    this.pending.forEach(function (entry, id) {
      if (READ_ACTIONS.indexOf(entry.frame.action) >= 0 || self.stopped) {
        global.clearTimeout(entry.timer);
        self.pending.delete(id);
        entry.reject({ code: "offline", message: ERROR_WORDS.offline });
      } else {
        entry.unsent = true;
        entry.pages = [];
        entry.ack = null;
      }
    });
    if (!this.stopped) this._scheduleReconnect();
  };

  Client.prototype._resendWrites = function () {
    var socket = this.socket;
    this.pending.forEach(function (entry) {
      if (entry.unsent && socket && socket.readyState === global.WebSocket.OPEN) {
        entry.unsent = false;
        entry.reconnectSends = (entry.reconnectSends || 0) + 1;
        socket.send(JSON.stringify(entry.frame));
      }
    });
  };

  /** Full jitter: a random wait up to base * 2^attempt, capped; spreads a room of kiosks. */
  Client.prototype._scheduleReconnect = function () {
    var ceiling = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * Math.pow(2, this.attempt));
    var delay = Math.max(250, Math.random() * ceiling);
    this.attempt += 1;
    var state = this.status.everLive ? "reconnecting" : "connecting";
    this._setStatus({ state: state, attempts: this.attempt, retryAt: Date.now() + delay });
    this._connectSoon(delay);
  };

  Client.prototype._connectSoon = function (delay) {
    var self = this;
    global.clearTimeout(this.timers.reconnect);
    this.timers.reconnect = global.setTimeout(function () {
      self._connect();
    }, delay);
  };

  Client.prototype._clearTimers = function () {
    var timers = this.timers;
    Object.keys(timers).forEach(function (name) {
      global.clearTimeout(timers[name]);
      global.clearInterval(timers[name]);
    });
    this.timers = {};
  };

  Client.prototype._armHeartbeat = function () {
    var self = this;
    global.clearInterval(this.timers.heartbeat);
    this.timers.heartbeat = global.setInterval(function () {
      self.beats += 1;
      self._ping();
      if (self.beats % self.options.syncEvery === 0 && self.status.ready) self.sync();
    }, this.options.heartbeatMs);
  };

  Client.prototype._ping = function () {
    var self = this;
    var socket = this.socket;
    var sent = this._sendPing();
    // The deadline runs from the oldest unanswered ping, or from the last frame heard after
    // it (any frame: a late pong on a link that carries frames is slow, not silent); later
    // pings do not push it back. Silent for pongTimeoutMs: the link is dead, at once if the
    // check ran on time, after a confirmation if it ran late.
    var limit = this.options.pongTimeoutMs;
    var check = function (late) {
      delete self.timers.pong;
      if (self.socket !== socket || !socket) return;
      var quiet = Date.now() - Math.max(sent, self.status.lastContact || 0);
      if (quiet < limit) self.timers.pong = later(limit - quiet, check);
      else if (late > LATE_MS) self._confirmSilence(socket, 1, check);
      else self._silent(socket);
    };
    if (!this.timers.pong) this.timers.pong = later(limit, check);
  };

  /** A protocol ping (a page cannot send WebSocket pings); its pong samples the clock and
   *  ends any pong deadline. Returns when it was sent. */
  Client.prototype._sendPing = function () {
    var self = this;
    var sent = Date.now();
    this.request({ action: "ping" }).then(
      function (pong) {
        global.clearTimeout(self.timers.pong);
        delete self.timers.pong;
        self._clockSample(sent, Date.now(), pong.server_time);
      },
      function () {}
    );
    return sent;
  };

  /**
   * The pong check ran late: this page stalled, and frames may be waiting to be read. Ping
   * once more and wait half a pong timeout: anything heard means the link is live (the
   * check goes on); nothing means silent, unless this timer ran late too (confirmed again,
   * at most CONFIRMATIONS times in a row).
   */
  Client.prototype._confirmSilence = function (socket, round, check) {
    var self = this;
    var since = Date.now();
    this.confirmations = (this.confirmations || 0) + 1;
    this._sendPing();
    this.timers.pong = later(this.options.pongTimeoutMs / 2, function (late) {
      delete self.timers.pong;
      if (self.socket !== socket) return;
      if ((self.status.lastContact || 0) >= since) check(0);
      else if (late > LATE_MS && round < CONFIRMATIONS) self._confirmSilence(socket, round + 1, check);
      else self._silent(socket);
    });
  };

  /**
   * Nothing heard: drop the socket without waiting for its close (a black hole never
   * completes one), say "Reconnecting" now and open a new socket after the backoff.
   */
  Client.prototype._silent = function (socket) {
    socket.onopen = socket.onmessage = socket.onclose = null;
    try {
      socket.close(4001, "no pong");
    } catch (e) {
      /* already closing */
    }
    this._closed();
  };

  // -- request attempts ------------------------------------------------------------------
  var QUOTA = { capacity: 50, timeoutCost: 10, retryCost: 5, refund: 1, maxResends: 3 };

  /** An attempt's timeout: the 95th percentile of recent round trips x 3, within
   *  [2 s, requestTimeoutMs]; 2 s until there are samples. */
  Client.prototype._attemptMs = function () {
    var samples = (this.rttSamples || []).slice().sort(function (a, b) {
      return a - b;
    });
    var ceiling = this.options.requestTimeoutMs;
    var floor = Math.min(this.options.attemptFloorMs || 2000, ceiling);
    if (!samples.length) return floor;
    var high = samples[Math.min(samples.length - 1, Math.floor(0.95 * samples.length))];
    return Math.max(floor, Math.min(ceiling, 3 * high));
  };

  Client.prototype._observeRtt = function (ms) {
    this.rttSamples = this.rttSamples || [];
    this.rttSamples.push(ms);
    if (this.rttSamples.length > 32) this.rttSamples.shift();
  };

  /** Spend a retry's tokens (0 when the bucket cannot pay: then do not retry). */
  Client.prototype._takeRetry = function (timeout) {
    if (typeof this.retryTokens !== "number") this.retryTokens = QUOTA.capacity;
    var cost = timeout ? QUOTA.timeoutCost : QUOTA.retryCost;
    if (this.retryTokens < cost) return 0;
    this.retryTokens -= cost;
    return cost;
  };

  /**
   * Time one request: each attempt waits `_attemptMs()`. A read past requestTimeoutMs
   * fails with `timeout`; a write is resent on the open socket (same id, backed off, paid
   * from the budget) and otherwise waits for its answer, or for the next socket.
   */
  Client.prototype._armRequest = function (entry) {
    var self = this;
    var now = Date.now();
    entry.sentAt = entry.sentAt || now;
    entry.resends = entry.resends || 0;
    entry.spent = entry.spent || 0;
    var read = READ_ACTIONS.indexOf(entry.frame.action) >= 0;
    if (read && !entry.deadline) entry.deadline = entry.sentAt + this.options.requestTimeoutMs;
    var wait = this._attemptMs();
    if (read) wait = Math.min(wait, entry.deadline - now);
    global.clearTimeout(entry.timer);
    entry.timer = later(Math.max(0, wait), function (late) {
      if (self.pending.get(entry.frame.id) !== entry) return;
      if (read && Date.now() >= entry.deadline) self._expired(entry, late);
      else self._retryOrWait(entry);
    });
  };

  /** A read unanswered by its deadline fails with `timeout` (a resume's subscribe may wait
   *  longer: subscriptions.js). `late`: how late the deadline's timer ran. */
  Client.prototype._expired = function (entry) {
    this.pending.delete(entry.frame.id);
    entry.reject({ code: "timeout", message: ERROR_WORDS.timeout });
  };

  /** Full jitter over 1 s x 2^resends (at most 8 s: `resend_backoff`), never under the
   *  server's `retry_after_ms` hint. */
  Client.prototype._resendDelay = function (resends, hintMs) {
    return Math.max(hintMs || 0, Math.random() * Math.min(8000, 1000 * Math.pow(2, resends)));
  };

  Client.prototype._mayResend = function (entry) {
    var socket = this.socket;
    return !!socket && socket.readyState === global.WebSocket.OPEN && !entry.unsent &&
      READ_ACTIONS.indexOf(entry.frame.action) < 0 && entry.resends < QUOTA.maxResends;
  };

  /** After an attempt got nothing: resend on this socket if the budget pays, else wait on
   *  (a write also goes out again on the next socket). */
  Client.prototype._retryOrWait = function (entry) {
    var cost = this._mayResend(entry) ? this._takeRetry(true) : 0;
    if (cost) this._resendLater(entry, cost, 0);
    else this._armRequest(entry);
  };

  /** Resend on the current socket after a full-jitter backoff (at least `hintMs`). */
  Client.prototype._resendLater = function (entry, cost, hintMs) {
    var self = this;
    var id = entry.frame.id;
    var socket = this.socket;
    entry.spent += cost;
    var delay = this._resendDelay(entry.resends, hintMs);
    global.clearTimeout(entry.timer);
    entry.timer = global.setTimeout(function () {
      if (self.pending.get(id) !== entry) return;
      if (self.socket === socket && socket.readyState === global.WebSocket.OPEN && !entry.unsent) {
        entry.resends += 1;
        socket.send(JSON.stringify(entry.frame));
      }
      self._armRequest(entry);
    }, delay);
  };

  // Answers feed the round-trip samples and the budget (a first-try answer earns a token,
  // a retried one gets its tokens back).
  var settle = Client.prototype._settle;
  Client.prototype._settle = function (id, entry) {
    if (entry.sentAt) this._observeRtt(Date.now() - entry.sentAt);
    if (typeof this.retryTokens !== "number") this.retryTokens = QUOTA.capacity;
    this.retryTokens = Math.min(QUOTA.capacity, this.retryTokens + (entry.spent || QUOTA.refund));
    settle.call(this, id, entry);
  };

  // `busy` (the server shed the request unread, nothing applied): resent after its hint
  // while the budget lasts; past that it is refused, and saying so is true.
  var failed = Client.prototype._failed;
  Client.prototype._failed = function (frame) {
    var entry = frame.id ? this.pending.get(frame.id) : null;
    if (frame.code === "busy" && entry && this._mayResend(entry)) {
      var cost = this._takeRetry(false);
      if (cost) {
        this._resendLater(entry, cost, frame.retry_after_ms || 0);
        return;
      }
    }
    failed.call(this, frame);
  };

  M.LATE_MS = LATE_MS;

  /** NTP-style: the server stamped its time about halfway through the round trip. */
  Client.prototype._clockSample = function (sent, received, serverTime) {
    if (typeof serverTime !== "number") return;
    var rtt = received - sent;
    this.offsetSamples.push({ rtt: rtt, offset: serverTime - (sent + received) / 2 });
    if (this.offsetSamples.length > 8) this.offsetSamples.shift();
    var best = this.offsetSamples.reduce(function (a, b) {
      return b.rtt < a.rtt ? b : a;
    });
    this.clockOffsetMs = Math.round(best.offset);
    this.bestRttMs = best.rtt;
  };
})(window);
