/*
 * producer-csv-read.js: reading a schedule or shot-list CSV in the console, row by row,
 * with the rules and the words of the Python reader (client/csvio.py), so a file gives the
 * same per-row problems in the browser and in `mediaday schedule import`
 * (tests/browser/test_producer_csv_js.py compares them). Pure: no page, no socket.
 *
 * Columns (header required, order free, names case-insensitive):
 *   schedule: id, station_id, talent_id, starts_at, ends_at, title
 *   shots:    id, station_id, talent_id, description, position, status
 * Times are ISO 8601 ("2026-05-04 09:00", "2026-05-04T09:00:00+02:00"); without an offset
 * they are the media day's wall clock (producer-time.js).
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var P = (M.Producer = M.Producer || {});
  var ids = P.csvIds;

  var COLUMNS = {
    schedule: ["id", "station_id", "talent_id", "starts_at", "ends_at", "title"],
    shots: ["id", "station_id", "talent_id", "description", "position", "status"],
  };
  var REQUIRED = {
    schedule: ["station_id", "talent_id", "starts_at", "ends_at"],
    shots: ["station_id", "talent_id", "description"],
  };
  var STATUSES = ["pending", "captured", "skipped"];
  var TIME_HELP = "use e.g. 2026-05-04 09:00 or 2026-05-04T09:00:00+02:00";
  var ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
  var ID_RULE = "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit";
  var UNSAFE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
  var FORMULA_LIKE = /^'*[=+\-@\t\r]/;
  var FREE_TEXT = { title: true, description: true };
  var MAX_SLOT_MS = 12 * 3600 * 1000;

  /** Records of a CSV text as Python's csv.reader splits them: [{line, cells}]. */
  function records(text) {
    var src = String(text).replace(/\r\n?/g, "\n");
    var out = [];
    var cells = [];
    var cell = "";
    var quoted = false; // inside a quoted field
    var started = false; // the record has a field (even an empty one)
    var line = 1;
    var recordLine = 1;
    for (var i = 0; i < src.length; i++) {
      var ch = src[i];
      if (quoted) {
        if (ch === '"' && src[i + 1] === '"') { cell += '"'; i++; }
        else if (ch === '"') quoted = false;
        else { if (ch === "\n") line++; cell += ch; }
        continue;
      }
      if (ch === '"' && cell === "" && !started) { quoted = true; started = true; }
      else if (ch === ",") { cells.push(cell); cell = ""; started = false; }
      else if (ch === "\n") {
        if (cells.length || cell !== "" || started) cells.push(cell);
        out.push({ line: recordLine, cells: cells });
        cells = []; cell = ""; started = false; line++; recordLine = line;
      } else { cell += ch; started = true; }
    }
    if (cells.length || cell !== "" || started) { cells.push(cell); out.push({ line: recordLine, cells: cells }); }
    return out;
  }

  /** Python's repr of a string, for the words of an unknown column. */
  function repr(text) {
    var quote = text.indexOf("'") >= 0 && text.indexOf('"') < 0 ? '"' : "'";
    var body = text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t");
    if (quote === "'") body = body.replace(/'/g, "\\'");
    return quote + body + quote;
  }

  function unguarded(column, cell) {
    return FREE_TEXT[column] && cell[0] === "'" && FORMULA_LIKE.test(cell.slice(1)) ? cell.slice(1) : cell;
  }

  /** [{line, fields}] of the non-empty rows after a valid header; header problems to `errors`. */
  function rowsOf(text, kind, errors) {
    var columns = COLUMNS[kind];
    var all = records(text);
    if (!all.length) {
      errors.push({ line: 1, message: "the file is empty: it needs a header (" + columns.join(",") + ")" });
      return [];
    }
    var names = all[0].cells.map(function (c) { return c.trim().toLowerCase().replace(/^\ufeff+/, ""); });
    var unknown = names.filter(function (n) { return columns.indexOf(n) < 0; });
    var missing = REQUIRED[kind].filter(function (c) { return names.indexOf(c) < 0; });
    var twice = new Set(names).size !== names.length;
    if (unknown.length || missing.length || twice) {
      var parts = unknown.map(function (n) { return "unknown column " + repr(n); });
      parts = parts.concat(missing.map(function (c) { return "missing column " + repr(c); }));
      if (twice) parts.push("a column appears twice");
      errors.push({ line: 1, message: parts.join("; ") + " (columns: " + columns.join(", ") + ")" });
      return [];
    }
    var rows = [];
    all.slice(1).forEach(function (record) {
      if (!record.cells.some(function (c) { return c.trim(); })) return;
      if (record.cells.length > names.length) {
        errors.push({ line: record.line, message: record.cells.length + " cells but " + names.length + " columns" });
        return;
      }
      var fields = {};
      record.cells.forEach(function (c, index) {
        var value = unguarded(names[index], c.trim());
        if (value) fields[names[index]] = value;
      });
      rows.push({ line: record.line, fields: fields });
    });
    return rows;
  }

  function validDate(y, mo, d) {
    return mo >= 1 && mo <= 12 && d >= 1 && d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
  }

  /** A cell as a moment {ms, wall, us, offsetS}, as datetime.fromisoformat reads it; null if not. */
  function parseTime(text) {
    var m = /^(\d{4})-?(\d{2})-?(\d{2})(?:.(\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d{1,6}))?)?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/.exec(text);
    if (!m) return null;
    var n = function (v) { return v === undefined ? 0 : Number(v); };
    var wall = { y: n(m[1]), mo: n(m[2]), d: n(m[3]), h: n(m[4]), mi: n(m[5]), s: n(m[6]) };
    if (!validDate(wall.y, wall.mo, wall.d) || wall.h > 23 || wall.mi > 59 || wall.s > 59) return null;
    if (m[8] && m[4] === undefined) return null; // an offset needs a time
    var us = m[7] ? Number((m[7] + "00000").slice(0, 6)) : 0;
    var offsetS;
    if (!m[8]) offsetS = null;
    else if (/^z$/i.test(m[8])) offsetS = 0;
    else {
      var digits = m[8].replace(":", "");
      offsetS = (digits[0] === "-" ? -1 : 1) * (Number(digits.slice(1, 3)) * 3600 + Number(digits.slice(3, 5) || 0) * 60);
      if (Math.abs(offsetS) >= 86400) return null;
    }
    var ms;
    if (offsetS === null) {
      ms = P.time.fromWall(wall.y, wall.mo, wall.d, wall.h, wall.mi, wall.s); // the day's zone
      offsetS = Math.round(P.time.offsetAt(ms) / 1000);
    } else {
      ms = Date.UTC(wall.y, wall.mo - 1, wall.d, wall.h, wall.mi, wall.s) - offsetS * 1000;
    }
    return { ms: ms + us / 1000, wall: wall, us: us, offsetS: offsetS };
  }

  function two(v) {
    return (v < 10 ? "0" : "") + v;
  }

  /** A moment as pydantic writes it in JSON ("…T09:00:00+02:00", "…T07:00:00Z"). */
  function pydanticTime(t) {
    var w = t.wall;
    var text = w.y + "-" + two(w.mo) + "-" + two(w.d) + "T" + two(w.h) + ":" + two(w.mi) + ":" + two(w.s);
    if (t.us) text += "." + ("00000" + t.us).slice(-6);
    if (t.offsetS === 0) return text + "Z";
    var off = Math.abs(t.offsetS);
    return text + (t.offsetS < 0 ? "-" : "+") + two(Math.floor(off / 3600)) + ":" + two(Math.floor(off / 60) % 60);
  }

  /** The problem of one text field, in pydantic's words (null: fine). */
  function textProblem(value, min, max) {
    var length = Array.from(value).length;
    if (length < min) return "String should have at least " + min + " character" + (min === 1 ? "" : "s");
    if (length > max) return "String should have at most " + max + " characters";
    var bad = UNSAFE.exec(value);
    if (bad) {
      var code = bad[0].codePointAt(0).toString(16).toUpperCase();
      return "must not contain control characters (U+" + ("000" + code).slice(-Math.max(4, code.length)) + " is not allowed)";
    }
    return null;
  }

  /** Problems of the model's fields, in its field order (NewSlot / NewShot). */
  function modelProblems(fields, spec) {
    var problems = [];
    spec.forEach(function (field) {
      var name = field[0], rule = field[1], required = field[2];
      var value = fields[name];
      var said = null;
      if (value === undefined) said = required ? "Field required" : null;
      else if (rule === "id") said = ID_PATTERN.test(value) ? null : ID_RULE;
      else if (rule === "time") said = null;
      else if (rule === "position") said = value < 0 ? "Input should be greater than or equal to 0" : value > 100000 ? "Input should be less than or equal to 100000" : null;
      else said = textProblem(value, rule[0], rule[1]);
      if (said) problems.push(name + ": " + said);
    });
    return problems;
  }

  var SLOT_SPEC = [["id", "id", false], ["station_id", "id", true], ["talent_id", "id", true], ["starts_at", "time", true], ["ends_at", "time", true], ["title", [0, 200], false]];
  var SHOT_SPEC = [["id", "id", false], ["station_id", "id", true], ["talent_id", "id", true], ["description", [1, 120], true], ["position", "position", false]];

  /** The row's item is good: the roster check (last), or its problems recorded. */
  function checked(line, item, problems, roster, errors) {
    if (item && !problems.length && roster) {
      if (!roster.stations.has(item.station_id)) problems.push("station_id: no station " + repr(item.station_id) + " on the roster");
      if (!roster.talent.has(item.talent_id)) problems.push("talent_id: no talent " + repr(item.talent_id) + " on the roster");
    }
    if (problems.length || !item) {
      errors.push({ line: line, message: problems.join("; ") });
      return null;
    }
    return item;
  }

  /** The rows and every problem (a repeated id included), sorted by line. */
  function finished(rows, errors, itemOf) {
    var first = {};
    rows.forEach(function (row) {
      var id = itemOf(row).id;
      if (!id) return;
      if (first[id]) errors.push({ line: row.line, message: "id: " + repr(id) + " is already used on line " + first[id] });
      else first[id] = row.line;
    });
    errors.sort(function (a, b) { return a.line - b.line; });
    return { rows: errors.length ? [] : rows, errors: errors };
  }

  /** A file of `kind`: {rows: [{line, key, slot | shot, status?}], errors: [{line, message}]}. */
  function readFile(kind, text, roster) {
    var errors = [];
    var rows = [];
    var keys = new ids.RowKeys(kind);
    rowsOf(text, kind, errors).forEach(function (row) {
      var read = kind === "schedule" ? slotOf(row.fields) : shotOf(row.fields);
      var item = checked(row.line, read.item, read.problems, roster, errors);
      if (!item) return;
      if (kind === "schedule") rows.push({ line: row.line, key: keys.key(slotContent(item)), slot: item });
      else rows.push({ line: row.line, key: keys.key(Object.assign({}, item, { status: read.status })), shot: item, status: read.status });
    });
    return finished(rows, errors, function (row) { return row.slot || row.shot; });
  }

  function readSchedule(text, roster) {
    return readFile("schedule", text, roster);
  }

  function readShots(text, roster) {
    return readFile("shots", text, roster);
  }

  /** One schedule row: {item: the slot, or null, problems}. */
  function slotOf(fields) {
    var problems = [];
    var times = {};
    ["starts_at", "ends_at"].forEach(function (name) {
      if (fields[name] === undefined) return;
      times[name] = parseTime(fields[name]);
      if (!times[name]) problems.push(name + ": not a date and time (" + TIME_HELP + ")");
    });
    if (problems.length) return { item: null, problems: problems };
    problems = modelProblems(fields, SLOT_SPEC);
    if (!problems.length) {
      var span = times.ends_at.ms - times.starts_at.ms;
      if (span <= 0) problems.push("ends_at must be after starts_at");
      else if (span > MAX_SLOT_MS) problems.push("a slot lasts at most 12 hours");
    }
    if (problems.length) return { item: null, problems: problems };
    return { item: { id: fields.id || null, station_id: fields.station_id, talent_id: fields.talent_id, starts: times.starts_at, ends: times.ends_at, title: fields.title || "" }, problems: problems };
  }

  /** A slot row as pydantic dumps it (the basis of its key and of its create). */
  function slotContent(slot) {
    return { id: slot.id, station_id: slot.station_id, talent_id: slot.talent_id, starts_at: pydanticTime(slot.starts), ends_at: pydanticTime(slot.ends), title: slot.title };
  }

  /** One shot-list row: {item: the shot, or null, problems, status (null: leave as is)}. */
  function shotOf(fields) {
    var problems = [];
    var status = null;
    if (fields.status !== undefined) {
      status = fields.status.toLowerCase();
      if (STATUSES.indexOf(status) < 0) problems.push("status: must be one of " + STATUSES.join(", "));
      delete fields.status;
    }
    if (fields.position !== undefined) {
      if (/^[+-]?\d+(_\d+)*$/.test(fields.position)) fields.position = Number(fields.position.replace(/_/g, ""));
      else {
        problems.push("position: must be a whole number");
        delete fields.position;
      }
    }
    problems = problems.concat(modelProblems(fields, SHOT_SPEC));
    var shot = problems.length ? null : { id: fields.id || null, station_id: fields.station_id, talent_id: fields.talent_id, description: fields.description, position: fields.position || 0 };
    return { item: shot, problems: problems, status: status };
  }

  /** Which kind a file is, from its header ("schedule", "shots" or null). */
  function kindOf(text) {
    var first = records(text)[0];
    var names = first ? first.cells.map(function (c) { return c.trim().toLowerCase().replace(/^\ufeff+/, ""); }) : [];
    if (names.indexOf("starts_at") >= 0 || names.indexOf("ends_at") >= 0) return "schedule";
    if (names.indexOf("description") >= 0 || names.indexOf("status") >= 0) return "shots";
    return null;
  }

  P.csvRead = {
    COLUMNS: COLUMNS,
    records: records,
    parseTime: parseTime,
    pydanticTime: pydanticTime,
    slotContent: slotContent,
    readSchedule: readSchedule,
    readShots: readShots,
    kindOf: kindOf,
    FORMULA_LIKE: FORMULA_LIKE,
  };
})(window);
