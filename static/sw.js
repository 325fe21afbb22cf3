// Service worker of the patient's diary: the page and its assets keep working offline.
// Pages: network first, the last copy when offline. Assets: cached copy, refreshed in the background.
// A diary's copies are forgotten once its link is closed (404, 410) or after 15 days,
// longer than any link lives, so a lent or shared phone does not keep them.
var CACHE = "block-diary-v1";
var PAGE_DAYS = 15;
var ASSETS = ["/static/css/app.css", "/static/js/diary.js", "/static/js/followup.js", "/static/favicon.svg",
              "/static/icons/icon-192.png"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(ASSETS); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function diaryRoot(pathname) {
  return pathname.split("/").slice(0, 3).join("/");  // "/d/<token>"
}

function forgetDiary(root) {
  return caches.open(CACHE).then(function (cache) {
    return cache.keys().then(function (requests) {
      return Promise.all(requests.filter(function (request) {
        var path = new URL(request.url).pathname;
        return path === root || path.indexOf(root + "/") === 0;
      }).map(function (request) { return cache.delete(request); }));
    });
  });
}

function tooOld(response) {
  var sent = Date.parse(response.headers.get("Date") || "");
  return !sent || Date.now() - sent > PAGE_DAYS * 24 * 3600 * 1000;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin ||
      url.pathname.indexOf("/api/") === 0) { return; }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
      } else if (response.status === 404 || response.status === 410) {
        forgetDiary(diaryRoot(url.pathname));
      }
      return response;
    }).catch(function () {
      return caches.match(url.pathname).then(function (cached) {
        if (cached && tooOld(cached)) {
          forgetDiary(diaryRoot(url.pathname));
          cached = null;
        }
        return cached || new Response("You are offline. Open the diary again when you have signal.",
          { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
      });
    }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(request).then(function (cached) {
        var fresh = fetch(request).then(function (response) {
          if (response.ok) { cache.put(request, response.clone()); }
          return response;
        }).catch(function () { return cached; });
        return cached || fresh;
      });
    }));
  }
});

self.addEventListener("push", function (event) {
  var message = { title: "Pain diary", body: "Time to score your pain.", url: "/" };
  try { message = event.data.json(); } catch (e) { /* keep the default text */ }
  event.waitUntil(self.registration.showNotification(message.title, {
    body: message.body, icon: "/static/icons/icon-192.png", data: { url: message.url },
    tag: "pain-diary", renotify: true
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(event.notification.data.url));
});
