// The patient's follow-up check-in page, offline-first like the diary: a check-in is kept
// on the phone at once and sent (with its own id, so a resend is stored once) whenever
// the connection allows. Without JavaScript the form still posts normally.
(function () {
  "use strict";
  var form = document.querySelector("form.checkin-form[data-api]");
  if (form && "serviceWorker" in navigator) {
    navigator.serviceWorker.register(form.dataset.worker, { scope: "/f/" })
      .catch(function () { /* the page still works online */ });
  }
  offerPushReminders();
  var pendingBox = document.getElementById("pending");
  var pendingList = document.getElementById("pending-list");
  if (!form || !window.fetch || !window.localStorage || !window.JSON) { return; }

  var api = form.dataset.api;
  var apart = form.dataset.apart === "true";
  var fieldMessages = JSON.parse(form.dataset.fieldMessages || "{}");
  var key = "block-diary-followup:" + form.dataset.followup;
  var refusedKey = key + ":refused";
  var refusedBox = document.getElementById("refused");
  var refusedReason = document.getElementById("refused-reason");
  var status = document.getElementById("send-status");
  var send = form.querySelector("button[type=submit]");
  var sending = false;
  var sentSomething = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(key)) || []; } catch (e) { return []; }
  }
  function store(queue) { localStorage.setItem(key, JSON.stringify(queue)); }
  function say(message) { if (status) { status.textContent = message; } }
  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID().replace(/-/g, ""); }
    var id = "";
    for (var i = 0; i < 32; i++) { id += Math.floor(Math.random() * 16).toString(16); }
    return id;
  }
  function checked(name) {
    var input = form.querySelector("input[name=" + name + "]:checked");
    return input ? input.value : null;
  }
  function check(name, value) {
    Array.prototype.forEach.call(form.querySelectorAll("input[name=" + name + "]"), function (box) {
      box.checked = value !== null && value !== undefined && box.value === String(value);
    });
  }

  function painText(body) {
    if (apart) { return body.pain_left + "/10 · " + body.pain_right + "/10"; }
    return body.pain + "/10";
  }
  function render() {
    var queue = load();
    pendingList.textContent = "";
    queue.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = form.dataset.painWord + " " + painText(item.body) + " · " + form.dataset.waiting;
      pendingList.appendChild(li);
    });
    pendingBox.hidden = queue.length === 0;
  }
  function drop(id) { store(load().filter(function (item) { return item.id !== id; })); }

  // A check-in the server refused goes back into the form with the reason, to be
  // corrected and sent again, or discarded; it is kept across reloads until then.
  function refuse(item, reason) {
    drop(item.id);
    localStorage.setItem(refusedKey, JSON.stringify({ body: item.body, reason: reason }));
    showRefused();
  }
  function showRefused() {
    var refused = null;
    try { refused = JSON.parse(localStorage.getItem(refusedKey)); } catch (e) { refused = null; }
    refusedBox.hidden = !refused;
    if (!refused) { return; }
    refusedReason.textContent = refused.reason;
    var body = refused.body;
    check("pain", body.pain);
    check("pain_left", body.pain_left);
    check("pain_right", body.pain_right);
    check("pgic", body.pgic);
    check("new_treatment", body.new_treatment === true ? "yes" : body.new_treatment === false ? "no" : null);
    var relief = form.querySelector("[name=relief_pct]");
    if (relief) { relief.value = body.relief_pct === undefined ? "" : body.relief_pct; }
    say("");
  }
  function reasonFor(response, problem) {
    if (response.status === 410) { return form.dataset.closed; }
    var field = problem.errors ? Object.keys(problem.errors)[0] : null;
    return (field && fieldMessages[field]) || (field && problem.errors[field]) ||
      problem.detail || form.dataset.refused;
  }

  // Send is off while a check-in is on its way (and while the page reloads after it).
  function busy(on) { sending = on; send.disabled = on; }
  function flush() {
    var queue = load();
    if (sending || queue.length === 0) {
      if (!sending && sentSomething) {
        send.disabled = true;
        sessionStorage.setItem(key + ":sent", "1");
        window.location.hash = "checkins";
        window.location.reload();
      }
      return;
    }
    busy(true);
    var item = queue[0];
    // A connection that hangs gives Send back after 15 s; the check-in stays queued.
    var stop = window.AbortController && new AbortController();
    if (stop) { window.setTimeout(function () { stop.abort(); }, 15000); }
    fetch(api, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
        "Accept-Language": document.documentElement.lang },
      body: JSON.stringify(item.body),
      credentials: "same-origin",
      signal: stop ? stop.signal : undefined
    }).then(function (response) {
      busy(false);
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
      } else {
        say(form.dataset.offline);
      }
    }).catch(function () {
      busy(false);
      say(form.dataset.offline);
    });
  }

  // A score left out, said beside its scale as the server would (which is not asked).
  function showMissing(names) {
    Array.prototype.forEach.call(form.querySelectorAll(".field-error"), function (p) {
      p.parentNode.classList.remove("has-error");
      p.parentNode.removeAttribute("aria-describedby");
      p.remove();
    });
    names.forEach(function (name) {
      var group = form.querySelector("input[name=" + name + "]").closest("fieldset");
      var p = document.createElement("p");
      p.className = "field-error";
      p.id = name + "-error";
      p.textContent = fieldMessages[name];
      group.classList.add("has-error");
      group.setAttribute("aria-describedby", p.id);
      group.appendChild(p);
    });
    var first = form.querySelector(".field-error");
    if (first) {
      first.parentNode.tabIndex = -1;
      first.parentNode.focus({ preventScroll: true });
      first.parentNode.scrollIntoView({ block: "center" });
    }
  }

  form.addEventListener("submit", function (event) {
    // With this script running the phone's queue is the only sender: a second tap while
    // a check-in is sent, or a tap with no score, never posts the form as well.
    event.preventDefault();
    if (send.disabled) { return; }
    var body = { client_id: newId(), made_at: new Date().toISOString() };
    var names = apart ? ["pain_left", "pain_right"] : ["pain"];
    var missing = names.filter(function (name) { return checked(name) === null; });
    showMissing(missing);
    if (missing.length) { return; }
    names.forEach(function (name) { body[name] = Number(checked(name)); });
    var relief = form.querySelector("[name=relief_pct]");
    if (relief && relief.value !== "") { body.relief_pct = Number(relief.value); }
    var pgic = checked("pgic");
    if (pgic !== null) { body.pgic = Number(pgic); }
    var treatment = checked("new_treatment");
    if (treatment !== null) { body.new_treatment = treatment === "yes"; }
    var queue = load();
    queue.push({ id: body.client_id, body: body });
    store(queue);
    localStorage.removeItem(refusedKey);
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
  showRefused();
  form.dataset.ready = "true";  // check-ins now go through the phone's queue
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
