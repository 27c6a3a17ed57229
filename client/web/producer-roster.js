/*
 * producer-roster.js: stations and talent, created and edited with `station.put` and
 * `talent.put`. An edit carries the version it was loaded at; when someone else saved
 * first, the form keeps the producer's values, names what the server now holds, and the
 * next Save re-applies them on purpose (nothing is silently overwritten or dropped).
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var P = M.Producer;
  var KINDS = {
    station: { prefix: "st", fields: ["name", "kind", "location"], list: "station-list" },
    talent: { prefix: "t", fields: ["name", "number", "team", "position"], list: "talent-list" },
  };

  function byId(id) {
    return global.document.getElementById(id);
  }

  function field(type, name) {
    return byId(type + "-" + name);
  }

  function showError(type, text) {
    var el = byId(type + "-error");
    el.textContent = text;
    el.hidden = !text;
  }

  function load(type, item) {
    field(type, "id").value = item ? item.id : "";
    field(type, "id").readOnly = !!item;
    field(type, "version").value = item ? String(item.version) : "";
    KINDS[type].fields.forEach(function (name) {
      field(type, name).value = item ? item[name] || (name === "kind" ? "interview" : "") : name === "kind" ? "interview" : "";
    });
    showError(type, "");
  }

  function init(ctx) {
    Object.keys(KINDS).forEach(function (type) {
      var form = byId(type + "-form");
      form.addEventListener("reset", function (event) {
        event.preventDefault();
        load(type, null);
        field(type, "name").focus();
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        save(ctx, type);
      });
    });
  }

  function save(ctx, type) {
    var spec = KINDS[type];
    var item = { id: field(type, "id").value.trim() || ctx.newId(spec.prefix) };
    spec.fields.forEach(function (name) {
      var value = field(type, name).value.trim();
      if (value || name === "name") item[name] = value;
    });
    if (!item.name) {
      showError(type, "Give a name.");
      return;
    }
    var fields = { action: type + ".put" };
    fields[type] = item;
    var version = Number(field(type, "version").value);
    if (version > 0) fields.version = version;
    showError(type, "");
    ctx.write(type + "#" + item.id, fields).then(
      function () { load(type, null); },
      function (error) {
        if (error && error.code === "conflict" && error.current) {
          // Keep the producer's values; the next Save is a deliberate re-apply over theirs.
          field(type, "id").value = item.id;
          field(type, "id").readOnly = true;
          field(type, "version").value = String(error.current.version);
          var theirs = spec.fields.map(function (name) { return name + ": " + (error.current[name] || "—"); }).join(", ");
          showError(type, "Someone else saved this meanwhile (" + theirs + "). Your values are still in the form: Save again to re-apply them, or New to drop them.");
        } else if (error && error.code !== "pending") {
          showError(type, ctx.refusal(error));
        }
      }
    );
  }

  function render(ctx) {
    var h = ctx.h;
    Object.keys(KINDS).forEach(function (type) {
      var items = type === "station" ? ctx.stations() : ctx.talents();
      var rows = items.map(function (item) {
        var meta = type === "station" ? [item.kind, item.location] : [item.team, item.position];
        return h(
          "li",
          { "data-id": item.id },
          h("span", null, type === "talent" ? ctx.talentLabel(item.id) : item.name, h("span", { class: "muted" }, " " + meta.filter(Boolean).join(" · "))),
          h("button", {
            type: "button",
            class: "btn btn-small",
            "data-focus-key": "edit-" + type + "-" + item.id,
            "aria-label": "Edit " + item.name,
            onclick: function () {
              load(type, ctx.mirror.get(type, item.id) || item);
              field(type, "name").focus();
            },
          }, "Edit")
        );
      });
      if (!rows.length) rows = [h("li", { class: "empty" }, "None yet.")];
      var list = byId(KINDS[type].list);
      list.replaceChildren.apply(list, rows);
    });
  }

  P.roster = { init: init, render: render };
})(window);
