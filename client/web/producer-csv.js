/*
 * producer-csv.js: the console's CSV section. A schedule or shot-list file (chosen or
 * dropped) is read and planned at once, a dry run: every bad row is listed by line (bad
 * times, unknown station or athlete, double-bookings naming the other slot, repeated ids)
 * and a file with any bad row is refused as a whole. Only a clean file offers "Apply",
 * which writes through `batch` (producer-csv-plan.js) with progress and the outcome.
 * Downloads give the schedule and the shot lists in the same format.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var P = M.Producer;
  var read = P.csvRead;
  var plan = P.csvPlan;
  var els = {};
  var loaded = null; // {name, text, kind, plans, errors}
  var applying = false;
  var outcome = null; // {text, refused}
  var drawn; // the `loaded` the table shows (none yet): rebuilt only when that changes
  var UI_HINT = "tick “Allow overlaps”";

  function byId(id) {
    return global.document.getElementById(id);
  }

  /**
   * Every station's shot list: the shot CSV and the report need the whole day's shots.
   * Resolves once each has its snapshot (at most 10 s), so a plan never misses a shot;
   * `subscribeOnly`: at once (the report follows them as they come).
   */
  function followShots(ctx, subscribeOnly) {
    var topics = ctx.stations().map(function (s) { return "shots:" + s.id; });
    var client = ctx.client;
    var subscribed = client.addTopics(topics);
    if (subscribeOnly) return subscribed;
    return subscribed.then(function () {
      return new Promise(function (resolve) {
        var until = Date.now() + 10000;
        (function check() {
          var missing = topics.some(function (t) { return client.topicRevs[t] === undefined; });
          if (!missing || Date.now() > until) resolve(null);
          else global.setTimeout(check, 100);
        })();
      });
    });
  }

  function init(ctx) {
    ["csv-file", "csv-drop", "csv-overlap", "csv-summary", "csv-table", "csv-apply", "csv-progress", "csv-outcome", "csv-download-schedule", "csv-download-shots"].forEach(function (id) {
      els[id] = byId(id);
    });
    els["csv-file"].addEventListener("change", function () {
      var file = els["csv-file"].files && els["csv-file"].files[0];
      if (file) load(ctx, file);
    });
    var drop = els["csv-drop"];
    ["dragenter", "dragover"].forEach(function (name) {
      drop.addEventListener(name, function (event) {
        event.preventDefault();
        drop.classList.add("is-dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      drop.addEventListener(name, function () { drop.classList.remove("is-dragging"); });
    });
    drop.addEventListener("drop", function (event) {
      event.preventDefault();
      var file = event.dataTransfer && event.dataTransfer.files[0];
      if (file) load(ctx, file);
    });
    els["csv-overlap"].addEventListener("change", function () {
      if (loaded) dryRun(ctx, loaded.name, loaded.text).then(function () { ctx.render(); });
    });
    els["csv-apply"].addEventListener("click", function () { applyFile(ctx); });
    els["csv-download-schedule"].addEventListener("click", function () {
      download(ctx, "schedule", plan.writeSchedule(ctx.mirror.ofType("slot")));
    });
    els["csv-download-shots"].addEventListener("click", function () {
      followShots(ctx).then(function () { download(ctx, "shots", plan.writeShots(ctx.mirror.ofType("shot"))); });
    });
  }

  function load(ctx, file) {
    outcome = null;
    file.arrayBuffer().then(function (buffer) {
      var text;
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(buffer);
      } catch (e) {
        loaded = { name: file.name, kind: null, plans: [], errors: [{ line: 0, message: file.name + " is not UTF-8 text (save as CSV UTF-8)" }] };
        ctx.render();
        return null;
      }
      return dryRun(ctx, file.name, text.replace(/^\ufeff/, "")).then(function () { ctx.render(); });
    });
  }

  /** Read, check and plan the file against what the console holds now: nothing is sent. */
  function dryRun(ctx, name, text) {
    var kind = read.kindOf(text) || "schedule";
    var ready = kind === "shots" ? followShots(ctx) : Promise.resolve(null);
    return ready.then(function () {
      var roster = {
        stations: new Set(ctx.mirror.ofType("station").map(function (s) { return s.id; })),
        talent: new Set(ctx.mirror.ofType("talent").map(function (t) { return t.id; })),
      };
      var file = kind === "schedule" ? read.readSchedule(text, roster) : read.readShots(text, roster);
      var errors = file.errors;
      if (!errors.length && kind === "schedule" && !els["csv-overlap"].checked) errors = plan.doubleBookings(file.rows, ctx.mirror, UI_HINT);
      var plans = [];
      if (!errors.length) {
        var planned = plan.plans(kind, file.rows, ctx.mirror);
        if (planned.errors) errors = planned.errors;
        else plans = planned;
      }
      loaded = { name: name, text: text, kind: kind, plans: errors.length ? [] : plans, errors: errors };
      return loaded;
    });
  }

  function applyFile(ctx) {
    if (!loaded || applying || loaded.errors.length) return;
    var name = loaded.name;
    applying = true;
    outcome = { text: "Applying " + name + "…", refused: false };
    // planned again against the console's latest state: versions may have moved meanwhile
    dryRun(ctx, name, loaded.text)
      .then(function (again) {
        if (again.errors.length) return null;
        els["csv-progress"].max = Math.max(1, again.plans.length);
        els["csv-progress"].value = 0;
        ctx.render();
        return plan.apply(ctx.client, again.plans, {
          allowOverlap: els["csv-overlap"].checked,
          onProgress: function (done) { els["csv-progress"].value = done; },
        });
      })
      .then(function (result) {
        applying = false;
        if (!result) {
          outcome = { text: "Not applied: the file no longer fits the day (see the problems below).", refused: true };
        } else if (result.failures.length) {
          var first = result.failures[0];
          outcome = { text: "Stopped at line " + first.line + ": " + first.message + ". So far " + summary(result) + "; fix the row and apply the file again (rows already written are recognised).", refused: true };
        } else {
          outcome = { text: "Applied " + name + ": " + summary(result) + " (" + result.batches + (result.batches === 1 ? " batch)." : " batches)."), refused: false };
          loaded = null;
          els["csv-file"].value = "";
        }
        ctx.render();
      }, function (error) {
        applying = false;
        outcome = { text: "Not applied: " + ctx.refusal(error), refused: true };
        ctx.render();
      });
  }

  function summary(result) {
    return result.created + " created, " + result.updated + " updated, " + result.unchanged + " unchanged";
  }

  /** Save `text` as <what>-<media day>.csv (a link to a Blob: nothing leaves the page). */
  function download(ctx, what, text) {
    var day = ctx.mirror.ofType("day")[0];
    var link = ctx.h("a", { href: global.URL.createObjectURL(new Blob([text], { type: "text/csv" })), download: what + "-" + (day ? day.id : "day") + ".csv" });
    global.document.body.appendChild(link);
    link.click();
    link.remove();
    global.setTimeout(function () { global.URL.revokeObjectURL(link.href); }, 1000);
  }

  /** What a row would do, in a few words: "sl-4: moves to st-2; starts_at, title". */
  function describeRow(p) {
    if (p.outcome === "create") {
      var item = p.steps[0].fields.slot || p.steps[0].fields.shot;
      return (item.id || "new " + p.type) + " at " + item.station_id + " for " + item.talent_id;
    }
    var said = p.steps.map(function (s) {
      if (s.action === "slot.move") return "moves to " + s.fields.station_id;
      if (s.action.slice(-11) === ".set_status") return "status " + s.fields.status;
      return Object.keys(s.fields.changes).join(", ");
    });
    return p.itemId + (said.length ? ": " + said.join("; ") : "");
  }

  function render(ctx) {
    var h = ctx.h;
    var table = els["csv-table"];
    els["csv-apply"].hidden = !loaded || loaded.errors.length > 0 || !loaded.plans.length;
    els["csv-apply"].disabled = applying || !ctx.client.status.ready;
    els["csv-progress"].hidden = !applying;
    els["csv-outcome"].hidden = !outcome;
    if (outcome) {
      els["csv-outcome"].textContent = outcome.text;
      els["csv-outcome"].classList.toggle("is-refused", outcome.refused);
    }
    if (loaded === drawn) return;
    drawn = loaded;
    if (!loaded) {
      els["csv-summary"].textContent = "No file read yet. Columns: schedule " + read.COLUMNS.schedule.join(", ") + "; shot lists " + read.COLUMNS.shots.join(", ") + ".";
      table.replaceChildren();
      table.hidden = true;
      return;
    }
    var kindWords = loaded.kind === "shots" ? "shot list" : "schedule";
    var rows;
    if (loaded.errors.length) {
      els["csv-summary"].textContent = loaded.name + " (" + kindWords + "): " + loaded.errors.length + (loaded.errors.length === 1 ? " bad row. Nothing was written: fix it" : " bad rows. Nothing was written: fix them") + " and choose the file again.";
      rows = loaded.errors.map(function (e) {
        return h("tr", { class: "is-problem", "data-line": e.line }, h("td", {}, e.line || "—"), h("td", {}, "refused"), h("td", {}, e.message));
      });
    } else {
      var counts = { create: 0, update: 0, unchanged: 0 };
      loaded.plans.forEach(function (p) { counts[p.outcome]++; });
      els["csv-summary"].textContent = loaded.name + " (" + kindWords + "): " + loaded.plans.length + (loaded.plans.length === 1 ? " good row: " : " good rows: ") + counts.create + " to create, " + counts.update + " to update, " + counts.unchanged + " unchanged (dry run, nothing written yet).";
      els["csv-apply"].textContent = "Apply " + loaded.plans.length + (loaded.plans.length === 1 ? " row" : " rows");
      rows = loaded.plans.map(function (p) {
        return h("tr", { "data-line": p.line, "data-outcome": p.outcome }, h("td", {}, p.line), h("td", {}, p.outcome), h("td", {}, describeRow(p)));
      });
    }
    table.replaceChildren(
      h("caption", { class: "visually-hidden" }, loaded.errors.length ? "Problems by line" : "What each row would do"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Line"), h("th", { scope: "col" }, "Result"), h("th", { scope: "col" }, loaded.errors.length ? "Problem" : "Item"))),
      h("tbody", {}, rows)
    );
    table.hidden = false;
  }

  P.csv = { init: init, render: render, followShots: followShots, download: download };
})(window);
