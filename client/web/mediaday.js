/*
 * mediaday.js: the small WebSocket client the kiosk and crew pages share.
 *
 * It keeps a live mirror of the topics a page subscribes to, following the delivery
 * contract in docs/architecture.md:
 *   - connect with the token (query string), reconnect with jittered exponential backoff;
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
 * No build step, no dependencies: a classic script that defines `window.MediaDay`.
 */
(function (global) {
  "use strict";

  var STATIC_TOPICS = {
    roster: ["day", "station", "talent"],
    schedule: ["slot"],
    calls: ["call"],
  };
  var STATION_TOPICS = { station: ["slot", "call"], shots: ["shot"] };
  var ACTIVE_CALL_STATES = ["pending", "en-route", "arrived"];
  var READ_ACTIONS = ["ping", "subscribe", "unsubscribe", "sync"];

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
    offline: "Not connected right now. The change was not sent; try again once connected.",
  };

  /** Which item types (and which station) a topic selects; null for unknown names. */
  function parseTopic(name) {
    if (Object.prototype.hasOwnProperty.call(STATIC_TOPICS, name)) {
      return { name: name, types: STATIC_TOPICS[name], station: null };
    }
    var match = /^(station|shots):([A-Za-z0-9][A-Za-z0-9_.-]{0,63})$/.exec(name);
    if (!match) return null;
    return { name: name, types: STATION_TOPICS[match[1]], station: match[2] };
  }

  function topicHolds(spec, item) {
    if (spec.types.indexOf(item.type) < 0) return false;
    return spec.station === null || item.station_id === spec.station;
  }

  function itemKey(item) {
    return item.type + "#" + item.id;
  }

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
   * The mirror of subscribed topics. Versions seen are remembered even for items that left
   * the mirror, so a late, older copy can never bring a deleted or moved item back.
   */
  function Mirror() {
    this.items = new Map();
    this.versions = new Map();
    this.gone = new Map(); // key -> rev of a snapshot that showed the item absent
    this.topics = [];
  }

  /** Forget everything (the server's history restarted: old versions mean nothing now). */
  Mirror.prototype.clear = function () {
    this.items.clear();
    this.versions.clear();
    this.gone.clear();
  };

  Mirror.prototype.setTopics = function (names) {
    this.topics = names.map(parseTopic).filter(Boolean);
  };

  Mirror.prototype.held = function (item) {
    if (item.deleted) return false;
    for (var i = 0; i < this.topics.length; i++) if (topicHolds(this.topics[i], item)) return true;
    return false;
  };

  /** Apply one copy of an item; true when it changed the mirror's knowledge. */
  Mirror.prototype.apply = function (item) {
    if (!item || typeof item.type !== "string" || typeof item.id !== "string") return false;
    var key = itemKey(item);
    var version = Number(item.version) || 0;
    if (version <= (this.versions.get(key) || 0)) return false;
    // A late copy from before a snapshot that showed the item gone cannot bring it back.
    if (this.gone.has(key) && (item.rev || 0) <= this.gone.get(key)) return false;
    this.gone.delete(key);
    this.versions.set(key, version);
    if (this.held(item)) this.items.set(key, item);
    else this.items.delete(key);
    return true;
  };

  /**
   * A topic's snapshot at `rev`: apply its items, then drop items the topic would hold but
   * the snapshot lacks, unless they changed after `rev` (an event that overtook the answer).
   */
  Mirror.prototype.replaceTopic = function (topicName, rev, items) {
    var spec = parseTopic(topicName);
    var changed = false;
    var present = new Set();
    for (var i = 0; i < items.length; i++) {
      present.add(itemKey(items[i]));
      if (this.apply(items[i])) changed = true;
    }
    if (!spec) return changed;
    var self = this;
    Array.from(this.items.values()).forEach(function (item) {
      if (topicHolds(spec, item) && !present.has(itemKey(item)) && (item.rev || 0) <= rev) {
        self.items.delete(itemKey(item));
        self.gone.set(itemKey(item), rev);
        changed = true;
      }
    });
    return changed;
  };

  Mirror.prototype.ofType = function (type) {
    var out = [];
    this.items.forEach(function (item) {
      if (item.type === type) out.push(item);
    });
    return out;
  };

  Mirror.prototype.get = function (type, id) {
    return this.items.get(type + "#" + id) || null;
  };

  /**
   * A connection to the service that survives drops.
   *
   * options: url, token, topics, heartbeatMs (15000), pongTimeoutMs (6000),
   * syncEvery (2 heartbeats), backoffBaseMs (500), backoffMaxMs (10000),
   * requestTimeoutMs (15000), onChange(mirror), onStatus(status), onError(error, request).
   */
  function Client(options) {
    this.options = Object.assign(
      {
        heartbeatMs: 15000,
        pongTimeoutMs: 6000,
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
   */
  Client.prototype.request = function (fields) {
    var self = this;
    var frame = Object.assign({ id: requestId() }, fields);
    return new Promise(function (resolve, reject) {
      if (!self.socket || self.socket.readyState !== global.WebSocket.OPEN) {
        reject({ code: "offline", message: ERROR_WORDS.offline });
        return;
      }
      var entry = { frame: frame, resolve: resolve, reject: reject, pages: [], ack: null };
      entry.timer = global.setTimeout(function () {
        self.pending.delete(frame.id);
        reject({ code: "timeout", message: ERROR_WORDS.timeout });
      }, self.options.requestTimeoutMs);
      self.pending.set(frame.id, entry);
      self.socket.send(JSON.stringify(frame));
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

  // -- connection lifecycle -------------------------------------------------------------

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

  /** Follow more topics (e.g. a station that just appeared); subscribes now if connected. */
  Client.prototype.addTopics = function (names) {
    var self = this;
    var added = names.filter(function (name) {
      return parseTopic(name) && self.topics.indexOf(name) < 0;
    });
    if (added.length === 0) return Promise.resolve(null);
    this.topics = this.topics.concat(added);
    this.mirror.setTopics(this.topics);
    if (!this.status.ready) return Promise.resolve(null); // the (re)connect subscribes them all
    return this._subscribeTopics(added).catch(function (error) {
      self.options.onError(error, { action: "subscribe" });
    });
  };

  /** Topics added while a subscribe was in flight have no watermark yet: subscribe them. */
  Client.prototype._subscribeMissing = function () {
    var self = this;
    var missing = this.topics.filter(function (topic) {
      return typeof self.topicRevs[topic] !== "number";
    });
    return Promise.all(
      chunks(missing).map(function (topics) {
        return self._subscribeTopics(topics);
      })
    ).catch(function (error) {
      self.options.onError(error, { action: "subscribe" });
    });
  };

  /** The resume point: the lowest watermark of the topics (null until each has one). */
  Client.prototype.watermark = function (topics) {
    var revs = this.topicRevs;
    var low = null;
    for (var i = 0; i < (topics || this.topics).length; i++) {
      var rev = revs[(topics || this.topics)[i]];
      if (typeof rev !== "number") return null;
      if (low === null || rev < low) low = rev;
    }
    return low;
  };

  /** At most 20 topics per request (the protocol's limit). */
  function chunks(list) {
    var out = [];
    for (var i = 0; i < list.length; i += 20) out.push(list.slice(i, i + 20));
    return out;
  }

  Client.prototype._subscribe = function (fresh) {
    var self = this;
    if (fresh) {
      this.mirror.clear();
      this.topicRevs = {};
    }
    return Promise.all(
      chunks(this.topics).map(function (topics) {
        return self._subscribeTopics(topics);
      })
    );
  };

  /** A fresh connection has no subscriptions: each topic's snapshot at rev R replaces it. */
  Client.prototype._subscribeTopics = function (topics) {
    var self = this;
    return this.request({ action: "subscribe", topics: topics }).then(function (done) {
      var byTopic = {};
      done.pages.forEach(function (page) {
        (byTopic[page.topic] = byTopic[page.topic] || []).push(page);
      });
      var changed = false;
      var rev = typeof done.ack.rev === "number" ? done.ack.rev : 0;
      topics.forEach(function (topic) {
        var items = [];
        (byTopic[topic] || []).forEach(function (page) {
          items = items.concat(page.items || []);
        });
        if (self.mirror.replaceTopic(topic, rev, items)) changed = true;
        self._advance(topic, rev);
      });
      self._updated();
      if (changed || !self.status.ready) self._changed();
      return done;
    });
  };

  /**
   * Everything changed since `since` (default: each topic's watermark), tombstones
   * included. A rev the server does not have (its data was reset) means a fresh snapshot.
   */
  Client.prototype.sync = function (since) {
    var self = this;
    return Promise.all(
      chunks(this.topics).map(function (topics) {
        var from = typeof since === "number" ? since : self.watermark(topics);
        return from === null ? null : self._syncTopics(topics, from);
      })
    );
  };

  Client.prototype._syncTopics = function (topics, since) {
    var self = this;
    return this.request({ action: "sync", since: since, topics: topics }).then(
      function (done) {
        var changed = false;
        done.pages.forEach(function (page) {
          (page.items || []).forEach(function (item) {
            if (self.mirror.apply(item)) changed = true;
          });
        });
        if (typeof done.ack.rev === "number") {
          topics.forEach(function (topic) {
            self._advance(topic, done.ack.rev);
          });
        }
        self._updated();
        if (changed) self._changed();
        return done;
      },
      function (error) {
        if (error && error.code === "resync_required") return self._subscribe(true);
        return null; // offline or a timeout: the next heartbeat tries again
      }
    );
  };

  Client.prototype._advance = function (topic, rev) {
    var held = this.topicRevs[topic];
    if (typeof held !== "number" || rev > held) this.topicRevs[topic] = rev;
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
      entry.resolve(frame);
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

  // -- helpers the views share ---------------------------------------------------------------

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

  /** A station's slots in time order, with the current one and the next one at `now`. */
  function stationTimeline(slots, now) {
    var sorted = slots.slice().sort(function (a, b) {
      return Date.parse(a.starts_at) - Date.parse(b.starts_at) || (a.id < b.id ? -1 : 1);
    });
    var current = null;
    var next = null;
    sorted.forEach(function (slot) {
      var start = Date.parse(slot.starts_at);
      var end = Date.parse(slot.ends_at);
      if (start <= now && now < end && current === null) current = slot;
      else if (start > now && next === null) next = slot;
    });
    return { slots: sorted, current: current, next: next };
  }

  function isActiveCall(call) {
    return !call.deleted && ACTIVE_CALL_STATES.indexOf(call.state) >= 0;
  }

  /** The page's options from its own URL: token, an optional `ws` override, test knobs. */
  function pageOptions() {
    var params = new URLSearchParams(global.location.search);
    var scheme = global.location.protocol === "https:" ? "wss:" : "ws:";
    var options = {
      token: params.get("token") || "",
      url: params.get("ws") || scheme + "//" + global.location.host + "/local",
    };
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
   * `stale` turns true once the view has been cut off for longer than `staleMs`: from then
   * on the data on screen must not pass for current. (A silently dead socket is caught by
   * the pong timeout, which closes it and so starts this clock.)
   */
  function connectionLabel(status, client, staleMs) {
    var last = status.lastContact
      ? " — last update " + clockTime(status.lastContact + client.clockOffsetMs)
      : "";
    if (status.state === "live") return { state: "live", text: "Live", stale: false };
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
    var stale = status.state === "stopped" || Date.now() - status.since > staleMs;
    return { state: "reconnecting", text: "Reconnecting" + last, stale: stale };
  }

  global.MediaDay = {
    Client: Client,
    Mirror: Mirror,
    parseTopic: parseTopic,
    topicHolds: topicHolds,
    tokenClaims: tokenClaims,
    errorWords: errorWords,
    requestId: requestId,
    clockTime: clockTime,
    setTimeZone: setTimeZone,
    hourMinute: hourMinute,
    countdown: countdown,
    stationTimeline: stationTimeline,
    isActiveCall: isActiveCall,
    pageOptions: pageOptions,
    connectionLabel: connectionLabel,
    h: h,
  };
})(window);
