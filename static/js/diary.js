// The patient's diary page, offline-first (offline-queue.js); without JavaScript the form
// still posts normally.
(function () {
  "use strict";
  var form = document.querySelector("form.entry-form[data-api]");
  OfflineQueue.registerWorker(form, "/d/");
  OfflineQueue.offerPushReminders();
  showFirstProblem();
  if (!OfflineQueue.supported(form)) { return; }

  var tz = form.dataset.tz;
  // Scored left and right apart: a score per side ({"pain_left": "Left", ...}).
  var sides = form.dataset.sides ? JSON.parse(form.dataset.sides) : null;
  var scoreNames = sides ? Object.keys(sides) : ["pain"];

  function pad(n) { return String(n).padStart(2, "0"); }
  // Times here are the clinic's wall clock, whatever the phone's zone.
  function clinicParts(date) {
    var parts = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit"
    }).formatToParts(date).forEach(function (part) { parts[part.type] = part.value; });
    parts.hour = pad(Number(parts.hour) % 24);
    return parts;
  }
  function clinicWallToDate(value) {  // "2026-11-24T04:17", clinic time
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
    if (!m) { return null; }
    var wall = Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5]), guess = wall;
    for (var i = 0; i < 3; i++) {  // twice settles the offset, a third time a DST edge
      var p = clinicParts(new Date(guess));
      guess += wall - Date.UTC(+p.year, p.month - 1, +p.day, +p.hour, +p.minute);
    }
    return new Date(guess);
  }
  function clinicWall(date) {
    var p = clinicParts(date);
    return p.year + "-" + p.month + "-" + p.day + "T" + p.hour + ":" + p.minute;
  }
  function clinicClock(date) { var p = clinicParts(date); return p.hour + ":" + p.minute; }
  function setValue(name, value) {
    var input = form.querySelector("[name=" + name + "]");
    if (input) { input.value = value === undefined || value === null ? "" : value; }
  }

  function describe(item) {
    var scores = scoreNames.map(function (name) {
      return (sides ? sides[name] : form.dataset.painWord) + " " + item.body[name] + "/10";
    });
    return clinicClock(new Date(item.body.recorded_at)) + " · " +
      scores.join(" · ") + " · " + form.dataset.waiting;
  }

  function fill(refused) {
    var body = refused.body;
    scoreNames.forEach(function (name) {
      var pain = form.querySelector("input[name=" + name + "][value='" + body[name] + "']");
      if (pain) { pain.checked = true; }
    });
    setValue("relief_pct", body.relief_pct);
    setValue("note", body.note);
    setValue("side_effect_note", body.side_effect_note);
    Array.prototype.forEach.call(form.querySelectorAll("[name=side_effects]"), function (box) {
      box.checked = (body.side_effects || []).indexOf(box.value) >= 0;
    });
    setValue("recorded_at", refused.earlier ? clinicWall(new Date(body.recorded_at)) : "");
    var activity = form.querySelector("[name=activity]");
    var known = activity && Array.prototype.some.call(activity.options, function (option) {
      return option.value === body.activity;
    });
    if (activity) { activity.value = known ? body.activity : (body.activity ? "__other__" : ""); }
    setValue("activity_other", known ? "" : body.activity);
    var details = form.querySelector("details.optional");
    if (details && (body.relief_pct !== undefined || body.note || body.activity ||
        body.side_effects || refused.earlier)) {
      details.open = true;
    }
  }

  function read(event, say) {
    var picked = scoreNames.map(function (name) {
      return form.querySelector("input[name=" + name + "]:checked");
    });
    if (picked.indexOf(null) >= 0) { return null; }  // the server explains what is missing
    event.preventDefault();
    var activity = form.querySelector("[name=activity]");
    var other = form.querySelector("[name=activity_other]");
    var relief = form.querySelector("[name=relief_pct]");
    var note = form.querySelector("[name=note]");
    var earlier = form.querySelector("[name=recorded_at]");
    var chosen = activity && activity.value && activity.value !== "__other__" ? activity.value : "";
    var now = new Date();
    var earlierAt = earlier && earlier.value ? clinicWallToDate(earlier.value) : null;
    if (form.dataset.lateTime && !earlierAt) {  // after the window, only with its time
      say(form.dataset.lateTime);
      if (earlier) { earlier.focus(); }
      return null;
    }
    var body = {
      client_id: OfflineQueue.newId(),
      recorded_at: (earlierAt || now).toISOString(),
      made_at: now.toISOString()
    };
    scoreNames.forEach(function (name, i) { body[name] = Number(picked[i].value); });
    if (relief && relief.value !== "") { body.relief_pct = Number(relief.value); }
    if (chosen || (other && other.value)) { body.activity = chosen || other.value; }
    if (note && note.value) { body.note = note.value; }
    var effects = Array.prototype.map.call(
      form.querySelectorAll("[name=side_effects]:checked"), function (box) { return box.value; });
    if (effects.length) { body.side_effects = effects; }
    var effectNote = form.querySelector("[name=side_effect_note]");
    if (effectNote && effectNote.value) { body.side_effect_note = effectNote.value; }
    return { body: body, earlier: Boolean(earlierAt) };
  }

  OfflineQueue.start({
    form: form,
    key: "block-diary-queue:" + form.dataset.diary,
    anchor: "entries",
    describe: describe,
    fill: fill,
    read: read
  });

  // A post refused without script: go to the first message.
  function showFirstProblem() {
    var m = document.querySelector(".field-error"), g = m && (m.closest("fieldset") || m);
    if (!g) { return; }
    g.tabIndex = -1;
    g.focus({ preventScroll: true });
    g.scrollIntoView({ block: "center" });
  }
})();
