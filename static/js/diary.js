// The diary page, offline-first: a score is kept on the phone at once and sent (with its
// own id: a resend is stored once) when it can be. Without script the form posts.
(function () {
"use strict";
var form = document.querySelector("form.entry-form[data-api]");
if (form && "serviceWorker" in navigator) {
  navigator.serviceWorker.register(form.dataset.worker, { scope: "/d/" })
    .catch(function () { /* the page still works online */ });
}
offerPushReminders();
showFirstProblem();
if (!form || !window.fetch || !window.localStorage || !window.JSON) { return; }

var api = form.dataset.api;
var tz = form.dataset.tz;
var fieldMessages = JSON.parse(form.dataset.fieldMessages || "{}");
// Scored left and right apart: a score per side ({"pain_left": "Left", ...}).
var sides = form.dataset.sides ? JSON.parse(form.dataset.sides) : null;
var scoreNames = sides ? Object.keys(sides) : ["pain"];
var key = "block-diary-queue:" + form.dataset.diary;
var refusedKey = key + ":refused";
var pendingBox = document.getElementById("pending");
var pendingList = document.getElementById("pending-list");
var refusedBox = document.getElementById("refused");
var refusedReason = document.getElementById("refused-reason");
var status = document.getElementById("send-status");
var save = form.querySelector(".save");
var sending = false;
var sentSomething = false;

function load() {
  try { return JSON.parse(localStorage.getItem(key)) || []; } catch (e) { return []; }
}
function store(queue) { localStorage.setItem(key, JSON.stringify(queue)); }
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
function newId() {
  if (window.crypto && crypto.randomUUID) { return crypto.randomUUID().replace(/-/g, ""); }
  var id = "";
  for (var i = 0; i < 32; i++) { id += Math.floor(Math.random() * 16).toString(16); }
  return id;
}
function say(message) { if (status) { status.textContent = message; } }

function render() {
  var queue = load();
  pendingList.textContent = "";
  queue.forEach(function (item) {
    var li = document.createElement("li");
    var scores = scoreNames.map(function (name) {
      return (sides ? sides[name] : form.dataset.painWord) + " " + item.body[name] + "/10";
    });
    li.textContent = clinicClock(new Date(item.body.recorded_at)) + " · " +
      scores.join(" · ") + " · " + form.dataset.waiting;
    pendingList.appendChild(li);
  });
  pendingBox.hidden = queue.length === 0;
}

function drop(id) {
  store(load().filter(function (item) { return item.id !== id; }));
}

// A refused score is not lost: back in the form with the reason, kept across reloads.
function refuse(item, reason) {
  drop(item.id);
  localStorage.setItem(refusedKey, JSON.stringify({
    body: item.body, earlier: item.earlier, reason: reason
  }));
  showRefused();
}
function loadRefused() {
  try { return JSON.parse(localStorage.getItem(refusedKey)); } catch (e) { return null; }
}
function showRefused() {
  var refused = loadRefused();
  refusedBox.hidden = !refused;
  if (!refused) { return; }
  refusedReason.textContent = refused.reason;
  var body = refused.body;
  scoreNames.forEach(function (name) {
    var pain = form.querySelector("input[name=" + name + "][value='" + body[name] + "']");
    if (pain) { pain.checked = true; }
  });
  setValue("relief_pct", body.relief_pct);
  setValue("note", body.note);
  setValue("side_effect_note", body.side_effect_note);
  [].forEach.call(form.querySelectorAll("[name=side_effects]"), function (box) {
    box.checked = (body.side_effects || []).indexOf(box.value) >= 0;
  });
  setValue("recorded_at", refused.earlier ? clinicWall(new Date(body.recorded_at)) : "");
  var activity = form.querySelector("[name=activity]");
  var known = activity && [].some.call(activity.options, function (option) {
    return option.value === body.activity;
  });
  if (activity) { activity.value = known ? body.activity : (body.activity ? "__other__" : ""); }
  setValue("activity_other", known ? "" : body.activity);
  var details = form.querySelector("details.optional");
  if (details && (body.relief_pct !== undefined || body.note || body.activity ||
      body.side_effects || refused.earlier)) {
    details.open = true;
  }
  say("");
}
function setValue(name, value) {
  var input = form.querySelector("[name=" + name + "]");
  if (input) { input.value = value === undefined || value === null ? "" : value; }
}
function reasonFor(response, problem) {
  if (response.status === 410) { return form.dataset.closed; }
  var field = problem.errors ? Object.keys(problem.errors)[0] : null;
  // The page's words for a value out of range, else the server's (in the page's language).
  return (field && fieldMessages[field]) || (field && problem.errors[field]) ||
    problem.detail || form.dataset.refused;
}

function flush() {
  var queue = load();
  if (sending || queue.length === 0) {
    if (!sending && sentSomething) {
      // Show the server's list, which now holds what was sent.
      save.disabled = true;
      sessionStorage.setItem(key + ":sent", "1");
      window.location.hash = "entries";
      window.location.reload();
    }
    return;
  }
  sending = save.disabled = true;  // no second tap meanwhile
  var item = queue[0];
  fetch(api, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Accept": "application/json",
      "Accept-Language": document.documentElement.lang },
    body: JSON.stringify(item.body),
    credentials: "same-origin"
  }).then(function (response) {
    sending = save.disabled = false;
    if (response.status === 200 || response.status === 201) {
      drop(item.id);
      sentSomething = true;
      render();
      flush();
    } else if (response.status >= 400 && response.status < 500 && response.status !== 429) {
      return response.json().catch(function () { return {}; }).then(function (problem) {
        refuse(item, reasonFor(response, problem));
        render();
        flush();
      });
    } else {  // busy or unreachable: kept, and sent again later
      say(form.dataset.offline);
    }
  }).catch(function () {
    sending = save.disabled = false;
    say(form.dataset.offline);
  });
}

