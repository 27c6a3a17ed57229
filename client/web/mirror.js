/*
 * mirror.js: the topics a page can follow and the mirror of the items they hold.
 *
 * An item is applied only when its version is newer than the one held (duplicates and
 * reordering are harmless); it stays in the mirror only while a subscribed topic holds it
 * and it is not deleted. A topic's snapshot replaces what the topic held.
 *
 * The first of the client's classic scripts (see mediaday.js): it creates `window.MediaDay`.
 */
(function (global) {
  "use strict";

  var M = (global.MediaDay = global.MediaDay || {});

  var STATIC_TOPICS = {
    roster: ["day", "station", "talent"],
    schedule: ["slot"],
    calls: ["call"],
    notices: ["notice"],
  };
  var STATION_TOPICS = { station: ["slot", "call"], shots: ["shot"] };

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
   * An `events` frame: every change of one stream batch for this connection, in rev order;
   * true when any of them changed the mirror's knowledge.
   */
  Mirror.prototype.applyEvents = function (changes) {
    var changed = false;
    if (!Array.isArray(changes)) return false;
    for (var i = 0; i < changes.length; i++) {
      if (changes[i] && this.apply(changes[i].item)) changed = true;
    }
    return changed;
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

  M.Mirror = Mirror;
  M.parseTopic = parseTopic;
  M.topicHolds = topicHolds;
})(window);
