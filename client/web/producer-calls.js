/*
 * producer-calls.js: push a call in at most two clicks (from a slot's "Call", or by typing
 * a name or shirt number and pressing the athlete's "Call"), and the call board: each
 * call's state, who acknowledged it and when, its age, cancel, and a highlight on calls
 * nobody has acknowledged within the configurable time (`?unacked_s=`, default 60 s).
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var P = M.Producer;
  var els = {};
  var pushedAt = new Map(); // call id -> epoch ms it was pushed (known when seen pending)
  var SHOWN_ATHLETES = 40;
  var SHOWN_CALLS = 40;

  function byId(id) {
    return global.document.getElementById(id);
  }

  function init(ctx) {
    ["athlete-filter", "call-station", "athletes", "call-board", "unacked-seconds", "announce"].forEach(function (id) {
      els[id] = byId(id);
    });
    var given = Number(ctx.params.get("unacked_s"));
    if (given > 0) els["unacked-seconds"].value = String(given);
    els["athlete-filter"].addEventListener("input", function () { ctx.render(); });
    els["athlete-filter"].addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return; // Enter calls the only (or first) match
      event.preventDefault();
      var first = els.athletes.querySelector("button.call-athlete");
      if (first) first.click();
    });
    els["call-station"].addEventListener("change", function () { ctx.render(); });
    els["unacked-seconds"].addEventListener("input", function () { tick(ctx, ctx.now()); });
  }

  function overdueMs() {
    var seconds = Number(els["unacked-seconds"].value);
    return (seconds > 0 ? seconds : 60) * 1000;
  }

  /** Where an athlete is wanted when no station is chosen: their current, else next slot. */
  function scheduledStation(ctx, talentId, now) {
    var line = M.stationTimeline(ctx.mirror.ofType("slot").filter(function (s) { return s.talent_id === talentId; }), now);
    var slot = line.current || line.next;
    return slot ? slot.station_id : "";
  }

  /** Push a call; the outcome shows in `errorEl` (or the page notice) and is announced. */
  function push(ctx, talentId, stationId, errorEl) {
    var station = stationId || scheduledStation(ctx, talentId, ctx.now());
    var who = ctx.talentLabel(talentId);
    function tell(text) {
      if (errorEl) {
        errorEl.textContent = text;
        errorEl.hidden = !text;
      } else if (text) {
        ctx.showNotice(text);
      }
    }
    if (!station) {
      tell(who + " has no current or next slot: choose a station under Calls → To.");
      return;
    }
    tell("");
    var call = { id: ctx.newId("call"), talent_id: talentId, station_id: station };
    ctx.write("push#" + talentId + "@" + station, { action: "call.push", call: call }).then(
      function () { els.announce.textContent = "Called " + who + " to " + M.stationName(ctx.mirror, station) + "."; },
      function (error) { if (error && error.code !== "pending") tell("Call not pushed: " + ctx.refusal(error)); }
    );
  }

  function matches(ctx, talent, query) {
    if (!query) return true;
    var q = query.toLowerCase().replace(/^#/, "");
    return String(talent.number || "").toLowerCase() === q || String(talent.name).toLowerCase().indexOf(q) >= 0 || (q.length > 1 && String(talent.number || "").toLowerCase().indexOf(q) === 0);
  }

  function renderAthletes(ctx, now) {
    var h = ctx.h;
    var chosen = els["call-station"].value;
    var query = els["athlete-filter"].value.trim();
    var list = ctx.talents().filter(function (t) { return matches(ctx, t, query); });
    // An exact shirt number goes first: "32" means #32 before anyone named "…32…".
    list.sort(function (a, b) {
      var ea = String(a.number || "") === query.replace(/^#/, "") ? 0 : 1;
      var eb = String(b.number || "") === query.replace(/^#/, "") ? 0 : 1;
      return ea - eb;
    });
    var rows = list.slice(0, SHOWN_ATHLETES).map(function (t) {
      var station = chosen || scheduledStation(ctx, t.id, now);
      var where = station ? M.stationName(ctx.mirror, station) : "no slot: choose a station";
      return h(
        "li",
        { "data-talent-id": t.id },
        h("span", { class: "athlete-who" }, ctx.talentLabel(t.id), h("span", { class: "muted" }, " → " + where)),
        h("button", {
          type: "button",
          class: "btn btn-small call-athlete",
          "data-focus-key": "call-" + t.id,
          "aria-label": "Call " + ctx.talentLabel(t.id) + (station ? " to " + where : ""),
          disabled: !station || ctx.busy.has("push#" + t.id + "@" + station),
          onclick: function () { push(ctx, t.id, chosen, null); },
        }, "Call")
      );
    });
    if (!rows.length) rows = [h("li", { class: "empty" }, query ? "No athlete matches “" + query + "”." : "No athletes yet: add them under Roster.")];
    if (list.length > SHOWN_ATHLETES) rows.push(h("li", { class: "muted" }, (list.length - SHOWN_ATHLETES) + " more: type a name or number."));
    els.athletes.replaceChildren.apply(els.athletes, rows);
  }

  function since(call) {
    return pushedAt.get(call.id) || call.updated_at || 0;
  }

  function renderBoard(ctx) {
    var h = ctx.h;
    var calls = ctx.mirror.ofType("call");
    calls.forEach(function (c) {
      if (!pushedAt.has(c.id) && c.state === "pending" && c.updated_at) pushedAt.set(c.id, c.updated_at);
    });
    calls.sort(function (a, b) {
      var aa = M.isActiveCall(a) ? 0 : 1;
      var bb = M.isActiveCall(b) ? 0 : 1;
      return aa - bb || since(b) - since(a);
    });
    var rows = calls.slice(0, SHOWN_CALLS).map(function (call) {
      var active = M.isActiveCall(call);
      var acked = call.state !== "pending" && call.state !== "cancelled" && call.acked_by;
      return h(
        "li",
        { class: "pcall", "data-call-id": call.id, "data-state": call.state, "data-pushed": active && call.state === "pending" ? since(call) : null },
        h(
          "span",
          { class: "pcall-text" },
          h("strong", null, ctx.talentLabel(call.talent_id)),
          " → " + M.stationName(ctx.mirror, call.station_id) + " ",
          h("span", { class: "badge", "data-state": call.state }, call.state.replace("-", " ")),
          h(
            "span",
            { class: "pcall-meta muted" },
            acked
              ? call.state.replace("-", " ") + " by " + call.acked_by + " at " + M.hourMinute(call.updated_at)
              : call.state === "pending"
                ? "not acknowledged"
                : call.state + (call.updated_by ? " by " + call.updated_by : "") + " at " + M.hourMinute(call.updated_at),
            " · ",
            pushedAt.has(call.id) ? "pushed " + M.hourMinute(pushedAt.get(call.id)) + ", age " : "changed ",
            h("span", { class: "num age", "data-age-from": since(call) }, ""),
            pushedAt.has(call.id) ? "" : " ago"
          )
        ),
        active
          ? h("button", {
              type: "button",
              class: "btn btn-small btn-danger",
              "data-focus-key": "cancel-" + call.id,
              "aria-label": "Cancel call: " + ctx.talentLabel(call.talent_id),
              disabled: ctx.busy.has("call#" + call.id),
              onclick: function () {
                ctx.write("call#" + call.id, { action: "call.cancel", call_id: call.id, version: call.version }).catch(function (error) {
                  if (error && error.code !== "pending") ctx.showNotice("Call not cancelled: " + ctx.refusal(error));
                });
              },
            }, "Cancel")
          : null
      );
    });
    if (!rows.length) rows = [h("li", { class: "empty" }, "No calls yet.")];
    els["call-board"].replaceChildren.apply(els["call-board"], rows);
  }

  function render(ctx, now) {
    var chosen = els["call-station"].value;
    ctx.fillSelect(
      els["call-station"],
      [{ value: "", label: "their current or next slot's station" }].concat(ctx.stations().map(function (s) { return { value: s.id, label: s.name }; })),
      chosen
    );
    renderAthletes(ctx, now);
    renderBoard(ctx);
    tick(ctx, now);
  }

  /** Ages and the unacknowledged highlight move with the clock, without a redraw. */
  function tick(ctx, now) {
    var limit = overdueMs();
    var ages = els["call-board"].querySelectorAll("[data-age-from]");
    for (var i = 0; i < ages.length; i++) {
      var from = Number(ages[i].getAttribute("data-age-from"));
      ages[i].textContent = from ? M.countdown(now - from) : "?";
    }
    var rows = els["call-board"].querySelectorAll("li.pcall");
    for (var j = 0; j < rows.length; j++) {
      var pushed = Number(rows[j].getAttribute("data-pushed"));
      rows[j].classList.toggle("is-overdue", pushed > 0 && now - pushed >= limit);
    }
  }

  P.calls = { init: init, render: render, tick: tick, push: push };
})(window);
