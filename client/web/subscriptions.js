/*
 * subscriptions.js: the Client's topics (see mediaday.js). Subscribe collects each topic's
 * snapshot; the rev of a topic's last snapshot/sync answer is its watermark; sync asks for
 * everything changed since it, tombstones included, and a rev the server no longer has
 * starts again from a snapshot.
 *
 * A resume's subscribe (the socket is not live until every snapshot is in) is patient: a
 * reconnect would ask a slow server for a `$connect` and every snapshot again, which is how a
 * slow server is kept slow. Refused (`busy`, `internal`) or maybe shed (the gateway's id-less
 * "Internal server error" frame came after it was sent), it is resent on the same socket
 * under a new id (the old id's pages, if they come, are ignored) after the server's hint or
 * a backoff, if the retry budget pays; unanswered on a socket that carried frames meanwhile,
 * it is waited for one more request timeout. RESUME_PATIENCE bounds both, as in
 * client/supervisor.py; past it the socket is given up.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var Client = M.Client;
  var parseTopic = M.parseTopic;
  var RESUME_PATIENCE = 2;
  var REFUSALS = ["busy", "internal"];

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
    var request = { action: "subscribe", topics: topics, events: "batched" };
    // not live yet: this subscribe is a resume's
    return this.request(request, { patient: !this.status.ready }).then(function (done) {
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

  // -- a resume's patience ----------------------------------------------------------------
  function patienceLeft(entry) {
    if (typeof entry.patience !== "number") entry.patience = RESUME_PATIENCE;
    return entry.patience > 0;
  }

  /** A new period of `ms` for a patient read (its answer may still come). */
  Client.prototype._waitAgain = function (entry, ms) {
    entry.periodStart = Date.now();
    entry.deadline = entry.periodStart + ms;
    this._armRequest(entry);
  };

  /**
   * Past its deadline, a resume's subscribe is waited for again if the socket carried a
   * frame since the period began (slow, not silent) and patience is left; when the timer
   * itself ran late (this page stalled, frames may wait to be read), half a pong timeout
   * more first. Otherwise it fails with the refusal it met, or `timeout`.
   */
  var expired = Client.prototype._expired;
  Client.prototype._expired = function (entry, late) {
    if (!entry.patient) return expired.call(this, entry, late);
    if (late > M.LATE_MS && !entry.graced) {
      entry.graced = true;
      entry.deadline = Date.now() + this.options.pongTimeoutMs / 2;
      return this._armRequest(entry);
    }
    entry.graced = false;
    var heard = (this.status.lastContact || 0) > (entry.periodStart || entry.sentAt);
    if (heard && !entry.refused && patienceLeft(entry)) {
      entry.patience -= 1;
      return this._waitAgain(entry, this.options.requestTimeoutMs);
    }
    if (!entry.refused) return expired.call(this, entry, late);
    this.pending.delete(entry.frame.id);
    entry.reject(entry.refused);
  };

  /** Send a resume's read again on this socket under a new id, after the server's hint or a
   *  backoff, if patience is left and the budget pays (a shed costs what a timeout does). */
  Client.prototype._resendRead = function (entry, hintMs, timedOut) {
    var self = this;
    var socket = this.socket;
    if (entry.resending || !patienceLeft(entry)) return false;
    var cost = this._takeRetry(timedOut);
    if (!cost) return false;
    entry.patience -= 1;
    entry.spent = (entry.spent || 0) + cost;
    entry.resending = true;
    var id = entry.frame.id;
    global.clearTimeout(entry.timer);
    entry.timer = global.setTimeout(function () {
      entry.resending = false;
      if (self.pending.get(id) !== entry || self.socket !== socket) return;
      self.pending.delete(id);
      entry.frame = Object.assign({}, entry.frame, { id: M.requestId() });
      self.pending.set(entry.frame.id, entry);
      entry.pages = [];
      entry.ack = entry.refused = null;
      entry.resends += 1;
      entry.sentAt = Date.now();
      socket.send(JSON.stringify(entry.frame));
      self._waitAgain(entry, self.options.requestTimeoutMs);
    }, this._resendDelay(entry.resends, hintMs));
    return true;
  };

  // A refused resume's read: resent if it may be; with patience but no budget left, the
  // period is waited out (backing off) and the resume fails with the refusal.
  var failed = Client.prototype._failed;
  Client.prototype._failed = function (frame) {
    var entry = frame.id ? this.pending.get(frame.id) : null;
    if (entry && entry.patient && REFUSALS.indexOf(frame.code) >= 0) {
      if (this._resendRead(entry, frame.retry_after_ms, false)) return;
      if (patienceLeft(entry)) {
        entry.refused = frame;
        return;
      }
    }
    failed.call(this, frame);
  };

  // API Gateway's answer for an invocation it could not run (shed at the concurrency cap, or
  // failed): {"message": "Internal server error", "connectionId", "requestId"}, no type and
  // no request id (client/pending.py): any resume's read waiting may be the one lost.
  M.claimFrames(
    400,
    function (data) {
      return data.indexOf('"message"') >= 0 && data.indexOf('"type"') < 0;
    },
    function (client, frame) {
      if ("type" in frame || typeof frame.message !== "string") return false;
      client.pending.forEach(function (entry) {
        if (entry.patient) client._resendRead(entry, 0, true);
      });
      return true;
    }
  );
})(window);
