/*
 * producer-shots.js: the shot list of one station and athlete: add, edit, reorder (swap
 * positions with the neighbour) and delete, with progress. A station's shots are followed
 * (`shots:<id>`) from the moment it is chosen, so the console carries no shot it never shows.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var P = M.Producer;
  var els = {};
  var editingId = ""; // the shot whose description is in the form ("" : a new one)

  function byId(id) {
    return global.document.getElementById(id);
  }

  function init(ctx) {
    ["shots-station", "shots-talent", "shots-progress", "shot-list", "shot-form", "shot-text", "shot-save", "shot-error"].forEach(function (id) {
      els[id] = byId(id);
    });
    els["shots-station"].addEventListener("change", function () { follow(ctx); ctx.render(); });
    els["shots-talent"].addEventListener("change", function () { ctx.render(); });
    els["shot-form"].addEventListener("submit", function (event) {
      event.preventDefault();
      save(ctx);
    });
  }

  function follow(ctx) {
    var station = els["shots-station"].value;
    if (station) ctx.client.addTopics(["shots:" + station]);
  }

  function showError(text) {
    els["shot-error"].textContent = text;
    els["shot-error"].hidden = !text;
  }

  function shots(ctx) {
    var station = els["shots-station"].value;
    var talent = els["shots-talent"].value;
    return ctx.mirror
      .ofType("shot")
      .filter(function (s) { return s.station_id === station && s.talent_id === talent; })
      .sort(function (a, b) { return a.position - b.position || (a.id < b.id ? -1 : 1); });
  }

  function failed(ctx) {
    return function (error) {
      if (error && error.code !== "pending") showError(error.code === "conflict" ? "Someone else changed this shot meanwhile; the list shows their version. Try again if still needed." : ctx.refusal(error));
    };
  }

  function save(ctx) {
    var text = els["shot-text"].value.trim();
    if (!text) {
      showError("Describe the shot.");
      return;
    }
    showError("");
    var done;
    if (editingId) {
      var shot = ctx.mirror.get("shot", editingId);
      if (!shot) {
        showError("That shot no longer exists.");
        editingId = "";
        return;
      }
      done = ctx.write("shot#" + shot.id, { action: "shot.update", shot_id: shot.id, version: shot.version, changes: { description: text } });
    } else {
      var list = shots(ctx);
      var position = list.length ? list[list.length - 1].position + 1 : 0;
      done = ctx.write("shot#new", {
        action: "shot.add",
        shot: { id: ctx.newId("sh"), station_id: els["shots-station"].value, talent_id: els["shots-talent"].value, description: text, position: position },
      });
    }
    done.then(function () {
      editingId = "";
      els["shot-text"].value = "";
      els["shot-save"].textContent = "Add shot";
    }, failed(ctx));
  }

  /** Swap a shot's position with its neighbour's (two writes; a conflict stops the second). */
  function swap(ctx, a, b) {
    var pa = a.position === b.position ? b.position + 1 : b.position;
    ctx.write("shot#" + a.id, { action: "shot.update", shot_id: a.id, version: a.version, changes: { position: pa } })
      .then(function () {
        return ctx.write("shot#" + b.id, { action: "shot.update", shot_id: b.id, version: b.version, changes: { position: a.position } });
      })
      .catch(failed(ctx));
  }

  function row(ctx, shot, index, list) {
    var h = ctx.h;
    var status = shot.status || "pending";
    function button(label, aria, key, disabled, onclick) {
      return h("button", { type: "button", class: "btn btn-small", "aria-label": aria + ": " + shot.description, "data-focus-key": key + "-" + shot.id, disabled: disabled || ctx.busy.has("shot#" + shot.id), onclick: onclick }, label);
    }
    return h(
      "li",
      { "data-shot-id": shot.id, "data-status": status },
      h("span", { class: "shot-cell" }, h("span", { class: "shot-text" }, shot.description), " ", h("span", { class: "badge badge-shot", "data-state": status }, status)),
      h(
        "span",
        { class: "actions" },
        button("↑", "Move up", "up", index === 0, function () { swap(ctx, shot, list[index - 1]); }),
        button("↓", "Move down", "down", index === list.length - 1, function () { swap(ctx, shot, list[index + 1]); }),
        button("Edit", "Edit", "edit", false, function () {
          editingId = shot.id;
          els["shot-text"].value = shot.description;
          els["shot-save"].textContent = "Save shot";
          els["shot-text"].focus();
        }),
        button("Delete", "Delete", "delete", false, function () {
          ctx.write("shot#" + shot.id, { action: "shot.delete", shot_id: shot.id, version: shot.version }).catch(failed(ctx));
        })
      )
    );
  }

  function render(ctx) {
    var h = ctx.h;
    ctx.fillSelect(els["shots-station"], ctx.stations().map(function (s) { return { value: s.id, label: s.name }; }));
    ctx.fillSelect(els["shots-talent"], ctx.talents().map(function (t) { return { value: t.id, label: ctx.talentLabel(t.id) }; }));
    follow(ctx);
    var list = shots(ctx);
    var done = list.filter(function (s) { return (s.status || "pending") !== "pending"; }).length;
    els["shots-progress"].textContent = done + " of " + list.length + " done";
    var rows = list.map(function (shot, index) { return row(ctx, shot, index, list); });
    if (!rows.length) rows = [h("li", { class: "empty" }, "No shots listed yet.")];
    els["shot-list"].replaceChildren.apply(els["shot-list"], rows);
  }

  P.shots = { init: init, render: render };
})(window);
