/*
 * Crew: the dashboard of one station, on a tablet. The schedule, the shot list of the
 * talent in front of the crew with one-tap captured / skipped, one-tap "Arrived" / "Done"
 * for that athlete (kept in front, with an overtime clock, until done), "running N min
 * late", the producers' notices (screens.js), and the station's interview calls with
 * acknowledge buttons, and whether a producer is online (presence.js). The station comes
 * from the token's claims, decoded for display only: the server checks every write against
 * the connection's own token. A producer's Redirect shows another station, view only.
 */
(function () {
  "use strict";

  var M = window.MediaDay;
  var h = M.h;
  var options = M.pageOptions();

  var els = {
    stationName: document.getElementById("station-name"),
    stationSub: document.getElementById("station-sub"),
    clock: document.getElementById("clock"),
    conn: document.getElementById("conn"),
    notice: document.getElementById("notice"),
    noticeText: document.getElementById("notice-text"),
    noticeClose: document.getElementById("notice-close"),
    banner: document.getElementById("stale-banner"),
    main: document.getElementById("crew-main"),
    nowCard: document.getElementById("now-card"),
    nowBody: document.getElementById("now-body"),
    shotsTitle: document.getElementById("shots-title"),
    shotsProgress: document.getElementById("shots-progress"),
    picker: document.getElementById("talent-picker"),
    shots: document.getElementById("shots"),
    callsCard: document.getElementById("calls-card"),
    calls: document.getElementById("calls"),
    schedule: document.getElementById("schedule"),
    announce: document.getElementById("announce"),
    notices: document.getElementById("notices"),
    takeover: document.getElementById("takeover"),
    producerPresence: document.getElementById("producer-presence"),
    visiting: document.getElementById("visiting"),
  };

  var showNotice = M.noticeBar(els);
  var showStatus = M.readyStatus(els, render, options.staleMs, "What you see may be out of date; changes cannot be sent until the connection is back.");

  var claims = M.tokenClaims(options.token);
  var ownStation = claims && claims.st;
  // A producer's Redirect shows another station (devices.js); writes stay the token's own.
  var stationId = ownStation && M.crewStationShown(ownStation);
  var visiting = stationId !== ownStation;
  if (!options.token || !claims) {
    showNotice("This page has no valid access token. Open it with ?token=… from `mediaday token --role crew --station <id>`.");
    els.conn.textContent = "No token";
    return;
  }
  if (!stationId) {
    showNotice("This token does not name a station. The crew view needs a crew token for one station.");
    els.conn.textContent = "No station";
    return;
  }
  if (claims.exp && claims.exp * 1000 < Date.now()) {
    showNotice("This access token has expired. Ask a producer for a new crew link.");
  }

  var client = new M.Client(
    M.clientOptions(options, {
      topics: ["roster", "calls", "notices", "presence", "station:" + stationId, "shots:" + stationId],
      heartbeatMs: 15000,
      pongTimeoutMs: 5000, // a silent link shows "Reconnecting" within 15 + 5 s
      onChange: render,
      onStatus: renderStatus,
      onError: function (error) {
        if (error && error.code !== "offline" && error.code !== "timeout") showNotice(M.errorWords(error));
      },
    })
  );
  window.mediadayClient = client;
  var mirror = client.mirror; // one mirror for the page's life: reconnects refill it

  var busy = new Set(); // item keys with a write in flight
  var pickedTalent = "";
  var timelineKey = "";
  var notices = new M.NoticeBoard(els, stationId, null, null);
  // The last Arrived / Done tap, told as it is: {slot, word, state: pending|applied|refused, text}.
  var marked = null;

  els.picker.addEventListener("change", function () {
    pickedTalent = els.picker.value;
    render();
  });

  /**
   * A write from a button: one at a time per item (a second tap while the first is pending
   * would undo it, so it is ignored). The outcome is told as it is: pending (and, when
   * slow, "still sending, no need to tap again"), applied once its ack comes (matched by
   * request id, even after a reconnect), or refused in plain words. `settled(error)`, if
   * given, hears the outcome (error null: applied) before the page redraws.
   */
  function send(key, fields, settled) {
    if (busy.has(key) || visiting) return; // another station's: view only (its buttons are hidden)
    busy.add(key);
    render();
    var slow = setTimeout(function () {
      if (busy.has(key)) showNotice(M.ERROR_WORDS.pending);
    }, 3000);
    client.write(fields).then(
      function () {
        clearTimeout(slow);
        busy.delete(key);
        els.notice.hidden = true;
        if (settled) settled(null);
        render();
      },
      function (error) {
        clearTimeout(slow);
        busy.delete(key);
        if (error && (error.code === "offline" || error.code === "timeout")) showNotice(M.errorWords(error));
        if (settled) settled(error || { code: "unknown" });
        render();
      }
    );
  }

  function setShot(shot, status) {
    var target = M.crewLists.statusOf(shot) === status ? "pending" : status; // tapping again undoes
    send("shot#" + shot.id, { action: "shot.set_status", shot_id: shot.id, version: shot.version, status: target });
  }

  /** "Arrived" (slot.arrive) or "Done" (slot.done) for the athlete in front of the crew. */
  function markSlot(slot, action, word) {
    var who = M.talentName(mirror, slot.talent_id);
    marked = { slot: slot.id, word: word, state: "pending", text: word + ": " + who + " — sending…" };
    send("slot#" + slot.id, { action: action, slot_id: slot.id, version: slot.version }, function (error) {
      marked = error
        ? { slot: slot.id, word: word, state: "refused", text: word + " not recorded for " + who + ": " + M.errorWords(error) }
        : { slot: slot.id, word: word, state: "applied", text: word + " ✓ " + who + " at " + M.hourMinute(client.serverNow()) };
    });
  }

  function ackCall(call, state) {
    send("call#" + call.id, { action: "call.ack", call_id: call.id, version: call.version, state: state });
  }

  function model(now) {
    var slots = mirror.ofType("slot").filter(function (s) { return s.station_id === stationId; });
    var line = M.stationTimeline(slots, now);
    var calls = mirror.ofType("call").filter(M.isActiveCall);
    var scheduled = line.current || line.next;
    var focus = pickedTalent || (scheduled ? scheduled.talent_id : "");
    return {
      day: mirror.ofType("day")[0] || null,
      station: mirror.get("station", stationId),
      line: line,
      late: M.minutesLate(slots, now),
      over: M.overtimeMs(line.current, now) > 0,
      waiting: !!line.next && Date.parse(line.next.starts_at) <= now, // the next is due, the current still on
      focus: focus,
      following: !pickedTalent,
      ours: calls.filter(function (c) { return c.station_id === stationId; }),
      // The talent in front of us is wanted elsewhere: the crew should wrap up.
      elsewhere: calls.filter(function (c) {
        return c.station_id !== stationId && line.current && c.talent_id === line.current.talent_id;
      }),
      shots: mirror
        .ofType("shot")
        .filter(function (s) { return s.station_id === stationId && s.talent_id === focus; })
        .sort(function (a, b) { return a.position - b.position || String(a.description).localeCompare(b.description); }),
      talentIds: Array.from(new Set(
        slots.map(function (s) { return s.talent_id; }).concat(
          mirror.ofType("shot").filter(function (s) { return s.station_id === stationId; }).map(function (s) { return s.talent_id; })
        )
      )),
    };
  }

  /** The one big button for the athlete in front: Arrived, then Done; none once done. */
  function markButton(slot) {
    var arrive = !slot.actual_start;
    var word = arrive ? "Arrived" : "Done";
    var pending = busy.has("slot#" + slot.id);
    return h(
      "button",
      {
        type: "button",
        class: "btn btn-mark " + (arrive ? "btn-arrive" : "btn-done"),
        "data-focus-key": "mark-" + slot.id,
        "aria-label": word + ": " + M.talentName(mirror, slot.talent_id),
        disabled: pending,
        onclick: function () { markSlot(slot, arrive ? "slot.arrive" : "slot.done", word); },
      },
      pending ? word + "…" : word
    );
  }

  function renderNow(m) {
    var slot = m.line.current;
    var next = m.line.next;
    var parts = [M.lateBadge(m.late)];
    if (slot) {
      var end = Date.parse(slot.ends_at);
      parts.push(
        h("p", { class: "talent" }, M.talentName(mirror, slot.talent_id)),
        h("p", { class: "talent-meta" }, [M.talentMeta(mirror, slot.talent_id), slot.title].filter(Boolean).join(" — ")),
        m.over
          ? h("p", { class: "countdown is-overtime" }, h("span", { class: "num", "data-over": end }, ""), " over · planned end ", M.hourMinute(end), " — keep going until Done")
          : h("p", { class: "countdown" }, h("span", { class: "num", "data-until": end }, ""), " left · until ", M.hourMinute(end)),
        slot.actual_start ? h("p", { class: "muted arrived-at" }, "Arrived at " + M.hourMinute(Date.parse(slot.actual_start))) : null
      );
    } else {
      parts.push(h("p", { class: "empty" }, "No one scheduled right now."));
    }
    // The athlete in front (or the next one, arriving early when no one is on).
    var markable = slot || next;
    if (markable) parts.push(h("p", { class: "mark-row" }, markButton(markable)));
    if (marked) parts.push(h("p", { class: "mark-outcome", role: "status", "data-state": marked.state, "data-slot-id": marked.slot }, marked.text));
    if (next) {
      var start = Date.parse(next.starts_at);
      var when = m.waiting
        ? [" — waiting, due at " + M.hourMinute(start)]
        : [" in ", h("span", { class: "num", "data-until": start }, ""), " at " + M.hourMinute(start)];
      parts.push(h("p", { class: "muted next-line" }, "Next: ", h("strong", null, M.talentName(mirror, next.talent_id)), when));
    }
    m.elsewhere.forEach(function (call) {
      parts.push(h("p", { class: "call-flag", "data-call-id": call.id }, M.talentName(mirror, call.talent_id) + " is called to " + M.stationName(mirror, call.station_id) + " (" + call.state.replace("-", " ") + ")."));
    });
    els.nowBody.replaceChildren.apply(els.nowBody, parts.filter(Boolean));
    els.nowCard.classList.toggle("is-called", m.elsewhere.length > 0);
    els.nowCard.classList.toggle("is-overtime", m.over);
  }

  function renderPicker(m) {
    var wanted = [""].concat(m.talentIds).join("|");
    if (els.picker.getAttribute("data-ids") !== wanted) {
      var opts = [h("option", { value: "" }, "Follow the schedule")].concat(
        m.talentIds
          .slice()
          .sort(function (a, b) { return M.talentName(mirror, a).localeCompare(M.talentName(mirror, b)); })
          .map(function (id) { return h("option", { value: id }, M.talentName(mirror, id)); })
      );
      els.picker.replaceChildren.apply(els.picker, opts);
      els.picker.setAttribute("data-ids", wanted);
    }
    els.picker.value = pickedTalent;
  }

  var previous = null; // what was announced last

  /** Tell screen readers what matters, briefly: who is in front now, and new calls. */
  function announce(m) {
    var current = { now: m.line.current ? m.line.current.talent_id : "", calls: {} };
    var messages = [];
    if (previous && current.now && previous.now !== current.now) {
      messages.push("Now in front of you: " + M.talentName(mirror, current.now) + ".");
    }
    m.ours.concat(m.elsewhere).forEach(function (call) {
      current.calls[call.id] = true;
      if (previous && !previous.calls[call.id]) {
        messages.push("New call: " + M.talentName(mirror, call.talent_id) + " to " + M.stationName(mirror, call.station_id) + ".");
        if (call.station_id === stationId) window.mediadayAlert = M.alertCall(els.callsCard);
      }
    });
    if (client.status.ready) previous = current;
    if (messages.length) els.announce.textContent = messages.join(" ");
  }

  /** Which slots are current/next, how late, whether in overtime: a change redraws. */
  function keyOf(m) {
    var on = (m.line.current ? m.line.current.id : "-") + ":" + (m.line.next ? m.line.next.id : "-");
    return on + ":" + m.late + ":" + m.over + ":" + m.waiting;
  }

  function render() {
    var focused = document.activeElement && document.activeElement.getAttribute("data-focus-key");
    var now = client.serverNow();
    var m = model(now);
    if (m.day) {
      M.setTimeZone(m.day.timezone);
      els.stationSub.textContent = "Crew · " + m.day.name;
    }
    els.stationName.textContent = m.station ? m.station.name : stationId;
    M.producerMarker(client, els.producerPresence);
    if (visiting) M.showVisiting(els.visiting, mirror, stationId, ownStation);
    document.title = (m.station ? m.station.name : stationId) + " — Crew";
    renderNow(m);
    renderPicker(m);
    var lists = { mirror: mirror, busy: busy, setShot: setShot, ackCall: ackCall };
    M.crewLists.renderShots(lists, els, m);
    M.crewLists.renderCalls(lists, els, m);
    M.crewLists.renderSchedule(lists, els, m, now);
    timelineKey = keyOf(m);
    announce(m);
    els.main.setAttribute("aria-busy", client.status.ready ? "false" : "true");
    if (focused) {
      var again = document.querySelector('[data-focus-key="' + focused + '"]');
      if (again) again.focus();
    }
    tick();
  }

  function tick() {
    var now = client.serverNow();
    M.tickScreen(els, els.main, notices, mirror, now);
    if (keyOf(model(now)) !== timelineKey) render();
  }

  function renderStatus() {
    showStatus(client);
  }

  window.mediadayWakeLock = M.keepAwake(); // a tablet on the stand must not go dark
  M.soundToggle(document.getElementById("sound-toggle"));
  M.startView(client, { render: render, tick: tick, renderStatus: renderStatus }, 500);
})();
