/*
 * producer-report.js: the console's day report, per station: on-time percentage, average
 * and worst delay, shots captured and skipped, call acknowledgement times (median and
 * worst). Figures come from producer-report-figures.js and follow the live mirror, so the
 * report is true during the day and after it. Drawn as a plain SVG bar chart (no library),
 * with a table and a CSV download.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var P = M.Producer;
  var F = P.reportFigures;
  var SVG = "http://www.w3.org/2000/svg";
  var els = {};
  var shown = ""; // the last report drawn, so an unchanged report is not redrawn

  function init(ctx) {
    ["report-chart", "report-table", "report-download", "report-grace"].forEach(function (id) {
      els[id] = global.document.getElementById(id);
    });
    els["report-grace"].textContent = String(F.GRACE_MIN);
    els["report-download"].addEventListener("click", function () {
      P.csv.download(ctx, "report", F.reportCsv(current(ctx)));
    });
  }

  function current(ctx) {
    var m = ctx.mirror;
    return F.dayReport({ stations: m.ofType("station"), slots: m.ofType("slot"), shots: m.ofType("shot"), calls: m.ofType("call") });
  }

  function svg(tag, attrs, text) {
    var el = global.document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (name) { el.setAttribute(name, String(attrs[name])); });
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function words(value, unit) {
    return value === null ? "—" : value + unit;
  }

  /** One row per station: a bar for the on-time share, the delays and ack times beside it. */
  function chart(report) {
    var rowHeight = 34;
    var label = 170;
    var bar = 300;
    var rows = report.stations.concat([report.day]);
    var height = rows.length * rowHeight + 26;
    var root = svg("svg", { viewBox: "0 0 900 " + height, class: "report-svg", role: "img", "aria-labelledby": "report-chart-title" });
    root.appendChild(svg("title", { id: "report-chart-title" }, "On time per station (planned start + " + F.GRACE_MIN + " min)"));
    [0, 50, 100].forEach(function (pct) {
      var x = label + (bar * pct) / 100;
      root.appendChild(svg("line", { x1: x, x2: x, y1: 4, y2: height - 20, class: "report-grid" }));
      root.appendChild(svg("text", { x: x, y: height - 6, class: "report-axis", "text-anchor": "middle" }, pct + "%"));
    });
    rows.forEach(function (r, index) {
      var y = 6 + index * rowHeight;
      var total = r === report.day;
      var group = svg("g", { class: total ? "report-row is-total" : "report-row", "data-station-id": r.station_id });
      group.appendChild(svg("text", { x: label - 8, y: y + 19, class: "report-label", "text-anchor": "end" }, r.station.length > 22 ? r.station.slice(0, 21) + "…" : r.station));
      group.appendChild(svg("rect", { x: label, y: y + 4, width: bar, height: 20, rx: 3, class: "report-track" }));
      var pct = r.on_time_pct === null ? 0 : r.on_time_pct;
      group.appendChild(svg("rect", { x: label, y: y + 4, width: Math.max(0, (bar * pct) / 100), height: 20, rx: 3, class: "report-bar", "data-pct": r.on_time_pct === null ? "" : r.on_time_pct }));
      var said = r.started ? r.on_time_pct + "% on time · avg " + r.avg_delay_min + " min · worst " + r.worst_delay_min + " min" : "no arrivals yet";
      if (r.ack_median_s !== null) said += " · ack " + r.ack_median_s + " s";
      group.appendChild(svg("text", { x: label + bar + 10, y: y + 19, class: "report-value" }, said));
      root.appendChild(group);
    });
    return root;
  }

  function table(ctx, report) {
    var h = ctx.h;
    var heads = ["Station", "Started / slots", "On time", "Avg delay", "Worst delay", "Shots captured", "Shots skipped", "Ack median", "Ack worst"];
    var body = report.stations.concat([report.day]).map(function (r) {
      return h("tr", { "data-station-id": r.station_id, class: r === report.day ? "is-total" : null },
        h("th", { scope: "row" }, r.station),
        h("td", {}, r.started + " / " + r.slots),
        h("td", {}, words(r.on_time_pct, "%")),
        h("td", {}, words(r.avg_delay_min, " min")),
        h("td", {}, words(r.worst_delay_min, " min")),
        h("td", {}, r.shots_captured),
        h("td", {}, r.shots_skipped),
        h("td", {}, words(r.ack_median_s, " s")),
        h("td", {}, words(r.ack_worst_s, " s") + (r.calls > r.calls_acked ? " (" + (r.calls - r.calls_acked) + " not acked)" : "")));
    });
    return [
      h("caption", { class: "visually-hidden" }, "Day report per station"),
      h("thead", {}, h("tr", {}, heads.map(function (x) { return h("th", { scope: "col" }, x); }))),
      h("tbody", {}, body),
    ];
  }

  function render(ctx) {
    P.csv.followShots(ctx, true); // shots of every station count (a no-op once followed)
    var report = current(ctx);
    var key = JSON.stringify(report);
    if (key === shown) return;
    shown = key;
    els["report-chart"].replaceChildren(chart(report));
    els["report-table"].replaceChildren.apply(els["report-table"], table(ctx, report));
  }

  P.report = { init: init, render: render };
})(window);
