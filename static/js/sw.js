/* Service worker (served as /sw.js, scope /): offline verification of QR codes.
 *
 * Keeps the scan page, the JavaScript verifier and the JWK Set, so that a phone in a basement
 * can still check a certificate's signature. The key set is stored with the time it was
 * fetched (header X-Fetched-At, Unix ms) and is fetched again at most once a day, or at once
 * when a verification answer or page carries an X-Keyset-Version other than the stored one
 * (a key rotation or compromise), or when a page asks (header X-Keys-Refresh).
 * Live answers (/api/…, /v/… pages) are never cached: offline, a /v/ link opens the kept scan
 * page, which checks the signature on the phone and says the status could not be checked.
 */
"use strict";

var SHELL = "bdc-verify-shell-v2";
var KEYS = "bdc-verify-keys-v1";
var JWKS_URL = "/.well-known/jwks.json";
var SCAN_PAGE = "/app/scan.html";
var DAY_MS = 24 * 3600 * 1000;
var VERSION_HEADER = "X-Keyset-Version";
var NAVIGATION_TIMEOUT_MS = 6000; // a weak signal: after this, the kept page checks offline
var SHELL_FILES = [
  SCAN_PAGE,
  "/app/css/app.css",
  "/app/js/prefs.js",
  "/app/js/words.js",
  "/app/js/dom.js",
  "/app/js/format.js",
  "/app/js/api.js",
  "/app/js/mode.js",
  "/app/js/common.js",
  "/app/js/verdict.js",
  "/app/js/scan.js",
  "/app/img/icon.png",
  "/static/css/verify.css",
  "/static/js/verify.mjs",
  "/static/js/offline-check.mjs",
  "/static/js/scan-offline.mjs",
  "/static/js/v-page.mjs",
  "/static/vendor/noble-hashes/sha2.js",
  "/static/vendor/noble-hashes/_md.js",
  "/static/vendor/noble-hashes/_u64.js",
  "/static/vendor/noble-hashes/utils.js",
  "/static/vendor/noble-ed25519/index.js",
  "/static/vendor/jsqr/jsQR.js",
];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches
      .open(SHELL)
      .then(function (cache) {
        return cache.addAll(SHELL_FILES);
      })
      .then(function () {
        return refreshKeys();
      })
      .then(function () {
        return self.skipWaiting();
      })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) {
              return name.indexOf("bdc-verify-") === 0 && name !== SHELL && name !== KEYS;
            })
            .map(function (name) {
              return caches.delete(name);
            })
        );
      })
  );
  // No clients.claim(): a page is controlled from its next load on, never half-way through.
});

/* Fetch the key set and keep it with its fetch time; the kept copy when the network fails. */
function refreshKeys() {
  return fetch(JWKS_URL, { cache: "no-store", credentials: "omit" }).then(function (response) {
    if (!response.ok) throw new Error("JWKS HTTP " + response.status);
    return response.text().then(function (body) {
      var headers = new Headers({
        "Content-Type": "application/json",
        "X-Fetched-At": String(Date.now()),
      });
      var version = response.headers.get(VERSION_HEADER);
      if (version) headers.set(VERSION_HEADER, version);
      var kept = new Response(body, { status: 200, headers: headers });
      return caches.open(KEYS).then(function (cache) {
        return cache.put(JWKS_URL, kept.clone()).then(function () {
          return kept;
        });
      });
    });
  });
}

function keptKeys() {
  return caches.open(KEYS).then(function (cache) {
    return cache.match(JWKS_URL);
  });
}

function keys(request) {
  var forced = request.headers.get("X-Keys-Refresh") === "1";
  return keptKeys().then(function (kept) {
    var fetchedAt = kept ? Number(kept.headers.get("X-Fetched-At")) : 0;
    if (kept && !forced && Date.now() - fetchedAt < DAY_MS) return kept;
    return refreshKeys().catch(function (error) {
      if (kept) return kept;
      throw error;
    });
  });
}

/* A verification answer names the key set's version: a different one means new keys now. */
function watchVersion(response) {
  var version = response.headers.get(VERSION_HEADER);
  if (!version) return;
  keptKeys().then(function (kept) {
    if (!kept || kept.headers.get(VERSION_HEADER) !== version) {
      refreshKeys().catch(function () {});
    }
  });
}

/* A live verification answer; without a network a problem marked X-Offline (never cached). */
function liveAnswer(request) {
  return fetch(request)
    .then(function (response) {
      watchVersion(response);
      return response;
    })
    .catch(function () {
      var problem = {
        type: "about:blank",
        title: "Offline",
        status: 503,
        code: "offline",
        detail: "无法连接网络，未能查询现势状态",
      };
      return new Response(JSON.stringify(problem), {
        status: 503,
        headers: { "Content-Type": "application/problem+json", "X-Offline": "1" },
      });
    });
}

function keptShell() {
  return caches.open(SHELL).then(function (cache) {
    return cache.match(SCAN_PAGE);
  });
}

/* A /v/ link: the live page; the kept scan page when the network fails or is too slow. */
function verificationPage(request) {
  return new Promise(function (resolve, reject) {
    var done = false;
    function finish(response) {
      if (!done && response) {
        done = true;
        resolve(response);
      }
      return done;
    }
    var timer = setTimeout(function () {
      keptShell().then(finish);
    }, NAVIGATION_TIMEOUT_MS);
    fetch(request)
      .then(function (response) {
        clearTimeout(timer);
        watchVersion(response);
        finish(response);
      })
      .catch(function (error) {
        clearTimeout(timer);
        keptShell().then(function (kept) {
          if (!finish(kept) && !done) reject(error);
        });
      });
  });
}

function keepFresh(request) {
  // Shell files: from the network when there is one (and kept up to date), else the kept copy.
  return fetch(request)
    .then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        var url = new URL(request.url);
        caches.open(SHELL).then(function (cache) {
          cache.put(url.pathname, copy);
        });
      }
      return response;
    })
    .catch(function (error) {
      return caches.match(request, { ignoreSearch: true }).then(function (kept) {
        if (kept) return kept;
        throw error;
      });
    });
}

self.addEventListener("message", function (event) {
  if (event.data === "refresh-keys") {
    event.waitUntil(refreshKeys().catch(function () {}));
  }
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var path = url.pathname;
  if (path === JWKS_URL) {
    event.respondWith(keys(request));
  } else if (/^\/[vV]\/[^/]+\/?$/.test(path) && request.mode === "navigate") {
    event.respondWith(verificationPage(request));
  } else if (path.indexOf("/api/v1/verify/") === 0) {
    event.respondWith(liveAnswer(request));
  } else if (SHELL_FILES.indexOf(path) >= 0) {
    event.respondWith(keepFresh(request));
  }
});
