/*
 * producer-notices.js: the producers' announcements to screens (`notice.post`, `.update`,
 * `.clear`): info or urgent, to every screen or to chosen stations, hidden at an optional
 * venue time. The preview is drawn by the screens' own banner (screens.js NoticeBoard),
 * so it looks as the kiosks and crews will see it. An edit carries the version it was
 * loaded at; when someone else changed the notice first, the form keeps the producer's
 * words and the next Save re-applies them on purpose.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var P = M.Producer;
  var MAX_TEXT = 280;
  var chosen = new Set(); // station ids ticked for "chosen stations" (the boxes are redrawn)
  var outcome = {}; // notice id -> words under its row (a clear that was refused)
  var els = null;
  var preview = null; // a NoticeBoard drawing into the preview list

  function byId(id) {
    return global.document.getElementById(id);
  }

  function showError(text) {
    els.error.textContent = text;
    els.error.hidden = !text;
  }

  function target() {
    var some = global.document.querySelector('input[name="nt-target"]:checked');
    return some ? some.value : "all";
  }

  function setTarget(value) {
    var radio = global.document.querySelector('input[name="nt-target"][value="' + value + '"]');
    if (radio) radio.checked = true;
  }

  function init(ctx) {
    els = {
      form: byId("nt-form"),
      id: byId("nt-id"),
      version: byId("nt-version"),
      text: byId("nt-text"),
      count: byId("nt-count"),
      level: byId("nt-level"),
      stations: byId("nt-stations"),
      expires: byId("nt-expires"),
      error: byId("nt-error"),
      save: byId("nt-save"),
      title: byId("nt-form-title"),
      previewList: byId("nt-preview"),
      previewNote: byId("nt-preview-note"),
      list: byId("nt-list"),
    };
    preview = new M.NoticeBoard({ notices: els.previewList, takeover: null }, null, function (n) {
      return whereWords(ctx, n);
    });
    els.form.addEventListener("input", function () { showPreview(ctx); });
    els.form.addEventListener("change", function () { ctx.render(); });
    els.form.addEventListener("reset", function (event) {
      event.preventDefault();
      load(ctx, null);
      els.text.focus();
    });
    els.form.addEventListener("submit", function (event) {
      event.preventDefault();
      save(ctx);
    });
  }

  /** Station names a notice is aimed at ("" when it is for every screen). */
  function whereWords(ctx, notice) {
    return (notice.stations || []).map(function (id) { return M.stationName(ctx.mirror, id); }).join(", ");
  }

  /** The form as a notice, the way the server would store it. */
  function draft() {
    return {
      id: els.id.value || "preview",
      version: 1,
      text: els.text.value.trim(),
      level: els.level.value === "urgent" ? "urgent" : "info",
      stations: target() === "some" ? Array.from(chosen).sort() : [],
    };
  }

  function showPreview(ctx) {
    var notice = draft();
    els.count.textContent = els.text.value.length + " / " + MAX_TEXT;
    preview.render(notice.text ? [notice] : []);
    var where = notice.stations.length ? "the screens of " + whereWords(ctx, notice) : "every screen";
    els.previewNote.textContent = !notice.text
      ? "Type a notice to see it as the screens will show it."
      : notice.level === "urgent"
        ? "Urgent: it takes over " + where + " for a few seconds, then stays as this banner."
        : "Shown as this banner on " + where + ".";
  }

  /** Put a notice in the form (null: a new one). */
  function load(ctx, notice) {
    els.id.value = notice ? notice.id : "";
    els.version.value = notice ? String(notice.version) : "";
    els.text.value = notice ? notice.text : "";
    els.level.value = notice && notice.level === "urgent" ? "urgent" : "info";
    chosen.clear();
    ((notice && notice.stations) || []).forEach(function (id) { chosen.add(id); });
    setTarget(chosen.size ? "some" : "all");
    els.expires.value = notice && notice.expires_at ? P.time.inputTime(Date.parse(notice.expires_at)) : "";
    els.title.textContent = notice ? "Edit notice" : "New notice";
    els.save.textContent = notice ? "Update notice" : "Post notice";
    showError("");
    ctx.render();
  }

  /** The fields to send, or a sentence saying what to fix. */
  function fieldsOf(ctx) {
    var notice = draft();
    if (!notice.text) return "Write the notice first.";
    if (target() === "some" && notice.stations.length === 0) return "Tick at least one station, or choose All screens.";
    var fields = { text: notice.text, level: notice.level, stations: notice.stations };
    if (els.expires.value) {
      var at = P.time.atWallTime(ctx.now(), els.expires.value);
      if (!(at > ctx.now())) return "Hide at " + els.expires.value + " has already passed on the venue clock: choose a later time, or leave it empty.";
      fields.expires_at = P.time.iso(at);
    } else if (els.id.value) {
      var held = ctx.mirror.get("notice", els.id.value);
      if (held && held.expires_at) return "An expiry cannot be taken off a notice: set a later time, or clear the notice and post a new one.";
    }
    return fields;
  }

  function save(ctx) {
    var fields = fieldsOf(ctx);
    if (typeof fields === "string") {
      showError(fields);
      return;
    }
    var id = els.id.value;
    var request = id
      ? { action: "notice.update", notice_id: id, version: Number(els.version.value), changes: fields }
      : { action: "notice.post", notice: Object.assign({ id: ctx.newId("nt") }, fields) };
    showError("");
    ctx.write("notice#" + (id || "new"), request).then(
      function () {
        load(ctx, null);
        byId("announce").textContent = id ? "Notice updated." : "Notice posted.";
      },
      function (error) {
        if (error && error.code === "conflict" && error.current) {
          // Keep the producer's words; the next Save is a deliberate re-apply over theirs.
          els.version.value = String(error.current.version);
          var theirs = error.current.deleted ? "it has been cleared" : "it now reads “" + error.current.text + "”";
          if (error.current.deleted) {
            // Cleared meanwhile: the words can only go out again as a new notice.
            els.id.value = "";
            els.version.value = "";
            els.title.textContent = "New notice";
            els.save.textContent = "Post notice";
          }
          showError("Someone else changed this notice meanwhile (" + theirs + "). Your words are still in the form: press " + (els.id.value ? "Update" : "Post") + " again to apply them, or New to drop them.");
        } else if (error && error.code !== "pending") {
          showError(ctx.refusal(error));
        }
      }
    );
  }

  function clear(ctx, notice) {
    delete outcome[notice.id];
    ctx.write("notice#" + notice.id, { action: "notice.clear", notice_id: notice.id, version: notice.version }).then(
      function () {
        if (els.id.value === notice.id) load(ctx, null);
      },
      function (error) {
        if (error && error.code === "pending") return;
        outcome[notice.id] = "Not cleared: " + ctx.refusal(error);
        ctx.render();
      }
    );
  }

  function renderStations(ctx) {
    var h = ctx.h;
    var off = target() !== "some";
    var boxes = ctx.stations().map(function (station) {
      return h(
        "label",
        { class: "inline nt-station" },
        h("input", {
          type: "checkbox",
          value: station.id,
          checked: chosen.has(station.id),
          disabled: off,
          "data-focus-key": "nt-station-" + station.id,
          onchange: function (event) {
            if (event.target.checked) chosen.add(station.id);
            else chosen.delete(station.id);
            showPreview(ctx);
          },
        }),
        station.name
      );
    });
    var key = off + "|" + ctx.stations().map(function (s) { return s.id + "=" + s.name + (chosen.has(s.id) ? "+" : ""); }).join("|");
    if (els.stations.getAttribute("data-key") === key) return;
    els.stations.setAttribute("data-key", key);
    els.stations.replaceChildren.apply(els.stations, boxes);
  }

  function row(ctx, notice, showing) {
    var h = ctx.h;
    var where = whereWords(ctx, notice) || "All screens";
    var hides = notice.expires_at ? Date.parse(notice.expires_at) : null;
    var when = hides === null ? "no expiry" : (showing ? "hides at " : "hidden since ") + M.hourMinute(hides);
    var busy = ctx.busy.has("notice#" + notice.id);
    return h(
      "li",
      { class: "nt-row", "data-notice-id": notice.id, "data-level": notice.level, "data-showing": showing ? "yes" : "no" },
      h(
        "div",
        { class: "nt-row-text" },
        h("span", { class: "notice-level nt-level" }, notice.level === "urgent" ? "Urgent" : "Notice"),
        " ",
        h("span", { class: "nt-words" }, notice.text),
        h("span", { class: "pcall-meta muted" }, where + " · " + when + " · by " + (notice.posted_by || notice.updated_by || "?")),
        outcome[notice.id] ? h("span", { class: "form-error pcall-meta", role: "alert" }, outcome[notice.id]) : null
      ),
      h(
        "span",
        { class: "actions" },
        h("button", {
          type: "button",
          class: "btn btn-small",
          "data-focus-key": "nt-edit-" + notice.id,
          "aria-label": "Edit notice: " + notice.text,
          onclick: function () {
            load(ctx, ctx.mirror.get("notice", notice.id) || notice);
            els.text.focus();
          },
        }, "Edit"),
        h("button", {
          type: "button",
          class: "btn btn-small btn-danger",
          "data-focus-key": "nt-clear-" + notice.id,
          "aria-label": "Clear notice: " + notice.text,
          disabled: busy,
          onclick: function () { clear(ctx, notice); },
        }, "Clear")
      )
    );
  }

  function render(ctx, now) {
    renderStations(ctx);
    showPreview(ctx);
    els.save.disabled = ctx.busy.has("notice#" + (els.id.value || "new"));
    var all = ctx.mirror.ofType("notice");
    var shown = M.shownNotices(all, now, null);
    var showingIds = new Set(shown.map(function (n) { return n.id; }));
    var expired = all
      .filter(function (n) { return !showingIds.has(n.id); })
      .sort(function (a, b) { return b.rev - a.rev; });
    var rows = shown.map(function (n) { return row(ctx, n, true); })
      .concat(expired.map(function (n) { return row(ctx, n, false); }));
    if (!rows.length) rows = [ctx.h("li", { class: "empty" }, "No notices. Screens show none.")];
    els.list.replaceChildren.apply(els.list, rows);
    byId("nt-summary").textContent = shown.length + (shown.length === 1 ? " notice" : " notices") + " on screens" + (expired.length ? ", " + expired.length + " expired" : "");
  }

  /** A notice leaves the screens at its expiry: redraw the list when one passes. */
  var lastShown = "";

  function tick(ctx, now) {
    var key = M.shownNotices(ctx.mirror.ofType("notice"), now, null).map(function (n) { return n.id; }).join("|");
    if (key !== lastShown) {
      lastShown = key;
      render(ctx, now);
    }
  }

  P.notices = { init: init, render: render, tick: tick };
})(window);
