// The patient's follow-up check-in page, offline-first like the diary (offline-queue.js);
// without JavaScript the form still posts normally.
(function () {
  "use strict";
  var form = document.querySelector("form.checkin-form[data-api]");
  OfflineQueue.registerWorker(form, "/f/");
  OfflineQueue.offerPushReminders();
  if (!OfflineQueue.supported(form)) { return; }

  var apart = form.dataset.apart === "true";

  function checked(name) {
    var input = form.querySelector("input[name=" + name + "]:checked");
    return input ? input.value : null;
  }
  function check(name, value) {
    Array.prototype.forEach.call(form.querySelectorAll("input[name=" + name + "]"), function (box) {
      box.checked = value !== null && value !== undefined && box.value === String(value);
    });
  }

  function describe(item) {
    var body = item.body;
    var pain = apart ? body.pain_left + "/10 · " + body.pain_right + "/10" : body.pain + "/10";
    return form.dataset.painWord + " " + pain + " · " + form.dataset.waiting;
  }

  function fill(refused) {
    var body = refused.body;
    check("pain", body.pain);
    check("pain_left", body.pain_left);
    check("pain_right", body.pain_right);
    check("pgic", body.pgic);
    check("new_treatment", body.new_treatment === true ? "yes" : body.new_treatment === false ? "no" : null);
    var relief = form.querySelector("[name=relief_pct]");
    if (relief) { relief.value = body.relief_pct === undefined ? "" : body.relief_pct; }
  }

  function read(event) {
    var body = { client_id: OfflineQueue.newId(), made_at: new Date().toISOString() };
    if (apart) {
      body.pain_left = checked("pain_left");
      body.pain_right = checked("pain_right");
      if (body.pain_left === null || body.pain_right === null) { return null; }  // the server explains
      body.pain_left = Number(body.pain_left);
      body.pain_right = Number(body.pain_right);
    } else {
      body.pain = checked("pain");
      if (body.pain === null) { return null; }
      body.pain = Number(body.pain);
    }
    event.preventDefault();
    var relief = form.querySelector("[name=relief_pct]");
    if (relief && relief.value !== "") { body.relief_pct = Number(relief.value); }
    var pgic = checked("pgic");
    if (pgic !== null) { body.pgic = Number(pgic); }
    var treatment = checked("new_treatment");
    if (treatment !== null) { body.new_treatment = treatment === "yes"; }
    return { body: body };
  }

  OfflineQueue.start({
    form: form,
    key: "block-diary-followup:" + form.dataset.followup,
    anchor: "checkins",
    describe: describe,
    fill: fill,
    read: read
  });
})();
