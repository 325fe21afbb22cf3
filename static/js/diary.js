// The patient's diary page, offline-first: an entry is kept on the phone at once and sent
// (with its own id, so a resend is stored once) whenever the connection allows.
// Without JavaScript the form still posts normally.
(function () {
  "use strict";
  var form = document.querySelector("form.entry-form[data-api]");
  if (form && "serviceWorker" in navigator) {
    navigator.serviceWorker.register(form.dataset.worker, { scope: "/d/" })
      .catch(function () { /* the page still works online */ });
  }
  offerPushReminders();
  if (!form || !window.fetch || !window.localStorage || !window.JSON) { return; }

  var api = form.dataset.api;
  var key = "block-diary-queue:" + form.dataset.diary;
  var pendingBox = document.getElementById("pending");
  var pendingList = document.getElementById("pending-list");
  var status = document.getElementById("send-status");
  var sending = false;
  var sentSomething = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(key)) || []; } catch (e) { return []; }
  }
  function store(queue) { localStorage.setItem(key, JSON.stringify(queue)); }
  function pad(n) { return String(n).padStart(2, "0"); }
  function isoWithOffset(d) {
    var offset = -d.getTimezoneOffset(), sign = offset >= 0 ? "+" : "-", abs = Math.abs(offset);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
      sign + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }
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
      var when = new Date(item.body.recorded_at);
      li.textContent = pad(when.getHours()) + ":" + pad(when.getMinutes()) + " · Pain " +
        item.body.pain + "/10 · " + (item.error ? item.error : form.dataset.waiting);
      pendingList.appendChild(li);
    });
    pendingBox.hidden = queue.length === 0;
  }

  function drop(id, error) {
    var queue = load().filter(function (item) {
      if (item.id === id && error) { item.error = error; return true; }
      return item.id !== id;
    });
    store(queue);
  }

  function flush() {
    var queue = load().filter(function (item) { return !item.error; });
    if (sending || queue.length === 0) {
      if (!sending && sentSomething) {
        // Show the server's list, which now holds what was sent.
        sessionStorage.setItem(key + ":sent", "1");
        window.location.hash = "entries";
        window.location.reload();
      }
      return;
    }
    sending = true;
    var item = queue[0];
    fetch(api, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(item.body),
      credentials: "same-origin"
    }).then(function (response) {
      sending = false;
      if (response.status === 200 || response.status === 201) {
        drop(item.id);
        sentSomething = true;
        render();
        flush();
      } else if (response.status >= 400 && response.status < 500) {
        return response.json().then(function (problem) {
          var first = problem.errors ? Object.values(problem.errors)[0] : problem.detail;
          drop(item.id, first || problem.detail);
          render();
          flush();
        });
      } else {
        say(form.dataset.offline);
      }
    }).catch(function () {
      sending = false;
      say(form.dataset.offline);
    });
  }

  form.addEventListener("submit", function (event) {
    var pain = form.querySelector("input[name=pain]:checked");
    if (!pain) { return; }  // the server explains what is missing
    event.preventDefault();
    var activity = form.querySelector("[name=activity]");
    var other = form.querySelector("[name=activity_other]");
    var relief = form.querySelector("[name=relief_pct]");
    var note = form.querySelector("[name=note]");
    var earlier = form.querySelector("[name=recorded_at]");
    var chosen = activity && activity.value && activity.value !== "__other__" ? activity.value : "";
    var now = new Date();
    var body = {
      client_id: newId(),
      pain: Number(pain.value),
      recorded_at: isoWithOffset(earlier && earlier.value ? new Date(earlier.value) : now),
      made_at: isoWithOffset(now)
    };
    if (relief && relief.value !== "") { body.relief_pct = Number(relief.value); }
    if (chosen || (other && other.value)) { body.activity = chosen || other.value; }
    if (note && note.value) { body.note = note.value; }
    var queue = load();
    queue.push({ id: body.client_id, body: body });
    store(queue);
    form.reset();
    render();
    say(form.dataset.saved);
    flush();
  });

  if (sessionStorage.getItem(key + ":sent")) {
    sessionStorage.removeItem(key + ":sent");
    say(form.dataset.sent);
  }
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
})();
