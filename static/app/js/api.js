/* The API client of the citizen pages: session storage, bearer calls with one shared token
 * refresh, problems as ApiError (Chinese .detail), WeChat login and logout. Extends
 * window.BDC (dom.js loads first). */
(function () {
  "use strict";

  var B = window.BDC;
  var h = B.h;
  var clear = B.clear;
  var append = B.append;
  var toast = B.toast;
  var AUTH_KEY = "bdc.auth";
  var REFRESH_MARGIN_MS = 30 * 1000;
  var LOGIN_CODES = ["login_required", "token_expired", "token_invalid", "token_revoked"];

  // ---- storage ---------------------------------------------------------------------------------

  function storageGet(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (e) {
      return null;
    }
  }

  function storageSet(key, value) {
    try {
      if (value === null) {
        window.localStorage.removeItem(key);
      } else {
        window.localStorage.setItem(key, value);
      }
    } catch (e) {
      /* private mode: the session simply does not persist */
    }
  }

  function getAuth() {
    var raw = storageGet(AUTH_KEY);
    if (!raw) return null;
    try {
      var auth = JSON.parse(raw);
      return auth && auth.access_token ? auth : null;
    } catch (e) {
      return null;
    }
  }

  function saveAuth(answer) {
    var auth = {
      access_token: answer.access_token,
      refresh_token: answer.refresh_token,
      expires_at: Date.now() + (Number(answer.expires_in) || 900) * 1000,
    };
    storageSet(AUTH_KEY, JSON.stringify(auth));
    return auth;
  }

  function clearAuth() {
    storageSet(AUTH_KEY, null);
  }

  // ---- API client ------------------------------------------------------------------------------

  function ApiError(status, code, detail, errors) {
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.message = detail;
    this.errors = errors || null;
  }
  ApiError.prototype = Object.create(Error.prototype);
  ApiError.prototype.constructor = ApiError;

  function readProblem(response) {
    return response
      .json()
      .catch(function () {
        return {};
      })
      .then(function (body) {
        var detail = body.detail || body.title || defaultDetail(response.status);
        var error = new ApiError(response.status, body.code || "http_" + response.status, detail, body.errors);
        var wait = Number(response.headers.get("Retry-After"));
        error.retryAfter = wait > 0 ? wait : null; // seconds, on a 429
        return error;
      });
  }

  function defaultDetail(status) {
    if (status === 401) return "请先登录";
    if (status === 403) return "没有权限进行此操作";
    if (status === 404) return "未找到您要访问的内容";
    if (status === 413) return "上传内容超过大小限制";
    if (status === 429) return "操作过于频繁，请稍后再试";
    return "系统繁忙，请稍后再试";
  }

  var refreshing = null;

  /* Exchange the refresh token once for everybody waiting; resolves true when renewed. */
  function refreshTokens() {
    if (refreshing) return refreshing;
    var auth = getAuth();
    if (!auth || !auth.refresh_token) return Promise.resolve(false);
    refreshing = fetch("/api/v1/auth/refresh", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ refresh_token: auth.refresh_token }),
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (response) {
        if (!response.ok) {
          // Only a refused refresh token ends the session; a network or server hiccup does not.
          if (response.status === 400 || response.status === 401 || response.status === 422) {
            clearAuth();
          }
          return false;
        }
        return response.json().then(function (answer) {
          saveAuth(answer);
          return true;
        });
      })
      .catch(function () {
        return false;
      })
      .then(function (ok) {
        refreshing = null;
        return ok;
      });
    return refreshing;
  }

  /* api("GET", "/api/v1/me") → parsed JSON; throws ApiError (with Chinese .detail). */
  function api(method, path, body, options) {
    options = options || {};
    var useAuth = options.auth !== false;
    var auth = useAuth ? getAuth() : null;
    if (useAuth && !auth && !options.optionalAuth) {
      return Promise.reject(new ApiError(401, "login_required", "请先登录"));
    }
    var before = Promise.resolve();
    if (auth && auth.expires_at && auth.expires_at - REFRESH_MARGIN_MS < Date.now()) {
      before = refreshTokens();
    }
    return before.then(function () {
      var headers = { Accept: "application/json, application/problem+json" };
      var payload;
      if (body instanceof FormData) {
        payload = body;
      } else if (body !== undefined && body !== null) {
        headers["Content-Type"] = "application/json";
        payload = JSON.stringify(body);
      }
      var current = useAuth ? getAuth() : null;
      if (current) headers.Authorization = "Bearer " + current.access_token;
      return fetch(path, {
        method: method,
        headers: headers,
        body: payload,
        credentials: "same-origin",
        cache: "no-store",
      }).then(
        function (response) {
          if (response.ok) {
            if (response.status === 204) return null;
            return response.json();
          }
          return readProblem(response).then(function (problem) {
            if (response.status === 401 && current) {
              if (problem.code === "token_expired" && !options.retried) {
                return refreshTokens().then(function (renewed) {
                  if (renewed) {
                    return api(method, path, body, Object.assign({}, options, { retried: true }));
                  }
                  clearAuth();
                  throw problem;
                });
              }
              if (LOGIN_CODES.indexOf(problem.code) >= 0) clearAuth();
            }
            throw problem;
          });
        },
        function () {
          throw new ApiError(0, "network_error", "网络连接失败，请检查网络后重试");
        }
      );
    });
  }

  // ---- login -----------------------------------------------------------------------------------

  function currentPath() {
    return location.pathname + location.search;
  }

  /* Only our own pages are acceptable targets after login (no open redirect). */
  function safeNext(next, fallback) {
    fallback = fallback || "/app/index.html";
    if (typeof next !== "string") return fallback;
    if (!/^\/(app|v)\//.test(next)) return fallback;
    if (/[\\\s]|\/\/|\.\./.test(next)) return fallback;
    return next;
  }

  function login(next) {
    var target = safeNext(next || currentPath());
    location.href = "/api/v1/auth/wechat/authorize?next=" + encodeURIComponent(target);
  }

  function logout() {
    var auth = getAuth();
    var done = function () {
      clearAuth();
    };
    if (!auth) return Promise.resolve(done());
    // The server revokes the access token and its whole refresh-token family.
    return api("POST", "/api/v1/auth/logout").then(done, done);
  }

  function isLoggedIn() {
    return !!getAuth();
  }

  function inWeChat() {
    return /MicroMessenger/i.test(navigator.userAgent);
  }

  /* Replace `container` with a login prompt. Inside WeChat the (silent) authorisation
   * starts by itself once per page, elsewhere the citizen presses the button. */
  function showLogin(container, message) {
    clear(container);
    append(
      container,
      h(
        "div",
        { class: "login-panel" },
        h("p", { text: message || "请先使用微信登录，再查看本人的不动产信息。" }),
        h("button", {
          type: "button",
          class: "btn btn_primary",
          text: "微信授权登录",
          onclick: function () {
            login();
          },
        })
      )
    );
    var flag = "bdc.autologin:" + location.pathname;
    if (inWeChat() && !sessionFlag(flag)) {
      sessionFlag(flag, true);
      login();
    }
  }

  /* Replace `container` with one tappable cell saying `text` that starts the login (the
   * lists of 我的办件 and 我的交房即交证). */
  function showLoginCell(container, text) {
    clear(container);
    append(
      container,
      h(
        "div",
        { class: "cells" },
        h(
          "button",
          {
            type: "button",
            class: "cell cell_access cell_button",
            onclick: function () {
              B.login();
            },
          },
          h("span", { class: "cell__bd", text: text })
        )
      )
    );
  }

  function sessionFlag(key, value) {
    try {
      if (value === undefined) return window.sessionStorage.getItem(key) === "1";
      window.sessionStorage.setItem(key, "1");
    } catch (e) {
      return false;
    }
    return value;
  }

  function goBind() {
    location.href = "/app/bind.html?next=" + encodeURIComponent(safeNext(currentPath()));
  }

  /* The usual reaction to a failed call: log in again, bind the identity, or say why —
   * in the page with a 重新加载 button when `retry` is given (a list that did not load must
   * never leave a blank page), else in a toast. */
  function handleError(error, container, retry) {
    if (error && error.code === "identity_not_bound") {
      goBind();
      return;
    }
    if (error && error.status === 401 && container) {
      showLogin(container, error.code === "login_required" ? null : error.detail);
      return;
    }
    var detail = (error && error.detail) || "系统繁忙，请稍后再试";
    if (container && retry) {
      B.failure(container, "未能加载：" + detail, retry);
      return;
    }
    toast(detail);
  }


  B.storageGet = storageGet;
  B.storageSet = storageSet;
  B.api = api;
  B.ApiError = ApiError;
  B.getAuth = getAuth;
  B.saveAuth = saveAuth;
  B.clearAuth = clearAuth;
  B.refreshTokens = refreshTokens;
  B.isLoggedIn = isLoggedIn;
  B.login = login;
  B.logout = logout;
  B.showLogin = showLogin;
  B.showLoginCell = showLoginCell;
  B.goBind = goBind;
  B.handleError = handleError;
  B.safeNext = safeNext;
  B.inWeChat = inWeChat;
})();
