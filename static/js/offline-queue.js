// The diary's and the follow-up's offline queue: each score is kept on the phone at once
// and sent to the API (with its own id: a resend is stored once) when the connection
// allows; a refused one goes back into the form with the reason. The page's own script
// (diary.js, followup.js) says how its form reads and fills.
var OfflineQueue = (function () {
  "use strict";

  // The service worker keeps the page and its assets for use offline.
  function registerWorker(form, scope) {
    if (form && "serviceWorker" in navigator) {
      navigator.serviceWorker.register(form.dataset.worker, { scope: scope })
        .catch(function () { /* the page still works online */ });
    }
  }

  function supported(form) {
    return Boolean(form && window.fetch && window.localStorage && window.JSON);
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID().replace(/-/g, ""); }
    var id = "";
    for (var i = 0; i < 32; i++) { id += Math.floor(Math.random() * 16).toString(16); }
    return id;
  }

  // page: form, key (in localStorage), anchor (of the list, shown once all is sent),
  // describe(item) (a waiting one's line), fill(refused), read(event, say) ({body,
  // earlier}, or null: then the form posts itself unless read stopped it).
  function start(page) {
    var form = page.form;
    var api = form.dataset.api;
    var fieldMessages = JSON.parse(form.dataset.fieldMessages || "{}");
    var key = page.key;
    var refusedKey = key + ":refused";
    var pendingBox = document.getElementById("pending");
    var pendingList = document.getElementById("pending-list");
    var refusedBox = document.getElementById("refused");
    var refusedReason = document.getElementById("refused-reason");
    var status = document.getElementById("send-status");
    var sending = false;
    var sentSomething = false;

    function load() {
      try { return JSON.parse(localStorage.getItem(key)) || []; } catch (e) { return []; }
    }
    function store(queue) { localStorage.setItem(key, JSON.stringify(queue)); }
    function say(message) { if (status) { status.textContent = message; } }

    function render() {
      var queue = load();
      pendingList.textContent = "";
      queue.forEach(function (item) {
        var li = document.createElement("li");
        li.textContent = page.describe(item);
        pendingList.appendChild(li);
      });
      pendingBox.hidden = queue.length === 0;
    }

    function drop(id) {
      store(load().filter(function (item) { return item.id !== id; }));
    }

    // A refused one is not lost: back in the form with the reason, kept across reloads.
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
      page.fill(refused);
      say("");
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
          sessionStorage.setItem(key + ":sent", "1");
          window.location.hash = page.anchor;
          window.location.reload();
        }
        return;
      }
      sending = true;
      var item = queue[0];
      fetch(api, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json",
          "Accept-Language": document.documentElement.lang },
        body: JSON.stringify(item.body),
        credentials: "same-origin"
      }).then(function (response) {
        sending = false;
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
        sending = false;
        say(form.dataset.offline);
      });
    }

    form.addEventListener("submit", function (event) {
      var read = page.read(event, say);
      if (!read) { return; }
      var queue = load();
      queue.push({ id: read.body.client_id, body: read.body, earlier: read.earlier });
      store(queue);
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
    // Queues kept by an earlier version of the diary page marked refusals in place.
    load().forEach(function (item) { if (item.error) { refuse(item, item.error); } });
    showRefused();
    form.dataset.ready = "true";  // entries now go through the phone's queue
    window.addEventListener("online", flush);
    window.setInterval(flush, 15000);
    render();
    flush();
  }

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

  return {
    registerWorker: registerWorker,
    supported: supported,
    newId: newId,
    start: start,
    offerPushReminders: offerPushReminders
  };
})();
