/*
 * link.js: the Client's connection (see mediaday.js): open with the token in the query
 * string, reconnect with jittered exponential backoff, ping on a heartbeat, close a link
 * whose pong is late, and estimate the server's clock from each pong.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var Client = M.Client;
  var ERROR_WORDS = M.ERROR_WORDS;
  var READ_ACTIONS = ["ping", "subscribe", "unsubscribe", "sync"];

  Client.prototype._connect = function () {
    if (this.stopped) return;
    var url = this.options.url;
    url += (url.indexOf("?") < 0 ? "?" : "&") + "token=" + encodeURIComponent(this.options.token);
    var socket;
    try {
      socket = new global.WebSocket(url);
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
    var sent = Date.now();
    var socket = this.socket;
    // A Wi-Fi drop often leaves the socket looking open: no pong in time means it is dead.
    // The deadline runs from the oldest unanswered ping; later pings do not push it back.
    if (!this.timers.pong) {
      this.timers.pong = global.setTimeout(function () {
        if (self.socket === socket && socket) socket.close(4001, "no pong");
      }, this.options.pongTimeoutMs);
    }
    this.request({ action: "ping" }).then(
      function (pong) {
        global.clearTimeout(self.timers.pong);
        delete self.timers.pong;
        self._clockSample(sent, Date.now(), pong.server_time);
      },
      function () {}
    );
  };

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
