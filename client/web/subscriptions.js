/*
 * subscriptions.js: the Client's topics (see mediaday.js). Subscribe collects each topic's
 * snapshot; the rev of a topic's last snapshot/sync answer is its watermark; sync asks for
 * everything changed since it, tombstones included, and a rev the server no longer has
 * starts again from a snapshot.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var Client = M.Client;
  var parseTopic = M.parseTopic;

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
    return this.request(request).then(function (done) {
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
})(window);
