/*
 * producer-csv-ids.js: the request ids of a CSV import, derived exactly as the Python
 * importer derives them (client/csvio.py `_RowKeys` and `request_id`): a row's key is the
 * SHA-256 of its validated content, written as Python's `json.dumps(sort_keys=True)` writes
 * it, and of how many identical rows came before it. The same file gives the same ids on
 * every run, from the console or the CLI, so a second run is answered as duplicates.
 * SHA-256 is computed here because crypto.subtle exists only on https or localhost pages.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var P = (M.Producer = M.Producer || {});

  var K = [];
  (function () {
    // the first 32 bits of the fractional parts of the cube roots of the first 64 primes
    var n = 2;
    while (K.length < 64) {
      var prime = true;
      for (var d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
      if (prime) K.push((Math.pow(n, 1 / 3) % 1) * 4294967296 | 0);
      n++;
    }
  })();

  /** The SHA-256 of a string's UTF-8 bytes, as 64 hex digits. */
  function sha256(text) {
    var bytes = new TextEncoder().encode(text);
    var length = bytes.length;
    var words = new Int32Array((((length + 8) >> 6) + 1) * 16);
    for (var i = 0; i < length; i++) words[i >> 2] |= bytes[i] << (24 - (i % 4) * 8);
    words[length >> 2] |= 0x80 << (24 - (length % 4) * 8);
    words[words.length - 1] = length * 8;
    var hash = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    var w = new Int32Array(64);
    for (var block = 0; block < words.length; block += 16) {
      var a = hash[0], b = hash[1], c = hash[2], dd = hash[3], e = hash[4], f = hash[5], g = hash[6], hh = hash[7];
      for (var t = 0; t < 64; t++) {
        if (t < 16) w[t] = words[block + t];
        else {
          var x = w[t - 15], y = w[t - 2];
          var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
          var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
          w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
        }
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[t] + w[t]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        hh = g; g = f; f = e; e = (dd + t1) | 0; dd = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      hash = [a, b, c, dd, e, f, g, hh].map(function (v, k) { return (v + hash[k]) | 0; });
    }
    return hash.map(function (v) { return ("0000000" + (v >>> 0).toString(16)).slice(-8); }).join("");
  }

  /** A value as Python's json.dumps(value, sort_keys=True) writes it (ASCII, ", " and ": "). */
  function pythonJson(value) {
    if (value === null || value === undefined) return "null";
    if (Array.isArray(value)) return "[" + value.map(pythonJson).join(", ") + "]";
    if (typeof value === "object") {
      return "{" + Object.keys(value).sort().map(function (k) { return pythonJson(k) + ": " + pythonJson(value[k]); }).join(", ") + "}";
    }
    if (typeof value === "string") {
      return JSON.stringify(value).replace(/[\u007f-\uffff]/g, function (ch) {
        return ch === "\u007f" ? ch : "\\u" + ("000" + ch.charCodeAt(0).toString(16)).slice(-4);
      });
    }
    return JSON.stringify(value);
  }

  /** Stable keys for the rows of one file: content hash plus occurrence number. */
  function RowKeys(kind) {
    this.kind = kind;
    this.seen = {};
  }

  RowKeys.prototype.key = function (content) {
    var canonical = pythonJson([this.kind, content]);
    var occurrence = this.seen[canonical] || 0;
    this.seen[canonical] = occurrence + 1;
    return sha256(canonical + "#" + occurrence);
  };

  /** The request id of one step of one row (csvio.request_id). */
  function requestId(rowKey, step) {
    return "csv-" + sha256(rowKey + "/" + step).slice(0, 40);
  }

  P.csvIds = { sha256: sha256, pythonJson: pythonJson, RowKeys: RowKeys, requestId: requestId };
})(window);