// Said beside each scale left out, as by the server.
function showMissing(picked) {
  scoreNames.forEach(function (name, i) {
    var g = form.querySelector("[name=" + name + "]").closest("fieldset");
    var p = g.querySelector(".field-error");
    if (p) { p.remove(); }
    g.removeAttribute("aria-describedby");
    if (picked[i]) { return; }
    p = g.appendChild(document.createElement("p"));
    p.className = "field-error";
    p.textContent = fieldMessages[name];
    g.setAttribute("aria-describedby", p.id = name + "-error");
  });
  showFirstProblem();
}

form.addEventListener("submit", function (event) {
  event.preventDefault();  // the queue is the only sender
  if (save.disabled) { return; }
  var picked = scoreNames.map(function (name) {
    return form.querySelector("input[name=" + name + "]:checked");
  });
  if (picked.indexOf(null) >= 0) { showMissing(picked); return; }
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
    return;
  }
  var body = {
    client_id: newId(),
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
  var queue = load();
  queue.push({ id: body.client_id, body: body, earlier: Boolean(earlierAt) });
  store(queue);
  showMissing(picked);  // clears what was said
  localStorage.removeItem(refusedKey);  // sent again as corrected
  refusedBox.hidden = true;
  form.reset();
  render();
  say(form.dataset.saved);
  flush();
});

if (sessionStorage.getItem(key + ":sent")) {
  sessionStorage.removeItem(key + ":sent");
  say(form.dataset.sent);
}
document.getElementById("discard").addEventListener("click", function () {
  localStorage.removeItem(refusedKey);
  form.reset();
  refusedBox.hidden = true;
});
// Queues kept by an earlier version of this page marked refusals in place.
load().forEach(function (item) { if (item.error) { refuse(item, item.error); } });
showRefused();
form.dataset.ready = "true";  // entries now go through the phone's queue
window.addEventListener("online", flush);
window.setInterval(flush, 15000);
render();
flush();

// Web Push, where the phone's browser offers it; the calendar file works everywhere.
function offerPushReminders() {
  var button = document.getElementById("push-button");
  if (!button || !("PushManager" in window) || !("Notification" in window) ||
      !("serviceWorker" in navigator)) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { return null; }
      return navigator.serviceWorker.ready.then(function (registration) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: base64UrlToBytes(button.dataset.key)
        });
      }).then(function (subscription) {
        return fetch(button.dataset.api, {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify(subscription)
        });
      }).then(function (response) {
        if (response.ok) { button.textContent = button.dataset.done; button.disabled = true; }
      });
    }).catch(function () { /* reminders stay available through the calendar file */ });
  });
}

function base64UrlToBytes(text) {
  var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  var raw = atob(padded), bytes = new Uint8Array(raw.length);
  for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
  return bytes;
}
// A post refused without script: go to the first message.
function showFirstProblem() {
  var m = document.querySelector(".field-error"), g = m && (m.closest("fieldset") || m);
  if (!g) { return; }
  g.tabIndex = -1;
  g.focus({ preventScroll: true });
  g.scrollIntoView({ block: "center" });
}
})();
