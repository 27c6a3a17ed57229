/*
 * producer-report-figures.js: the day report's figures, per station and for the whole day,
 * from the items the console holds (pure, so tests/browser/test_producer_report_js.py can
 * check them against a scripted day). Definitions (docs/protocol.md, "Day report"):
 *   - a slot's planned start is `planned_starts_at` (kept by the first shift), else
 *     `starts_at`; it counts once the crew marked it arrived (`actual_start`);
 *   - delay = actual_start − planned start, in minutes; arriving early is a delay of 0;
 *   - on time = delay ≤ GRACE_MIN (2) minutes; on-time % = on time / started slots;
 *   - shots: captured, skipped and pending, by the shot's station;
 *   - acknowledgement time = a call's `acked_at` − `pushed_at` (its first ack), in seconds,
 *     over the station's acknowledged calls: median (middle value, the mean of the two
 *     middle ones for an even count) and worst (the longest).
 * A figure with nothing to count is null (shown as "—", written as an empty CSV cell).
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var P = (M.Producer = M.Producer || {});
  var GRACE_MIN = 2;
  var COLUMNS = [
    "station_id", "station", "slots", "started", "on_time", "on_time_pct", "avg_delay_min", "worst_delay_min",
    "shots_captured", "shots_skipped", "shots_pending", "calls", "calls_acked", "ack_median_s", "ack_worst_s",
  ];

  function round1(value) {
    return value === null ? null : Math.round(value * 10) / 10;
  }

  function median(values) {
    if (!values.length) return null;
    var sorted = values.slice().sort(function (a, b) { return a - b; });
    var mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  function mean(values) {
    return values.length ? values.reduce(function (a, b) { return a + b; }, 0) / values.length : null;
  }

  function worst(values) {
    return values.length ? Math.max.apply(null, values) : null;
  }

  /** The figures of one group of items (one station, or the whole day). */
  function figuresOf(id, name, slots, shots, calls) {
    var delays = slots
      .filter(function (s) { return s.actual_start; })
      .map(function (s) {
        var planned = Date.parse(s.planned_starts_at || s.starts_at);
        return Math.max(0, (Date.parse(s.actual_start) - planned) / 60000);
      });
    var onTime = delays.filter(function (d) { return d <= GRACE_MIN; }).length;
    var acks = calls
      .filter(function (c) { return c.pushed_at && c.acked_at; })
      .map(function (c) { return Math.max(0, (Date.parse(c.acked_at) - Date.parse(c.pushed_at)) / 1000); });
    var shotsIn = function (status) { return shots.filter(function (s) { return (s.status || "pending") === status; }).length; };
    return {
      station_id: id,
      station: name,
      slots: slots.length,
      started: delays.length,
      on_time: onTime,
      on_time_pct: delays.length ? round1((onTime / delays.length) * 100) : null,
      avg_delay_min: round1(mean(delays)),
      worst_delay_min: round1(worst(delays)),
      shots_captured: shotsIn("captured"),
      shots_skipped: shotsIn("skipped"),
      shots_pending: shotsIn("pending"),
      calls: calls.length,
      calls_acked: acks.length,
      ack_median_s: round1(median(acks)),
      ack_worst_s: round1(worst(acks)),
    };
  }

  /**
   * {stations: [figures per station, by name], day: figures of the whole day} from
   * {stations, slots, shots, calls} (arrays of items as the mirror holds them).
   */
  function dayReport(items) {
    var of = function (list, stationId) {
      return (list || []).filter(function (item) { return item.station_id === stationId; });
    };
    var stations = (items.stations || []).slice().sort(function (a, b) {
      return String(a.name).localeCompare(b.name) || (a.id < b.id ? -1 : 1);
    });
    return {
      stations: stations.map(function (s) {
        return figuresOf(s.id, s.name, of(items.slots, s.id), of(items.shots, s.id), of(items.calls, s.id));
      }),
      day: figuresOf("", "All stations", items.slots || [], items.shots || [], items.calls || []),
    };
  }

  function cell(value) {
    var text = value === null || value === undefined ? "" : String(value);
    if (/^'*[=+\-@\t\r]/.test(text)) text = "'" + text; // a spreadsheet shows it, never runs it
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  /** The report as CSV: one row per station, then the whole day (station_id empty). */
  function reportCsv(report) {
    var rows = report.stations.concat([report.day]);
    return [COLUMNS.join(",")]
      .concat(rows.map(function (r) { return COLUMNS.map(function (c) { return cell(r[c]); }).join(","); }))
      .join("\n") + "\n";
  }

  P.reportFigures = { GRACE_MIN: GRACE_MIN, COLUMNS: COLUMNS, dayReport: dayReport, reportCsv: reportCsv, median: median };
})(window);
