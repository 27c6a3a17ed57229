/*
 * producer-csv-plan.js: what a read CSV file would change, and writing it, as the Python
 * importer does (client/bookings.py, client/importer.py): double-bookings are bad rows; a
 * row whose id names a live item becomes the fewest edits that make the item match it
 * (none when it already does), any other row a create. Writing goes through `batch` (all
 * or nothing each): every row's first step, in as few batches as 99 writes and one 32 KB
 * frame allow, then the second steps with the versions the first ones returned. Request
 * ids derive from the rows (producer-csv-ids.js): applying a file again changes nothing.
 * Also the export, in the format the import reads (csvio.write_schedule / write_shots).
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var P = (M.Producer = M.Producer || {});
  var ids = P.csvIds;
  var read = P.csvRead;

  var MAX_BATCH_WRITES = 99;
  var MAX_BATCH_BYTES = 32768 - 2048;
  var BATCH_LINE = /^writes\[(\d+)\] [a-z_.]+: /;
  var OVERLAP_HINT = "import with --allow-overlap";

  function hhmm(t) {
    return ("0" + t.wall.h).slice(-2) + ":" + ("0" + t.wall.mi).slice(-2);
  }

  /** A server time in epoch ms with its microseconds (Date.parse drops them; rows keep them). */
  function instant(text) {
    var t = read.parseTime(String(text));
    return t ? t.ms : Date.parse(text);
  }

  /** A slot of the mirror as the booking rule sees it (its times as written by the server). */
  function stored(slot) {
    return { id: slot.id, station_id: slot.station_id, talent_id: slot.talent_id, start: instant(slot.starts_at), end: instant(slot.ends_at), said: slot.station_id + " " + slot.starts_at.slice(11, 16) + "-" + slot.ends_at.slice(11, 16) };
  }

  function overlaps(a, b) {
    return a.start < b.end && b.start < a.end;
  }

  /** Rows that would put an athlete in two overlapping slots (bookings.double_bookings). */
  function doubleBookings(rows, mirror, hint) {
    var inFile = new Set(rows.map(function (r) { return r.slot.id; }).filter(Boolean));
    var kept = mirror.ofType("slot").filter(function (s) { return !inFile.has(s.id); }).map(stored);
    var booked = rows.map(function (row) {
      var s = row.slot;
      return { row: row, slot: { id: s.id || "line-" + row.line, station_id: s.station_id, talent_id: s.talent_id, start: s.starts.ms, end: s.ends.ms, said: s.station_id + " " + hhmm(s.starts) + "-" + hhmm(s.ends) } };
    });
    var errors = [];
    booked.forEach(function (entry) {
      var slot = entry.slot;
      var current = mirror.get("slot", slot.id);
      if (current) {
        var was = stored(current);
        if (was.talent_id === slot.talent_id && was.start === slot.start && was.end === slot.end) return;
      }
      var clashes = booked
        .filter(function (other) { return other !== entry && other.slot.talent_id === slot.talent_id && overlaps(slot, other.slot); })
        .map(function (other) { return "line " + other.row.line; })
        .concat(
          kept
            .filter(function (other) {
              var same = other.station_id === slot.station_id && other.start === slot.start && other.end === slot.end;
              return other.talent_id === slot.talent_id && overlaps(slot, other) && !same;
            })
            .map(function (other) { return "slot " + other.id + " (" + other.said + ")"; })
        );
      if (clashes.length) {
        errors.push({
          line: entry.row.line,
          message: "double_booked: athlete " + slot.talent_id + " would be in two places at once (" + slot.said + " overlaps " + clashes.join(", ") + "); fix the times or " + (hint || OVERLAP_HINT),
        });
      }
    });
    return errors;
  }

  function step(action, fields, editsItem) {
    return { action: action, fields: fields, editsItem: editsItem !== false };
  }

  function editPlan(row, type, current, steps) {
    return { line: row.line, key: row.key, type: type, outcome: steps.length ? "update" : "unchanged", steps: steps, itemId: current.id, version: current.version };
  }

  function plans(kind, rows, mirror) {
    return kind === "schedule" ? planSchedule(rows, mirror) : planShots(rows, mirror);
  }

  function planSchedule(rows, mirror) {
    return rows.map(function (row) {
      var s = row.slot;
      var current = s.id ? mirror.get("slot", s.id) : null;
      if (!current) {
        var fields = read.slotContent(s);
        if (!fields.id) delete fields.id;
        return { line: row.line, key: row.key, type: "slot", outcome: "create", steps: [step("slot.create", { slot: fields }, false)], itemId: null, version: null, talent: s.talent_id };
      }
      var steps = [];
      var changes = {};
      var moved = s.station_id !== current.station_id;
      if (moved) steps.push(step("slot.move", { station_id: s.station_id, starts_at: read.pydanticTime(s.starts), ends_at: read.pydanticTime(s.ends) }));
      if (s.talent_id !== current.talent_id) changes.talent_id = s.talent_id;
      if (!moved && s.starts.ms !== instant(current.starts_at)) changes.starts_at = read.pydanticTime(s.starts);
      if (!moved && s.ends.ms !== instant(current.ends_at)) changes.ends_at = read.pydanticTime(s.ends);
      if (s.title !== (current.title || "")) changes.title = s.title;
      if (Object.keys(changes).length) steps.push(step("slot.update", { changes: changes }));
      return Object.assign(editPlan(row, "slot", current, steps), { talent: s.talent_id });
    });
  }

  /** Plans, or {errors} when a row would move a shot to another station. */
  function planShots(rows, mirror) {
    var errors = [];
    var out = rows.map(function (row) {
      var s = row.shot;
      var current = s.id ? mirror.get("shot", s.id) : null;
      if (!current) {
        var fields = Object.assign({}, s);
        if (!fields.id) delete fields.id;
        var steps = [step("shot.add", { shot: fields }, false)];
        if (row.status && row.status !== "pending") steps.push(step("shot.set_status", { status: row.status }));
        return { line: row.line, key: row.key, type: "shot", outcome: "create", steps: steps, itemId: null, version: null };
      }
      if (s.station_id !== current.station_id) {
        errors.push({ line: row.line, message: "shot '" + current.id + "' belongs to station '" + current.station_id + "': a shot cannot move to another station (delete it or use a new id)" });
        return null;
      }
      var changes = {};
      ["talent_id", "description", "position"].forEach(function (name) {
        var was = name === "position" ? current.position || 0 : current[name];
        if (s[name] !== was) changes[name] = s[name];
      });
      var edits = Object.keys(changes).length ? [step("shot.update", { changes: changes })] : [];
      if (row.status && row.status !== current.status) edits.push(step("shot.set_status", { status: row.status }));
      return editPlan(row, "shot", current, edits);
    });
    return errors.length ? { errors: errors } : out;
  }

  /** Step `number` of a row as a batch write, with the id sending it alone would have had. */
  function entry(plan, number, state, allowOverlap) {
    var s = plan.steps[number];
    var fields = JSON.parse(JSON.stringify(s.fields));
    if (s.editsItem) {
      fields[plan.type + "_id"] = state.itemId;
      fields.version = state.version;
    }
    if (allowOverlap && s.action.indexOf("slot.") === 0) fields.allow_overlap = true;
    var version = state.version === null ? "None" : state.version;
    return Object.assign({ action: s.action, id: ids.requestId(plan.key, number + ":" + s.action + ":v" + version) }, fields);
  }

  /** Runs of at most 99 writes whose request fits one frame. */
  function chunks(entries) {
    var out = [];
    var size = 0;
    var encoder = new TextEncoder();
    entries.forEach(function (e) {
      var bytes = encoder.encode(JSON.stringify(e.write)).length + 1;
      if (!out.length || out[out.length - 1].length >= MAX_BATCH_WRITES || size + bytes > MAX_BATCH_BYTES) {
        out.push([]);
        size = 0;
      }
      out[out.length - 1].push(e);
      size += bytes;
    });
    return out;
  }

  /**
   * Write every plan through `batch`; stops at the first refusal, reported by line.
   * Resolves {created, updated, unchanged, failures: [{line, message}], batches}.
   */
  async function apply(client, planList, options) {
    var opts = options || {};
    var states = planList.map(function (p) { return { itemId: p.itemId, version: p.version, wrote: false }; });
    var depth = Math.max.apply(null, [0].concat(planList.map(function (p) { return p.steps.length; })));
    var result = { created: 0, updated: 0, unchanged: 0, failures: [], batches: 0 };
    var done = 0;
    for (var number = 0; number < depth; number++) {
      var entries = [];
      planList.forEach(function (p, index) {
        if (p.steps.length > number) entries.push({ index: index, write: entry(p, number, states[index], opts.allowOverlap) });
      });
      // one athlete's rows side by side: the server checks bookings with one Query per
      // athlete of a batch (as client/importer.py's _booking_order does)
      entries.sort(function (a, b) {
        var x = planList[a.index].talent || "", y = planList[b.index].talent || "";
        return x === y ? a.index - b.index : x < y ? -1 : 1;
      });
      var runs = chunks(entries);
      for (var r = 0; r < runs.length; r++) {
        var chunk = runs[r];
        var writes = chunk.map(function (e) { return e.write; });
        var rid = "csvb-" + ids.sha256(writes.map(function (w) { return w.id; }).join("/")).slice(0, 40);
        var ack;
        try {
          ack = await client.request({ action: "batch", id: rid, writes: writes });
          result.batches++;
        } catch (error) {
          var said = (error && error.message) || "";
          var at = BATCH_LINE.exec(said);
          var position = at && Number(at[1]) < chunk.length ? Number(at[1]) : 0;
          result.failures.push({ line: planList[chunk[position].index].line, message: ((error && error.code) || "error") + ": " + said.replace(BATCH_LINE, "") });
          count(result, planList, states, number);
          return result;
        }
        // a resent batch's duplicates may be this import's own earlier send: written
        var duplicates = new Set(ack.resent ? [] : ack.duplicates || []);
        chunk.forEach(function (e, position) {
          var item = (ack.items || [])[position];
          if (!item) return;
          var state = states[e.index];
          state.itemId = String(item.id);
          state.version = Number(item.version);
          state.wrote = state.wrote || !duplicates.has(position);
          client.mirror.apply(item);
          if (planList[e.index].steps.length === number + 1) done++;
        });
        if (opts.onProgress) opts.onProgress(done, planList.length);
      }
    }
    count(result, planList, states, depth);
    return result;
  }

  function count(result, planList, states, doneSteps) {
    planList.forEach(function (p, index) {
      if (p.steps.length && p.steps.length > doneSteps) return; // not (completely) written
      if (!states[index].wrote) result.unchanged++;
      else if (p.outcome === "create") result.created++;
      else result.updated++;
    });
  }

  // -- export -------------------------------------------------------------------------------
  function cell(value) {
    var text = String(value);
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function guarded(text) {
    return read.FORMULA_LIKE.test(text) ? "'" + text : text;
  }

  /** An ISO time of the server as Python's astimezone(day zone).isoformat() writes it. */
  function inDayZone(text) {
    var ms = Date.parse(text);
    var w = P.time.wall(ms);
    var fraction = /\.(\d{1,6})/.exec(text.slice(19));
    var us = fraction ? (fraction[1] + "00000").slice(0, 6) : "";
    var off = Math.round(P.time.offsetAt(ms) / 60000);
    var two = function (v) { return ("0" + v).slice(-2); };
    return w.y + "-" + two(w.mo) + "-" + two(w.d) + "T" + two(w.h) + ":" + two(w.mi) + ":" + two(w.s) + (us && Number(us) ? "." + us : "") + (off < 0 ? "-" : "+") + two(Math.floor(Math.abs(off) / 60)) + ":" + two(Math.abs(off) % 60);
  }

  function byKeys(keys) {
    return function (a, b) {
      for (var i = 0; i < keys.length; i++) {
        var x = keys[i](a), y = keys[i](b);
        if (x !== y) return x < y ? -1 : 1;
      }
      return 0;
    };
  }

  function lines(header, rows) {
    return [header].concat(rows).map(function (r) { return r.map(cell).join(","); }).join("\n") + "\n";
  }

  function writeSchedule(slots) {
    var sorted = slots.slice().sort(byKeys([function (s) { return s.station_id; }, function (s) { return instant(s.starts_at); }, function (s) { return s.id; }]));
    return lines(read.COLUMNS.schedule, sorted.map(function (s) {
      return [s.id, s.station_id, s.talent_id, inDayZone(s.starts_at), inDayZone(s.ends_at), guarded(s.title || "")];
    }));
  }

  function writeShots(shots) {
    var sorted = shots.slice().sort(byKeys([function (s) { return s.station_id; }, function (s) { return s.talent_id; }, function (s) { return s.position || 0; }, function (s) { return s.id; }]));
    return lines(read.COLUMNS.shots, sorted.map(function (s) {
      return [s.id, s.station_id, s.talent_id, guarded(s.description), s.position || 0, s.status || "pending"];
    }));
  }

  P.csvPlan = {
    doubleBookings: doubleBookings,
    plans: plans,
    entry: entry,
    chunks: chunks,
    apply: apply,
    writeSchedule: writeSchedule,
    writeShots: writeShots,
    csvCell: cell,
  };
})(window);
