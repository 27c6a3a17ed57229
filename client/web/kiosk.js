/*
 * Kiosk: a read-only board for a TV. Per station, who is on now and who is next, with
 * countdowns anchored to the server's clock, "running N min late" and overtime; active
 * interview calls highlighted; the producers' notices as a banner (screens.js). On a TV,
 * lists that do not fit page through and a pushed call takes the screen (kiosk-tv.js).
 * It never sends a write: the kiosk token could not make one anyway.
 */
(function () {
  "use strict";

  var M = window.MediaDay;
  var h = M.h;
  var options = M.pageOptions();
  var TOPICS = ["roster", "schedule", "calls", "notices", "presence"]; // presence.js
  // `?station=st-2`: this screen shows one station (a producer's device.redirect sets it).
  var onlyStation = new URLSearchParams(window.location.search).get("station");
  // One TV at one station's door: that station's now / next, large (kiosk.css).
  if (onlyStation) document.documentElement.classList.add("single-station");

  var els = {
    dayName: document.getElementById("day-name"),
    dayVenue: document.getElementById("day-venue"),
    clock: document.getElementById("clock"),
    conn: document.getElementById("conn"),
    banner: document.getElementById("stale-banner"),
    board: document.getElementById("board"),
    stations: document.getElementById("stations"),
    calls: document.getElementById("calls"),
    announce: document.getElementById("announce"),
    notices: document.getElementById("notices"),
    takeover: document.getElementById("takeover"),
    stationsPages: document.getElementById("stations-pages"),
    callsPages: document.getElementById("calls-pages"),
  };
  // relayout: the stale banner takes room from the board
  var showStatus = M.readyStatus(els, render, options.staleMs, "The board may be out of date.", relayout);

  if (!options.token) {
    els.conn.textContent = "No token";
    els.banner.hidden = false;
    els.banner.textContent = "This display has no access token. Open it with ?token=… from `mediaday token --role kiosk`.";
    return;
  }

  var client = new M.Client(
    M.clientOptions(options, { topics: TOPICS, heartbeatMs: 10000, pongTimeoutMs: 5000, onChange: render, onStatus: renderStatus })
  );
  // Exposed for diagnostics and for the browser tests.
  window.mediadayClient = client;
  var mirror = client.mirror; // one mirror for the page's life: reconnects refill it

  var timelineKey = "";
  // A notice aimed at some stations names them on a board of every station.
  var notices = new M.NoticeBoard(els, onlyStation, function (notice) {
    return (notice.stations || []).map(function (id) { return M.stationName(mirror, id); }).join(", ");
  }, relayout);
  var stationPager = new M.Pager(els.stations, els.stationsPages);
  var callPager = new M.Pager(els.calls, els.callsPages);
  var callTakeover = new M.CallTakeover(notices.stage, callWords);
  var previous = null; // what was announced last: station id -> now talent, call ids
  var zone = null;

  function byName(a, b) {
    return String(a.name || a.id).localeCompare(String(b.name || b.id), undefined, { numeric: true });
  }

  var CALL_ORDER = { pending: 0, "en-route": 1, arrived: 2 };

  function byCallUrgency(a, b) {
    return CALL_ORDER[a.state] - CALL_ORDER[b.state] || (a.updated_at || 0) - (b.updated_at || 0);
  }

  /** Everything the board shows at `now` (server time), derived from the mirror. */
  function model(now) {
    var day = mirror.ofType("day")[0] || null;
    var stations = mirror.ofType("station").sort(byName);
    if (onlyStation) stations = stations.filter(function (s) { return s.id === onlyStation; });
    var known = new Set(stations.map(function (s) { return s.id; }));
    var slotsBy = new Map();
    mirror.ofType("slot").forEach(function (slot) {
      if (!slotsBy.has(slot.station_id)) slotsBy.set(slot.station_id, []);
      slotsBy.get(slot.station_id).push(slot);
      if (!known.has(slot.station_id) && !onlyStation) {
        known.add(slot.station_id);
        stations.push({ id: slot.station_id, name: slot.station_id, kind: "", location: "" });
      }
    });
    // At one station's door: calls to it, and calls for the athlete in front of it now.
    var calls = mirror.ofType("call").filter(M.isActiveCall).sort(byCallUrgency);
    if (onlyStation) {
      var here = M.stationTimeline(slotsBy.get(onlyStation) || [], now).current;
      calls = calls.filter(function (c) { return c.station_id === onlyStation || (!!here && c.talent_id === here.talent_id); });
    }
    return {
      day: day,
      calls: calls,
      stations: stations.map(function (station) {
        var line = M.stationTimeline(slotsBy.get(station.id) || [], now);
        var shots = line.current
          ? mirror.ofType("shot").filter(function (shot) {
              return shot.station_id === station.id && shot.talent_id === line.current.talent_id;
            })
          : [];
        return {
          station: station,
          shots: shots,
          current: line.current,
          next: line.next,
          late: M.minutesLate(slotsBy.get(station.id) || [], now),
          over: M.overtimeMs(line.current, now) > 0,
          // The next athlete's start has come while the one before is still on: waiting.
          waiting: !!line.next && Date.parse(line.next.starts_at) <= now,
          calls: calls.filter(function (c) { return c.station_id === station.id; }),
        };
      }),
    };
  }

  /** The takeover's words for a pushed call: "#32 Sam O'Neill → Video Booth". */
  function callWords(call) {
    var talent = mirror.get("talent", call.talent_id);
    var number = talent && talent.number ? "#" + talent.number + " " : "";
    return number + M.talentName(mirror, call.talent_id) + " → " + M.stationName(mirror, call.station_id);
  }

  function nowCard(view) {
    var slot = view.current;
    if (!slot) {
      return h("div", { class: "slot-now" }, h("span", { class: "label" }, "Now"), h("p", { class: "empty" }, "Open"));
    }
    var start = Date.parse(slot.starts_at);
    var end = Date.parse(slot.ends_at);
    var meta = [M.talentMeta(mirror, slot.talent_id), slot.title].filter(Boolean).join(" — ");
    var tally = view.shots.length ? shotTally(view.shots) : null;
    // Past the planned end (the athlete is still there, not marked done): the clock runs negative.
    var clock = view.over
      ? h("p", { class: "countdown is-overtime" }, h("span", { class: "num", "data-over": end }, ""), " over · planned end ", M.hourMinute(end), tally)
      : h("p", { class: "countdown" }, h("span", { class: "num", "data-until": end }, ""), " left · until ", M.hourMinute(end), tally);
    return slotCard("slot-now" + (view.over ? " is-overtime" : ""), view.over ? "Now · overtime" : "Now", slot, meta, [
      clock,
      h("div", { class: "progress", "aria-hidden": "true" }, h("span", { "data-from": start, "data-to": end })),
    ]);
  }

  /** The frame the Now and Next cards share: the label, then who is on, then that card's own lines. */
  function slotCard(cls, label, slot, meta, lines) {
    return h(
      "div",
      { class: cls, "data-slot-id": slot.id },
      h("span", { class: "label" }, label),
      h("p", { class: "talent" }, M.talentName(mirror, slot.talent_id)),
      h("p", { class: "talent-meta" }, meta),
      lines
    );
  }

  /** How far the crew is with the shot list of the talent in front of them. */
  function shotTally(shots) {
    var captured = shots.filter(function (s) { return s.status === "captured"; }).length;
    var skipped = shots.filter(function (s) { return s.status === "skipped"; }).length;
    return h(
      "span",
      { class: "shot-tally", "data-captured": captured, "data-skipped": skipped, "data-total": shots.length },
      " · shots " + captured + "/" + shots.length + " captured" + (skipped ? ", " + skipped + " skipped" : "")
    );
  }

  function nextCard(view) {
    var slot = view.next;
    if (!slot) {
      return h("div", { class: "slot-next" }, h("span", { class: "label" }, "Next"), h("p", { class: "empty" }, "Nothing more scheduled"));
    }
    var start = Date.parse(slot.starts_at);
    var when = view.waiting
      ? h("p", { class: "countdown is-waiting" }, "waiting · due at ", M.hourMinute(start))
      : h("p", { class: "countdown" }, "in ", h("span", { class: "num", "data-until": start }, ""), " · at ", M.hourMinute(start));
    return slotCard("slot-next", "Next", slot, M.talentMeta(mirror, slot.talent_id), [when]);
  }

  function stationCard(view) {
    var s = view.station;
    var called = view.calls.length > 0;
    return h(
      "li",
      {
        class: "station" + (called ? " is-called" : ""),
        "data-station-id": s.id,
        "aria-labelledby": "station-" + s.id,
      },
      h(
        "div",
        { class: "station-head" },
        h("h3", { id: "station-" + s.id }, s.name),
        h("span", { class: "station-kind" }, [s.kind, s.location].filter(Boolean).join(" · ")),
        M.crewMarker(client, s.id),
        M.lateBadge(view.late),
        view.calls.map(function (call) {
          return h(
            "p",
            { class: "call-flag", "data-call-id": call.id },
            "Call: " + M.talentName(mirror, call.talent_id) + " — " + call.state.replace("-", " ")
          );
        })
      ),
      nowCard(view),
      nextCard(view)
    );
  }

  function callRow(call) {
    return h(
      "li",
      { class: "call", "data-call-id": call.id, "data-state": call.state },
      h("p", { class: "who" }, M.talentName(mirror, call.talent_id)),
      h(
        "p",
        { class: "where" },
        "to " + M.stationName(mirror, call.station_id) + " ",
        h("span", { class: "badge", "data-state": call.state }, call.state.replace("-", " "))
      ),
      call.note ? h("p", { class: "note" }, call.note) : null,
      call.updated_at ? h("p", { class: "note" }, "since " + M.hourMinute(call.updated_at)) : null
    );
  }

  function render() {
    var now = client.serverNow();
    var m = model(now);
    // Every station's shot list, so the board can show each crew's progress.
    client.addTopics(
      m.stations.map(function (view) {
        return "shots:" + view.station.id;
      })
    );
    if (m.day && m.day.timezone !== zone) {
      zone = m.day.timezone;
      M.setTimeZone(zone);
    }
    if (m.day) {
      els.dayName.textContent = m.day.name;
      els.dayVenue.textContent = m.day.venue || "";
      document.title = m.day.name + " — Kiosk";
    }
    var stationItems = m.stations.map(function (view) {
      return stationCard(view);
    });
    if (stationItems.length === 0) stationItems = [h("li", { class: "empty" }, "No stations yet.")];
    stationPager.show(stationItems);
    var callItems = m.calls.map(function (call) {
      return callRow(call);
    });
    if (callItems.length === 0) callItems = [h("li", { class: "empty" }, "No active calls.")];
    callPager.show(callItems);
    els.board.setAttribute("aria-busy", client.status.ready ? "false" : "true");
    notices.update(mirror.ofType("notice"), now);
    callTakeover.update(m.calls, client.status.ready, now);
    timelineKey = keyOf(m);
    announce(m);
    tick();
  }

  /** The banners above the board came or went: the lists have another height to page. */
  function relayout() {
    stationPager.layout();
    callPager.layout();
  }

  /** Which slots are now/next, how late, whether in overtime: when time changes one, the
   *  board is redrawn. */
  function keyOf(m) {
    return m.stations
      .map(function (v) {
        var on = (v.current ? v.current.id : "-") + ":" + (v.next ? v.next.id : "-");
        return v.station.id + ":" + on + ":" + v.late + ":" + v.over + ":" + v.waiting;
      })
      .join("|");
  }

  /** Tell screen readers what changed, briefly: who is on now, and new calls. */
  function announce(m) {
    var current = { now: {}, calls: {} };
    var messages = [];
    m.stations.forEach(function (v) {
      var who = v.current ? M.talentName(mirror, v.current.talent_id) : "";
      current.now[v.station.id] = who;
      if (previous && who && previous.now[v.station.id] !== who) messages.push("Now at " + v.station.name + ": " + who + ".");
    });
    m.calls.forEach(function (call) {
      current.calls[call.id] = call.state;
      if (previous && !previous.calls[call.id]) {
        messages.push("Call: " + M.talentName(mirror, call.talent_id) + " to " + M.stationName(mirror, call.station_id) + ".");
      }
    });
    if (client.status.ready) previous = current;
    if (messages.length) els.announce.textContent = messages.join(" ");
  }

  function tick() {
    var now = client.serverNow();
    M.tickScreen(els, els.stations, notices, mirror, now);
    var bars = els.stations.querySelectorAll("[data-from]");
    for (var j = 0; j < bars.length; j++) {
      var from = Number(bars[j].getAttribute("data-from"));
      var to = Number(bars[j].getAttribute("data-to"));
      var done = Math.min(1, Math.max(0, (now - from) / (to - from)));
      bars[j].style.width = (done * 100).toFixed(1) + "%";
    }
    if (keyOf(model(now)) !== timelineKey) render();
  }

  function renderStatus() {
    showStatus(client);
  }

  M.startView(client, { render: render, tick: tick, renderStatus: renderStatus }, 250);
})();
