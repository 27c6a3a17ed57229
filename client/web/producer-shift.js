/*
 * producer-shift.js: "this station is running late": one control per board column that
 * shifts the station's slots starting from now (server clock) by +5, +10 or a custom
 * number of minutes (`schedule.shift`: all or nothing on the server), and the same control
 * for every station at once above the board (`schedule.shift` without a station). The
 * outcome stays under the control, so the producer sees what moved or why nothing did.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var P = M.Producer;
  var ALL = "*"; // the key of the every-station control
  var typed = {}; // station id (or ALL) -> the custom minutes being typed (columns are redrawn)
  var outcome = {}; // station id (or ALL) -> {text, refused}

  /** Shift one station (`stationId`), or every station when it is ALL. */
  function shift(ctx, stationId, minutes) {
    if (!(minutes >= -120 && minutes <= 240 && minutes !== 0 && Math.round(minutes) === minutes)) {
      outcome[stationId] = { text: "Minutes: a whole number from −120 to 240, not 0.", refused: true };
      ctx.render();
      return;
    }
    outcome[stationId] = { text: "Shifting…", refused: false };
    var request = { action: "schedule.shift", minutes: minutes };
    if (stationId !== ALL) request.station_id = stationId;
    ctx.write("shift#" + stationId, request).then(
      function (ack) {
        var moved = (ack.items || []).length;
        (ack.items || []).forEach(function (item) { ctx.mirror.apply(item); });
        outcome[stationId] = {
          text: (minutes > 0 ? "+" : "") + minutes + " min from " + M.hourMinute(ctx.now()) + ": " + moved + (moved === 1 ? " slot" : " slots") + " moved.",
          refused: false,
        };
        ctx.render();
      },
      function (error) {
        if (error && error.code === "pending") return;
        outcome[stationId] = { text: "Not shifted: " + ctx.refusal(error), refused: true };
        ctx.render();
      }
    );
  }

  /** The control for one station's column; with no station, the one for every station. */
  function control(ctx, one) {
    var h = ctx.h;
    var station = one || { id: ALL, name: "every station" };
    var busy = ctx.busy.has("shift#" + station.id);
    function quick(minutes) {
      return h("button", {
        type: "button",
        class: "btn btn-small",
        "data-focus-key": "shift" + minutes + "-" + station.id,
        "aria-label": "Shift " + station.name + " by " + minutes + " minutes from now",
        disabled: busy,
        onclick: function () { shift(ctx, station.id, minutes); },
      }, "+" + minutes);
    }
    var input = h("input", {
      type: "number",
      class: "shift-minutes",
      min: "-120",
      max: "240",
      step: "1",
      placeholder: "min",
      "data-focus-key": "shift-input-" + station.id,
      "aria-label": "Shift " + station.name + " by a custom number of minutes",
      value: typed[station.id] || "",
      oninput: function (event) { typed[station.id] = event.target.value; },
      onkeydown: function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          shift(ctx, station.id, Number(typed[station.id]));
        }
      },
    });
    var said = outcome[station.id];
    return h(
      "div",
      { class: "pcol-shift", role: "group", "aria-label": "Running late: shift " + station.name + " from now" },
      h("span", { class: "muted shift-label" }, one ? "Late:" : "All stations late:"),
      quick(5),
      quick(10),
      input,
      h("button", {
        type: "button",
        class: "btn btn-small",
        "data-focus-key": "shift-go-" + station.id,
        disabled: busy,
        onclick: function () { shift(ctx, station.id, Number(typed[station.id])); },
      }, "Shift"),
      said ? h("p", { class: "shift-outcome" + (said.refused ? " form-error" : " muted"), role: "status" }, said.text) : null
    );
  }

  /** The every-station control, above the board (`#shift-all`). */
  function render(ctx) {
    var holder = global.document.getElementById("shift-all");
    if (holder) holder.replaceChildren(control(ctx, null));
  }

  P.shift = { control: control, init: function () {}, render: render };
})(window);
