/*
 * producer-revoke.js: the confirmation before `revoke` (docs/protocol.md, "Revocation").
 * A stolen tablet and a person who must lose access are different cases, so the dialog
 * makes the producer choose: only this device's token (the same subject's other devices
 * stay connected), or every token naming the subject on this media day. Optionally
 * until a venue time; by default for good. Nothing is sent until "Revoke" is pressed.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var P = M.Producer;
  var els = null;
  var target = null; // the device the dialog is about

  function byId(id) {
    return global.document.getElementById(id);
  }

  function showError(text) {
    els.error.textContent = text;
    els.error.hidden = !text;
  }

  function init(ctx) {
    els = {
      dialog: byId("revoke-dialog"),
      form: byId("revoke-form"),
      what: byId("revoke-what"),
      subjects: global.document.querySelectorAll(".revoke-subject"),
      bySubject: byId("revoke-by-subject"),
      byToken: byId("revoke-by-token"),
      until: byId("revoke-until"),
      error: byId("revoke-error"),
      confirm: byId("revoke-confirm"),
    };
    byId("revoke-cancel").addEventListener("click", function () { els.dialog.close(); });
    els.form.addEventListener("submit", function (event) {
      event.preventDefault();
      send(ctx);
    });
  }

  /** Open the dialog for `device`; the token choice is the default (the narrower one). */
  function ask(ctx, device) {
    target = device;
    var own = (ctx.client.claims || {}).sub;
    els.what.textContent = P.devices.name(device) + " — " + device.role + (device.station ? " at " + M.stationName(ctx.mirror, device.station) : "") + ", subject “" + device.subject + "”.";
    Array.prototype.forEach.call(els.subjects, function (el) { el.textContent = "“" + device.subject + "”"; });
    els.byToken.checked = true;
    // A producer cannot shut its own subject out (the server says `invalid`).
    els.bySubject.disabled = !device.subject || device.subject === own;
    els.until.value = "";
    els.confirm.disabled = false;
    showError("");
    els.dialog.showModal();
    els.byToken.focus();
  }

  function send(ctx) {
    var fields = { action: "revoke" };
    if (els.bySubject.checked) fields.subject = target.subject;
    else if (target.token_id) fields.token_id = target.token_id;
    else fields.connection_id = target.connection_id;
    if (els.until.value) {
      var until = P.time.atWallTime(ctx.now(), els.until.value);
      if (!(until > ctx.now())) {
        showError("Until " + els.until.value + " has already passed on the venue clock: choose a later time, or leave it empty to revoke for good.");
        return;
      }
      fields.until = P.time.iso(until);
    }
    showError("");
    els.confirm.disabled = true;
    var device = target;
    ctx.write("revoke#" + device.connection_id, fields).then(
      function (ack) {
        var closed = (ack.item && ack.item.closed) || [];
        els.dialog.close();
        P.devices.revoked(ctx, closed);
        byId("announce").textContent = "Revoked " + (fields.subject ? "subject " + fields.subject : P.devices.name(device)) + ": " + closed.length + (closed.length === 1 ? " connection" : " connections") + " closed.";
        byId("devices-outcome").textContent = byId("announce").textContent;
      },
      function (error) {
        els.confirm.disabled = false;
        if (error && error.code !== "pending") showError("Not revoked: " + ctx.refusal(error));
      }
    );
  }

  P.revoke = { init: init, ask: ask };
})(window);
