/*
 * crew-lists.js: the crew page's three lists (the shot list of the talent in front, the
 * station's interview calls with their acknowledge buttons, the station's schedule), drawn
 * from the model crew.js builds. Display only: every tap goes back through `ctx`
 * ({mirror, busy, setShot, ackCall}), since crew.js owns the writes and their outcome.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var h = M.h;

  function statusOf(shot) {
    return shot.status || "pending";
  }

  function shotButton(ctx, shot, status, label, cls) {
    var pressed = statusOf(shot) === status;
    return h(
      "button",
      {
        type: "button",
        class: "btn " + cls,
        "aria-pressed": pressed ? "true" : "false",
        "aria-label": (pressed ? "Undo " + label.toLowerCase() + ": " : label + ": ") + shot.description,
        "data-focus-key": "shot-" + status + "-" + shot.id,
        disabled: ctx.busy.has("shot#" + shot.id),
        onclick: function () { ctx.setShot(shot, status); },
      },
      pressed ? label + " ✓" : label
    );
  }

  function renderShots(ctx, els, m) {
    var who = m.focus ? M.talentName(ctx.mirror, m.focus) : "";
    els.shotsTitle.textContent = who ? "Shot list — " + who : "Shot list";
    var done = m.shots.filter(function (s) { return statusOf(s) !== "pending"; }).length;
    var progress = m.focus
      ? done + " of " + m.shots.length + " done" + (m.following && m.line.current === null && m.line.next ? " (up next)" : "")
      : "No talent in front of you.";
    if (els.shotsProgress.textContent !== progress) els.shotsProgress.textContent = progress;
    var rows = m.shots.map(function (shot) {
      return h(
        "li",
        { "data-shot-id": shot.id, "data-status": statusOf(shot) },
        h(
          "span",
          { class: "shot-cell" },
          h("span", { class: "shot-text" }, shot.description),
          " ",
          h("span", { class: "badge badge-shot", "data-state": statusOf(shot) }, statusOf(shot))
        ),
        h("span", { class: "actions" }, shotButton(ctx, shot, "captured", "Captured", "btn-capture"), shotButton(ctx, shot, "skipped", "Skipped", "btn-skip"))
      );
    });
    if (rows.length === 0 && m.focus) rows = [h("li", { class: "empty" }, "No shots listed for " + who + ".")];
    els.shots.replaceChildren.apply(els.shots, rows);
  }

  var ACK_STEPS = { pending: ["en-route", "arrived", "done"], "en-route": ["arrived", "done"], arrived: ["done"] };
  var ACK_WORDS = { "en-route": "En route", arrived: "Arrived", done: "Done" };

  function renderCalls(ctx, els, m) {
    var rows = m.ours.map(function (call) {
      return h(
        "li",
        { "data-call-id": call.id, "data-state": call.state },
        h(
          "span",
          { class: "call-text" },
          h("strong", null, M.talentName(ctx.mirror, call.talent_id)),
          " to this station ",
          h("span", { class: "badge", "data-state": call.state }, call.state.replace("-", " ")),
          call.note ? h("span", { class: "muted" }, " — " + call.note) : null
        ),
        h(
          "span",
          { class: "actions" },
          (ACK_STEPS[call.state] || []).map(function (state) {
            return h(
              "button",
              {
                type: "button",
                class: "btn btn-ack",
                "data-focus-key": "ack-" + state + "-" + call.id,
                "aria-label": ACK_WORDS[state] + ": " + M.talentName(ctx.mirror, call.talent_id),
                disabled: ctx.busy.has("call#" + call.id),
                onclick: function () { ctx.ackCall(call, state); },
              },
              ACK_WORDS[state]
            );
          })
        )
      );
    });
    if (rows.length === 0) rows = [h("li", { class: "empty" }, "No calls for this station.")];
    els.calls.replaceChildren.apply(els.calls, rows);
    els.callsCard.classList.toggle("is-called", m.ours.length > 0);
  }

  function renderSchedule(ctx, els, m, now) {
    var rows = m.line.slots.map(function (slot) {
      var start = Date.parse(slot.starts_at);
      var end = Date.parse(slot.ends_at);
      var state = slot === m.line.current ? "is-current" : slot === m.line.next ? "is-next" : end <= now ? "is-past" : "";
      return h(
        "li",
        { class: state, "data-slot-id": slot.id, "aria-current": slot === m.line.current ? "true" : null },
        h("span", { class: "num" }, M.hourMinute(start) + "–" + M.hourMinute(end)),
        h("span", null, M.talentName(ctx.mirror, slot.talent_id), slot.title ? h("span", { class: "muted" }, " — " + slot.title) : null),
        h("span", { class: "muted" }, state === "is-current" ? "now" : state === "is-next" ? "next" : "")
      );
    });
    if (rows.length === 0) rows = [h("li", { class: "empty" }, "Nothing scheduled at this station.")];
    els.schedule.replaceChildren.apply(els.schedule, rows);
  }

  M.crewLists = { statusOf: statusOf, renderShots: renderShots, renderCalls: renderCalls, renderSchedule: renderSchedule };
})(window);
