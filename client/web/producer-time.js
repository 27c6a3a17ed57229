/*
 * producer-time.js: the console's wall-clock arithmetic in the media day's time zone. A
 * producer types "14:30" meaning the venue's 14:30, whatever zone the laptop is set to, so
 * form times are converted with Intl, not with the browser's own offset.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var P = (M.Producer = M.Producer || {});
  var zone = "";
  var parts = null;

  function setZone(name) {
    if (name === zone && parts) return;
    try {
      parts = new Intl.DateTimeFormat("en-CA", {
        timeZone: name || undefined,
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
        hourCycle: "h23",
      });
      zone = name;
    } catch (e) {
      parts = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
      zone = "";
    }
  }

  /** {y, mo, d, h, mi, s} of an epoch-ms moment on the venue's wall clock. */
  function wall(ms) {
    if (!parts) setZone("");
    var out = {};
    parts.formatToParts(new Date(ms)).forEach(function (p) {
      if (p.type !== "literal") out[p.type] = Number(p.value);
    });
    return { y: out.year, mo: out.month, d: out.day, h: out.hour % 24, mi: out.minute, s: out.second };
  }

  function offsetAt(ms) {
    var w = wall(ms);
    return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(ms / 1000) * 1000;
  }

  /** The moment the venue's clock reads y-mo-d h:mi:s (mo from 1). */
  function fromWall(y, mo, d, hh, mi, s) {
    var guess = Date.UTC(y, mo - 1, d, hh, mi, s || 0);
    var moment = guess - offsetAt(guess);
    return guess - offsetAt(moment); // across a DST change the offset differs
  }

  /** The moment the venue's clock reads `hhmm` ("14:30") on the wall date of `dayMs`. */
  function atWallTime(dayMs, hhmm) {
    var match = /^(\d{1,2}):(\d{2})$/.exec(String(hhmm || ""));
    if (!match) return NaN;
    var w = wall(dayMs);
    return fromWall(w.y, w.mo, w.d, Number(match[1]), Number(match[2]), 0);
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  /** "14:30" on the venue's clock, the value a time input takes. */
  function inputTime(ms) {
    var w = wall(ms);
    return pad(w.h) + ":" + pad(w.mi);
  }

  function iso(ms) {
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  P.time = {
    setZone: setZone,
    atWallTime: atWallTime,
    inputTime: inputTime,
    iso: iso,
    wall: wall, // the CSV import and export (producer-csv-*.js) read and write wall times
    fromWall: fromWall,
    offsetAt: offsetAt,
  };
})(window);
