/*
 * producer-devices.js: who is online, per station (crews) and venue-wide (kiosks,
 * producers), from the producer-only `devices` topic, with the actions on one device:
 * label, identify, redirect (kiosks) and revoke (docs/protocol.md, "Devices, presence and
 * access"). The topic holds presence, not items: it bypasses the item mirror, is
 * subscribed again on every new socket (a fresh snapshot), and its `device` frames are
 * taken off the console's client (ctx.takeFrames) before the item code sees them. Revoking asks first
 * (producer-revoke.js), because it shuts a device out for good.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var P = M.Producer;
  var GONE = { disconnected: "Disconnected", expired: "Token expired", revoked: "Revoked", gone: "Gone" };
  var LEFT_SHOWN_MS = 60000; // a device that left stays listed, greyed, this long

  var devices = new Map(); // connection_id -> device
  var left = new Map(); // connection_id -> {device, change, at}
  var early = null; // device frames that came while a snapshot was on its way
  var socketSeen = null; // the socket the current snapshot belongs to
  var problem = ""; // why the list cannot be shown (e.g. the subscription was refused)
  var open = null; // {id, what: "label" | "redirect"}: the one inline editor open
  var drafts = {}; // connection id -> the label / station being typed (rows are redrawn)
  var outcome = {}; // connection id -> {text, refused}
  var drawn = "";
  var els = null;

  function init(ctx) {
    els = { list: global.document.getElementById("device-list"), summary: global.document.getElementById("devices-summary") };
    P.revoke.init(ctx);
    ctx.takeFrames("device", function (frame) {
      if (!frame.device) return;
      if (early) early.push(frame);
      else changed(ctx, frame);
    });
  }

  function changed(ctx, frame) {
    var device = frame.device;
    var id = device.connection_id;
    if (frame.change === "connected" || frame.change === "updated") {
      devices.set(id, Object.assign({}, devices.get(id), device));
      left.delete(id);
    } else {
      var before = left.get(id);
      var was = devices.get(id) || (before && before.device) || device;
      devices.delete(id);
      if (open && open.id === id) open = null;
      // The socket's close follows a revocation or expiry: keep the reason, not "disconnected".
      if (!before || before.change === "disconnected" || frame.change !== "disconnected") {
        left.set(id, { device: was, change: frame.change, at: Date.now() });
      }
    }
    ctx.render();
  }

  /** A new socket has no subscriptions: ask for the topic's snapshot on it. */
  function subscribe(ctx) {
    var client = ctx.client;
    var socket = client.socket;
    socketSeen = socket;
    early = [];
    client.request({ action: "subscribe", topics: ["devices"] }).then(
      function (done) {
        if (client.socket !== socket) return;
        devices.clear();
        done.pages.forEach(function (page) {
          (page.items || []).forEach(function (device) { devices.set(device.connection_id, device); });
        });
        var queued = early;
        early = null;
        problem = "";
        queued.forEach(function (frame) { changed(ctx, frame); });
        ctx.render();
      },
      function (error) {
        early = null;
        if (client.socket !== socket) return;
        if (error && (error.code === "offline" || error.code === "timeout")) socketSeen = null; // try again
        else problem = "The device list is not available: " + ctx.refusal(error);
        ctx.render();
      }
    );
  }

  function name(device) {
    return device.label || device.subject || device.connection_id;
  }

  /** "Chrome 131", "Firefox 133", "websockets 13": enough to tell devices apart. */
  function agent(text) {
    var match = /(Edg|Firefox|Chrome|Safari|websockets|Python)\/(\d+)/.exec(String(text || ""));
    return match ? (match[1] === "Edg" ? "Edge" : match[1]) + " " + match[2] : "";
  }

  function say(ctx, id, text, refused) {
    outcome[id] = { text: text, refused: refused };
    ctx.render();
  }

  function words(ctx, error) {
    if (error && error.code === "not_found") return "That device is no longer connected.";
    return ctx.refusal(error);
  }

  /** One device action; the outcome shows under the device's row. */
  function act(ctx, device, fields, done) {
    var id = device.connection_id;
    ctx.write("device#" + id, Object.assign({ connection_id: id }, fields)).then(
      function (ack) {
        if (ack.item && ack.item.connection_id && devices.has(ack.item.connection_id)) {
          devices.set(id, Object.assign({}, devices.get(id), ack.item));
        }
        open = null;
        say(ctx, id, done, false);
      },
      function (error) {
        if (error && error.code === "pending") return;
        say(ctx, id, "Not done: " + words(ctx, error), true);
      }
    );
  }

  function button(ctx, device, text, key, onclick, extra) {
    return ctx.h("button", Object.assign({
      type: "button",
      class: "btn btn-small",
      "data-focus-key": key + "-" + device.connection_id,
      "aria-label": text + " " + name(device),
      disabled: ctx.busy.has("device#" + device.connection_id),
      onclick: onclick,
    }, extra || {}), text);
  }

  function editor(ctx, device) {
    var h = ctx.h;
    var id = device.connection_id;
    var labelling = open.what === "label";
    var send = function () {
      if (labelling) act(ctx, device, { action: "device.label", label: String(drafts[id] || "").trim() }, "Label saved.");
      else act(ctx, device, { action: "device.redirect", view: "kiosk", station_id: drafts[id] }, "Sent to " + M.stationName(ctx.mirror, drafts[id]) + ".");
    };
    var field = labelling
      ? h("input", {
          type: "text",
          maxlength: "120",
          value: drafts[id] || "",
          "data-focus-key": "dev-label-input-" + id,
          "aria-label": "Label for " + name(device) + " (empty clears it)",
          oninput: function (event) { drafts[id] = event.target.value; },
        })
      : h("select", {
          "data-focus-key": "dev-redirect-select-" + id,
          "aria-label": "Station for " + name(device) + " to show",
          onchange: function (event) { drafts[id] = event.target.value; },
        }, ctx.stations().map(function (s) { return h("option", { value: s.id, selected: drafts[id] === s.id }, s.name); }));
    return h(
      "form",
      {
        class: "dev-editor",
        novalidate: true,
        onsubmit: function (event) { event.preventDefault(); send(); },
        onkeydown: function (event) {
          if (event.key !== "Escape") return;
          event.stopPropagation();
          open = null;
          ctx.render();
        },
      },
      field,
      h("button", { type: "submit", class: "btn btn-small btn-primary", "data-focus-key": "dev-send-" + id }, labelling ? "Save label" : "Show this station"),
      h("button", { type: "button", class: "btn btn-small", onclick: function () { open = null; ctx.render(); } }, "Cancel")
    );
  }

  function row(ctx, device, own) {
    var h = ctx.h;
    var id = device.connection_id;
    var said = outcome[id];
    var meta = [
      device.role,
      device.label && device.subject ? device.subject : "",
      "since " + M.hourMinute(device.connected_at),
      device.last_active ? "active " + M.hourMinute(device.last_active) : "",
      agent(device.user_agent),
    ].filter(Boolean).join(" · ");
    var toggle = function (what) {
      return function () {
        open = open && open.id === id && open.what === what ? null : { id: id, what: what };
        drafts[id] = what === "label" ? device.label || "" : drafts[id] || (ctx.stations()[0] || {}).id;
        ctx.render();
        var field = open && global.document.querySelector('[data-focus-key="dev-' + what + '-' + (what === "label" ? "input-" : "select-") + id + '"]');
        if (field) field.focus(); // straight into the editor, for the keyboard
      };
    };
    return h(
      "li",
      { class: "dev-row", "data-connection-id": id, "data-role": device.role, "data-state": "online" },
      h(
        "div",
        { class: "dev-who" },
        h("strong", { class: "dev-name" }, name(device)),
        own ? h("span", { class: "flag" }, "this console") : null,
        h("span", { class: "pcall-meta muted", title: device.user_agent || "" }, meta),
        said ? h("span", { class: "pcall-meta dev-outcome" + (said.refused ? " form-error" : " muted"), role: said.refused ? "alert" : "status" }, said.text) : null
      ),
      h(
        "span",
        { class: "actions" },
        button(ctx, device, "Identify", "dev-identify", function () {
          act(ctx, device, { action: "device.identify", seconds: 5 }, "Flashing its label on its screen for 5 s.");
        }),
        button(ctx, device, "Label", "dev-label", toggle("label"), { "aria-expanded": open && open.id === id && open.what === "label" ? "true" : "false" }),
        device.role === "kiosk"
          ? button(ctx, device, "Redirect", "dev-redirect", toggle("redirect"), { "aria-expanded": open && open.id === id && open.what === "redirect" ? "true" : "false" })
          : null,
        own ? null : button(ctx, device, "Revoke…", "dev-revoke", function () { P.revoke.ask(ctx, device); }, { class: "btn btn-small btn-danger" })
      ),
      open && open.id === id ? editor(ctx, device) : null
    );
  }

  function leftRow(ctx, id, entry) {
    var h = ctx.h;
    return h(
      "li",
      { class: "dev-row is-left", "data-connection-id": id, "data-role": entry.device.role, "data-state": entry.change },
      h("div", { class: "dev-who" }, h("strong", { class: "dev-name" }, name(entry.device)), h("span", { class: "pcall-meta muted" }, (GONE[entry.change] || entry.change) + " at " + M.clockTime(entry.at + ctx.client.clockOffsetMs)))
    );
  }

  /** Groups: each station's crews (also when none is online), then kiosks and producers. */
  function groups(ctx) {
    var list = Array.from(devices.values());
    var gone = Array.from(left.entries());
    var stationIds = new Set(ctx.stations().map(function (s) { return s.id; }));
    var out = ctx.stations().map(function (station) {
      return { key: "st-" + station.id, title: station.name, empty: "No crew online", test: function (d) { return d.role === "crew" && d.station === station.id; } };
    });
    out.push({ key: "crew-other", title: "Crews of other stations", empty: null, test: function (d) { return d.role === "crew" && !stationIds.has(d.station); } });
    out.push({ key: "kiosk", title: "Kiosks", empty: "No kiosk online", test: function (d) { return d.role === "kiosk"; } });
    out.push({ key: "producer", title: "Producers", empty: null, test: function (d) { return d.role === "producer"; } });
    return out.map(function (g) {
      return { g: g, online: list.filter(g.test), left: gone.filter(function (e) { return g.test(e[1].device); }) };
    });
  }

  function render(ctx) {
    if (!els) return;
    var client = ctx.client;
    if (client.status.ready && client.socket && client.socket !== socketSeen) subscribe(ctx);
    var now = Date.now();
    left.forEach(function (entry, id) { if (now - entry.at > LEFT_SHOWN_MS) left.delete(id); });
    var jti = (client.claims || {}).jti;
    var key = JSON.stringify([Array.from(devices.values()), Array.from(left.keys()), open, outcome, problem, Array.from(ctx.busy), ctx.stations().map(function (s) { return s.name; }), Math.floor(ctx.now() / 60000)]);
    if (key === drawn) return;
    drawn = key;
    var h = ctx.h;
    var sections = groups(ctx).filter(function (x) { return x.online.length || x.left.length || x.g.empty; }).map(function (x) {
      var rows = x.online.map(function (d) { return row(ctx, d, jti && d.token_id === jti); })
        .concat(x.left.map(function (e) { return leftRow(ctx, e[0], e[1]); }));
      if (!rows.length) rows = [h("li", { class: "empty muted" }, x.g.empty)];
      return h("li", { class: "dev-group", "data-group": x.g.key },
        h("h3", null, x.g.title, h("span", { class: "muted" }, " · " + x.online.length + " online")),
        h("ul", { class: "dev-rows" }, rows));
    });
    els.list.replaceChildren.apply(els.list, sections);
    var count = function (role, one, many) {
      var n = Array.from(devices.values()).filter(function (d) { return d.role === role; }).length;
      return n + " " + (n === 1 ? one : many);
    };
    els.summary.textContent = problem || (socketSeen && early === null
      ? count("crew", "crew", "crews") + ", " + count("kiosk", "kiosk", "kiosks") + ", " + count("producer", "producer", "producers") + " online"
      : "Loading devices…");
    els.summary.classList.toggle("form-error", !!problem);
  }

  P.devices = {
    init: init,
    render: render,
    tick: render, // a new socket to subscribe on, a departed device to let go (cheap when unchanged)
    /** After a revoke: the closed connections leave the list at once (frames follow). */
    revoked: function (ctx, ids) {
      ids.forEach(function (id) { changed(ctx, { change: "revoked", device: devices.get(id) || { connection_id: id } }); });
    },
    name: name,
  };
})(window);
