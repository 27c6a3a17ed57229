/*
 * producer-board.js: every station's day in columns with a now line, and the slot editor.
 * Create, edit (time, athlete, title), move to another station and delete in place. A
 * write that meets `conflict` shows the server's version beside the producer's (nothing
 * is saved, nothing is dropped) and re-applies the producer's in one click.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var P = M.Producer;
  var T = P.time;
  var FIELDS = [
    ["station_id", "Station"],
    ["talent_id", "Athlete"],
    ["starts_at", "Starts"],
    ["ends_at", "Ends"],
    ["title", "Title"],
  ];
  var els = {};
  // base: the slot as the form was loaded (null: a new slot, created with newId);
  // conflict: {theirs, yours} while a refused edit waits for the producer's choice.
  var editing = null;

  function byId(id) {
    return global.document.getElementById(id);
  }

  function init(ctx) {
    ["board", "new-slot", "editor", "editor-title", "slot-form", "slot-station", "slot-talent", "slot-start", "slot-end", "slot-title", "slot-error", "slot-save", "slot-call", "slot-delete", "slot-close", "conflict", "conflict-theirs", "conflict-yours", "conflict-reapply", "conflict-keep"].forEach(function (id) {
      els[id] = byId(id);
    });
    els["new-slot"].addEventListener("click", function () { open(ctx, null, null); });
    els["slot-close"].addEventListener("click", function () { close(); });
    els["slot-form"].addEventListener("submit", function (event) {
      event.preventDefault();
      var desired = fromForm(ctx);
      if (desired) save(ctx, desired, editing.base);
    });
    els["slot-delete"].addEventListener("click", function () { remove(ctx); });
    els["slot-call"].addEventListener("click", function () {
      var desired = fromForm(ctx);
      if (desired) P.calls.push(ctx, desired.talent_id, desired.station_id, els["slot-error"]);
    });
    els["conflict-reapply"].addEventListener("click", function () {
      var c = editing && editing.conflict;
      if (c) save(ctx, c.yours, c.theirs.deleted ? null : c.theirs);
    });
    els["conflict-keep"].addEventListener("click", function () {
      var c = editing && editing.conflict;
      if (!c) return;
      if (c.theirs.deleted) close();
      else open(ctx, c.theirs, null);
    });
    global.document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && editing) close();
    });
  }

  // -- the editor ------------------------------------------------------------------------

  function open(ctx, slot, stationId) {
    var now = ctx.now();
    var start = slot ? Date.parse(slot.starts_at) : Math.ceil(now / 300000) * 300000;
    var end = slot ? Date.parse(slot.ends_at) : start + 15 * 60000;
    editing = { base: slot, id: slot ? slot.id : ctx.newId("sl"), dayMs: start, conflict: null };
    els["editor-title"].textContent = slot ? "Edit slot" : "New slot";
    fillChoices(ctx, slot ? slot.station_id : stationId || "", slot ? slot.talent_id : "");
    els["slot-start"].value = T.inputTime(start);
    els["slot-end"].value = T.inputTime(end);
    els["slot-title"].value = slot ? slot.title || "" : "";
    els["slot-delete"].hidden = !slot;
    showError("");
    els.conflict.hidden = true;
    els.editor.hidden = false;
    els["slot-station"].focus();
    els.editor.scrollIntoView({ block: "nearest" });
  }

  function close() {
    editing = null;
    els.editor.hidden = true;
    els["new-slot"].focus();
  }

  function fillChoices(ctx, stationId, talentId) {
    ctx.fillSelect(els["slot-station"], ctx.stations().map(function (s) { return { value: s.id, label: s.name }; }), stationId);
    ctx.fillSelect(els["slot-talent"], ctx.talents().map(function (t) { return { value: t.id, label: ctx.talentLabel(t.id) }; }), talentId);
  }

  function showError(text) {
    els["slot-error"].textContent = text;
    els["slot-error"].hidden = !text;
  }

  /** The slot the form describes, or null (with the reason shown) when it is incomplete. */
  function fromForm(ctx) {
    var start = T.atWallTime(editing.dayMs, els["slot-start"].value);
    var end = T.atWallTime(editing.dayMs, els["slot-end"].value);
    if (!els["slot-station"].value || !els["slot-talent"].value) {
      showError("Choose a station and an athlete.");
      return null;
    }
    if (!(start > 0) || !(end > 0)) {
      showError("Give a start and an end time (hh:mm).");
      return null;
    }
    if (end <= start) end += 24 * 3600000; // ends after midnight
    return {
      station_id: els["slot-station"].value,
      talent_id: els["slot-talent"].value,
      starts_at: T.iso(start),
      ends_at: T.iso(end),
      title: els["slot-title"].value.trim(),
    };
  }

  function same(field, a, b) {
    if (field === "starts_at" || field === "ends_at") return Date.parse(a) === Date.parse(b);
    return String(a || "") === String(b || "");
  }

  /**
   * Write `desired` over `base` (null: create). A station change is a move (with the
   * times), then an update for athlete/title; anything else is one update.
   */
  function save(ctx, desired, base) {
    showError("");
    var key = "slot#" + editing.id;
    var done;
    if (!base) {
      var fresh = Object.assign({ id: editing.base && editing.conflict ? ctx.newId("sl") : editing.id }, desired);
      done = ctx.write(key, { action: "slot.create", slot: fresh });
    } else {
      var changes = {};
      FIELDS.forEach(function (f) {
        if (f[0] !== "station_id" && !same(f[0], desired[f[0]], base[f[0]])) changes[f[0]] = desired[f[0]];
      });
      if (desired.station_id !== base.station_id) {
        done = ctx.write(key, {
          action: "slot.move", slot_id: base.id, version: base.version, station_id: desired.station_id,
          starts_at: desired.starts_at, ends_at: desired.ends_at,
        }).then(function (ack) {
          delete changes.starts_at;
          delete changes.ends_at;
          if (!Object.keys(changes).length) return ack;
          return ctx.write(key, { action: "slot.update", slot_id: base.id, version: ack.version, changes: changes });
        });
      } else if (Object.keys(changes).length) {
        done = ctx.write(key, { action: "slot.update", slot_id: base.id, version: base.version, changes: changes });
      } else {
        close();
        return;
      }
    }
    done.then(function () { close(); }, function (error) { refused(ctx, error, desired); });
  }

  function refused(ctx, error, desired) {
    if (!editing) return;
    if (error && error.code === "conflict" && error.current) {
      editing.conflict = { theirs: error.current, yours: desired };
      showConflict(ctx, error.current, desired);
      return;
    }
    showError(ctx.refusal(error));
  }

  function describe(ctx, field, value) {
    if (field === "station_id") return ctx.M.stationName(ctx.mirror, value);
    if (field === "talent_id") return ctx.talentLabel(value);
    if (field === "starts_at" || field === "ends_at") return ctx.M.hourMinute(Date.parse(value));
    return value || "—";
  }

  function showConflict(ctx, theirs, yours) {
    var h = ctx.h;
    function rows(item, other) {
      if (item.deleted) return [h("dt", null, "Slot"), h("dd", { class: "differs" }, "deleted")];
      var out = [];
      FIELDS.forEach(function (f) {
        var differs = other.deleted || !same(f[0], item[f[0]], other[f[0]]);
        out.push(h("dt", null, f[1]), h("dd", { class: differs ? "differs" : null, "data-field": f[0] }, describe(ctx, f[0], item[f[0]])));
      });
      return out;
    }
    els["conflict-theirs"].replaceChildren.apply(els["conflict-theirs"], rows(theirs, yours));
    els["conflict-yours"].replaceChildren.apply(els["conflict-yours"], rows(yours, theirs));
    els["conflict-reapply"].textContent = theirs.deleted ? "Create mine again" : "Re-apply mine";
    els.conflict.hidden = false;
    els["conflict-reapply"].focus();
  }

  function remove(ctx) {
    var base = editing && editing.base;
    if (!base) return;
    ctx.write("slot#" + editing.id, { action: "slot.delete", slot_id: base.id, version: base.version }).then(
      function () { close(); },
      function (error) {
        if (error && error.code === "conflict" && error.current && !error.current.deleted) {
          open(ctx, error.current, null);
          showError("Someone else changed this slot meanwhile; the form now shows their version. Delete again if it should still go.");
        } else if (error && (error.code === "not_found" || (error.current && error.current.deleted))) {
          close();
          ctx.showNotice("That slot was already deleted.");
        } else {
          showError(ctx.refusal(error));
        }
      }
    );
  }

  // -- the board -------------------------------------------------------------------------

  /** slot id -> true for slots whose athlete is booked elsewhere at the same time. */
  function doubleBooked(slots) {
    var flagged = {};
    var byTalent = {};
    slots.forEach(function (s) { (byTalent[s.talent_id] = byTalent[s.talent_id] || []).push(s); });
    Object.keys(byTalent).forEach(function (talent) {
      var list = byTalent[talent];
      for (var i = 0; i < list.length; i++) {
        for (var j = i + 1; j < list.length; j++) {
          var a = list[i];
          var b = list[j];
          if (Date.parse(a.starts_at) < Date.parse(b.ends_at) && Date.parse(b.starts_at) < Date.parse(a.ends_at)) {
            flagged[a.id] = true;
            flagged[b.id] = true;
          }
        }
      }
    });
    return flagged;
  }

  function flags(slot, now, doubled) {
    var out = [];
    var start = Date.parse(slot.starts_at);
    var end = Date.parse(slot.ends_at);
    if (slot.planned_starts_at) {
      var late = Math.round((start - Date.parse(slot.planned_starts_at)) / 60000);
      if (late > 0) out.push(["late", "running " + late + " min late"]);
    }
    if (slot.actual_start && !slot.actual_end && now > end) {
      out.push(["overrun", "overrunning " + Math.ceil((now - end) / 60000) + " min"]);
    }
    if (doubled[slot.id]) out.push(["double", "double-booked"]);
    if (!out.length && start <= now && now < end) out.push(["now", "on now"]);
    return out;
  }

  function slotRow(ctx, slot, now, doubled) {
    var h = ctx.h;
    var start = Date.parse(slot.starts_at);
    var end = Date.parse(slot.ends_at);
    var state = start <= now && now < end ? "is-current" : end <= now ? "is-past" : "";
    var who = ctx.talentLabel(slot.talent_id);
    return h(
      "li",
      { class: "pslot " + state, "data-slot-id": slot.id },
      h(
        "button",
        {
          type: "button",
          class: "pslot-open",
          "data-focus-key": "slot-" + slot.id,
          "aria-label": "Edit slot " + ctx.M.hourMinute(start) + " " + who,
          onclick: function () { open(ctx, ctx.mirror.get("slot", slot.id) || slot, null); },
        },
        h("span", { class: "num pslot-time" }, ctx.M.hourMinute(start) + "–" + ctx.M.hourMinute(end)),
        h("span", { class: "pslot-who" }, who),
        slot.title ? h("span", { class: "pslot-title muted" }, slot.title) : null,
        flags(slot, now, doubled).map(function (f) { return h("span", { class: "flag flag-" + f[0] }, f[1]); })
      ),
      h(
        "button",
        {
          type: "button",
          class: "btn btn-small pslot-call",
          "data-focus-key": "slot-call-" + slot.id,
          "aria-label": "Call " + who + " to " + ctx.M.stationName(ctx.mirror, slot.station_id),
          disabled: ctx.busy.has("push#" + slot.talent_id + "@" + slot.station_id),
          onclick: function () { P.calls.push(ctx, slot.talent_id, slot.station_id, null); },
        },
        "Call"
      )
    );
  }

  function column(ctx, station, slots, now, doubled) {
    var h = ctx.h;
    var line = M.stationTimeline(slots, now);
    var rows = [];
    var placed = false;
    var nowLine = h("li", { class: "now-line", "aria-label": "Now, " + M.hourMinute(now) }, h("span", null, "now " + M.hourMinute(now)));
    line.slots.forEach(function (slot) {
      if (!placed && Date.parse(slot.starts_at) > now) {
        rows.push(nowLine);
        placed = true;
      }
      rows.push(slotRow(ctx, slot, now, doubled));
    });
    if (!placed) rows.push(nowLine);
    return h(
      "section",
      { class: "pcol", "data-station-id": station.id, "aria-label": station.name },
      h(
        "div",
        { class: "pcol-head" },
        h("h3", null, station.name),
        h("button", {
          type: "button",
          class: "btn btn-small",
          "data-focus-key": "add-" + station.id,
          "aria-label": "New slot at " + station.name,
          onclick: function () { open(ctx, null, station.id); },
        }, "+")
      ),
      P.shift.control(ctx, station),
      h("ol", { class: "pcol-slots" }, rows)
    );
  }

  function render(ctx, now) {
    var slots = ctx.mirror.ofType("slot");
    var doubled = doubleBooked(slots);
    var stations = ctx.stations();
    var columns = stations.map(function (station) {
      return column(ctx, station, slots.filter(function (s) { return s.station_id === station.id; }), now, doubled);
    });
    if (!columns.length) columns = [ctx.h("p", { class: "empty" }, "No stations yet: add one under Roster.")];
    var scrolled = {}; // each column keeps its scroll across redraws
    els.board.querySelectorAll(".pcol").forEach(function (col) {
      scrolled[col.getAttribute("data-station-id")] = col.querySelector(".pcol-slots").scrollTop;
    });
    els.board.replaceChildren.apply(els.board, columns);
    els.board.querySelectorAll(".pcol").forEach(function (col) {
      var list = col.querySelector(".pcol-slots");
      var id = col.getAttribute("data-station-id");
      if (Object.prototype.hasOwnProperty.call(scrolled, id)) list.scrollTop = scrolled[id];
      else {
        var line = list.querySelector(".now-line"); // first sight: the now line near the top
        if (line) list.scrollTop = Math.max(0, (line.previousElementSibling || line).offsetTop - 4);
      }
    });
    if (editing && !editing.conflict) fillChoices(ctx, els["slot-station"].value, els["slot-talent"].value);
  }

  P.board = { init: init, render: render, open: open };
})(window);
