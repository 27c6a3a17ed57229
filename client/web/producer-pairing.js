/*
 * producer-pairing.js: "Pending devices", the screens waiting to be paired
 * (docs/protocol.md, "Device pairing"). `pair.watch` lists them (again on every new
 * socket) and `pairing` frames keep the list live; they are taken off the console's client
 * before the item code sees them. The producer types the code a screen shows (or picks its
 * row, which fills it in) and approves it with a role, station and label; the screen gets
 * its token and starts on its own. A row can also be declined.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var P = M.Producer;
  var doc = global.document;
  var waiting = new Map(); // connection_id -> pending device {code, code_expires_at, …}
  var socketSeen = null; // the socket the current list belongs to
  var problem = "";
  var drawn = "";
  var els = null;

  function init(ctx) {
    els = {
      list: doc.getElementById("pairing-list"),
      summary: doc.getElementById("pairing-summary"),
      form: doc.getElementById("pairing-form"),
      code: doc.getElementById("pairing-code"),
      role: doc.getElementById("pairing-role"),
      station: doc.getElementById("pairing-station"),
      label: doc.getElementById("pairing-label"),
      submit: doc.getElementById("pairing-approve"),
      outcome: doc.getElementById("pairing-outcome"),
    };
    var client = ctx.client;
    var received = client._received;
    client._received = function (data) {
      if (typeof data === "string" && data.indexOf('"pairing"') >= 0) {
        var frame = null;
        try {
          frame = JSON.parse(data);
        } catch (e) {
          frame = null;
        }
        if (frame && frame.type === "pairing" && frame.device) {
          this._contact();
          changed(frame);
          ctx.render();
          return;
        }
      }
      received.call(this, data);
    };
    els.form.addEventListener("submit", function (event) {
      event.preventDefault();
      approve(ctx);
    });
    els.role.addEventListener("change", function () { ctx.render(); });
  }

  function changed(frame) {
    var id = frame.device.connection_id;
    if (frame.change === "waiting") waiting.set(id, frame.device);
    else waiting.delete(id);
  }

  /** On every new socket: the waiting screens now (pairing frames follow). */
  function watch(ctx) {
    var client = ctx.client;
    if (!client.status.ready || client.socket === socketSeen) return;
    socketSeen = client.socket;
    client.request({ action: "pair.watch" }).then(
      function (ack) {
        waiting.clear();
        ((ack.item && ack.item.devices) || []).forEach(function (device) {
          waiting.set(device.connection_id, device);
        });
        problem = "";
        ctx.render();
      },
      function (error) {
        socketSeen = null; // ask again on the next tick
        problem = M.errorWords(error);
        ctx.render();
      }
    );
  }

  function spaced(code) {
    return code.slice(0, 3) + "-" + code.slice(3);
  }

  function approve(ctx) {
    var role = els.role.value;
    var fields = { action: "pair.approve", code: els.code.value.trim(), role: role };
    if (role !== "producer" && els.station.value) fields.station_id = els.station.value;
    if (els.label.value.trim()) fields.label = els.label.value.trim();
    if (!fields.code) {
      say("Type the code the screen shows.", true);
      return;
    }
    if (role === "crew" && !fields.station_id) {
      say("A crew tablet needs its station.", true);
      return;
    }
    els.submit.disabled = true;
    say("Approving " + fields.code.toUpperCase() + "…", false);
    ctx.client.request(fields).then(
      function (ack) {
        els.submit.disabled = false;
        var item = ack.item || {};
        say("Paired " + (item.label || item.subject) + " as " + item.role + (item.station_id ? " at " + M.stationName(ctx.mirror, item.station_id) : "") + ". It starts on its own.", false);
        els.form.reset();
        ctx.render();
      },
      function (error) {
        els.submit.disabled = false;
        say(ctx.refusal(error) || M.errorWords(error), true);
      }
    );
  }

  function reject(ctx, device) {
    ctx.client.request({ action: "pair.reject", code: device.code }).then(
      function () { say("Declined the screen showing " + spaced(device.code) + ".", false); },
      function (error) { say(ctx.refusal(error) || M.errorWords(error), true); }
    );
  }

  function say(text, refused) {
    els.outcome.textContent = text;
    els.outcome.classList.toggle("form-error", refused);
  }

  function row(ctx, device, now) {
    var h = ctx.h;
    var since = M.clockTime(device.connected_at);
    var until = device.code_expires_at > now ? "code valid until " + M.clockTime(device.code_expires_at) : "code renewing";
    return h(
      "li",
      { class: "pairing-row" },
      h("span", { class: "pairing-row-code" }, spaced(device.code)),
      h("span", { class: "pairing-row-what muted" }, describe(device.user_agent) + " · " + (device.source_ip || "?") + " · waiting since " + since + " · " + until),
      h(
        "span",
        { class: "pairing-row-actions" },
        h("button", { type: "button", class: "btn", "data-focus-key": "pair-use-" + device.connection_id, onclick: function () { els.code.value = spaced(device.code); els.label.focus(); } }, "Use code"),
        h("button", { type: "button", class: "btn", "data-focus-key": "pair-reject-" + device.connection_id, onclick: function () { reject(ctx, device); } }, "Decline")
      )
    );
  }

  /** A few words for a user agent: the browser and the system, not the whole string. */
  function describe(agent) {
    var text = String(agent || "");
    var browser = /Firefox\//.test(text) ? "Firefox" : /Edg\//.test(text) ? "Edge" : /Chrom(e|ium)\//.test(text) ? "Chrome" : /Safari\//.test(text) ? "Safari" : "Browser";
    var system = /Android/.test(text) ? "Android" : /iPhone|iPad/.test(text) ? "iOS" : /Windows/.test(text) ? "Windows" : /Mac OS X/.test(text) ? "macOS" : /Linux|X11/.test(text) ? "Linux" : "";
    return browser + (system ? " on " + system : "");
  }

  function render(ctx, now) {
    watch(ctx);
    var choices = [{ value: "", label: "— all stations —" }].concat(
      ctx.stations().map(function (s) { return { value: s.id, label: s.name }; })
    );
    ctx.fillSelect(els.station, choices);
    els.station.disabled = els.role.value === "producer";
    var devices = Array.from(waiting.values())
      .filter(function (d) { return d.code; })
      .sort(function (a, b) { return a.connected_at - b.connected_at; });
    els.summary.textContent = problem || (devices.length ? devices.length + " waiting" : "No screen is waiting. Open /kiosk or /crew without a link on a screen: it shows a code.");
    var key = devices.map(function (d) { return d.connection_id + d.code + (d.code_expires_at > now); }).join("|");
    if (key === drawn) return;
    drawn = key;
    els.list.replaceChildren.apply(els.list, devices.map(function (d) { return row(ctx, d, now); }));
  }

  function tick(ctx) {
    watch(ctx);
  }

  P.pairing = { init: init, render: render, tick: tick };
})(window);
