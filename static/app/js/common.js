/* Shared helpers for the citizen pages: API client with token refresh, login, toasts,
 * dialogs, the large-type toggle, formatting and the Chinese labels of API codes.
 * Everything hangs off window.BDC; no framework, no build step.
 */
(function () {
  "use strict";

  var AUTH_KEY = "bdc.auth";
  var LARGE_KEY = "bdc.largeType";
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

  // ---- DOM -------------------------------------------------------------------------------------

  /* h("div", {class: "x", onclick: fn}, "text", child, [more]) — text is always textContent. */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        if (name.indexOf("on") === 0 && typeof value === "function") {
          el.addEventListener(name.slice(2), value);
        } else if (name === "class") {
          el.className = value;
        } else if (name === "text") {
          el.textContent = value;
        } else if (value === true) {
          el.setAttribute(name, "");
        } else {
          el.setAttribute(name, String(value));
        }
      });
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function append(parent, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) {
      child.forEach(function (c) {
        append(parent, c);
      });
    } else if (typeof child === "string" || typeof child === "number") {
      parent.appendChild(document.createTextNode(String(child)));
    } else {
      parent.appendChild(child);
    }
  }

  function $(selector, root) {
    return (root || document).querySelector(selector);
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }

  function show(el, visible) {
    if (visible === false) el.setAttribute("hidden", "");
    else el.removeAttribute("hidden");
  }

  // ---- toast and dialog --------------------------------------------------------------------------

  var toastTimer = null;

  function toast(message, options) {
    options = options || {};
    var old = document.getElementById("bdc-toast");
    if (old) old.remove();
    clearTimeout(toastTimer);
    var el = h("div", {
      id: "bdc-toast",
      class: "toast" + (options.ok ? " toast_ok" : ""),
      role: options.ok ? "status" : "alert",
      "aria-live": options.ok ? "polite" : "assertive",
      text: message,
    });
    document.body.appendChild(el);
    toastTimer = setTimeout(function () {
      el.remove();
    }, options.duration || (options.ok ? 1800 : 3500));
    return el;
  }

  function dialog(options) {
    return new Promise(function (resolve) {
      var previous = document.activeElement;
      var titleId = "dlg-title-" + Date.now();
      var mask = h("div", { class: "mask" });
      function close(result) {
        mask.remove();
        box.remove();
        document.removeEventListener("keydown", onKey);
        if (previous && previous.focus) previous.focus();
        resolve(result);
      }
      function onKey(event) {
        if (event.key === "Escape") close(false);
      }
      var buttons = [];
      if (options.cancel !== false) {
        buttons.push(
          h("button", {
            type: "button",
            class: "dialog__btn",
            text: options.cancel || "取消",
            onclick: function () {
              close(false);
            },
          })
        );
      }
      var okButton = h("button", {
        type: "button",
        class: "dialog__btn dialog__btn_primary",
        text: options.ok || "确定",
        onclick: function () {
          close(true);
        },
      });
      buttons.push(okButton);
      var box = h(
        "div",
        { class: "dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": titleId },
        h("div", { class: "dialog__title", id: titleId, text: options.title || "提示" }),
        options.body ? h("div", { class: "dialog__body" }, options.body) : null,
        h("div", { class: "dialog__ft" }, buttons)
      );
      document.body.appendChild(mask);
      document.body.appendChild(box);
      document.addEventListener("keydown", onKey);
      okButton.focus();
    });
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
        return new ApiError(response.status, body.code || "http_" + response.status, detail, body.errors);
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

  /* The usual reaction to a failed call: log in again, bind the identity, or say why. */
  function handleError(error, container) {
    if (error && error.code === "identity_not_bound") {
      goBind();
      return;
    }
    if (error && error.status === 401 && container) {
      showLogin(container, error.code === "login_required" ? null : error.detail);
      return;
    }
    toast((error && error.detail) || "系统繁忙，请稍后再试");
  }

  function loading(container, text) {
    clear(container);
    append(container, h("div", { class: "loading", role: "status", text: text || "正在加载…" }));
  }

  // ---- large-type mode -------------------------------------------------------------------------

  function isLarge() {
    return document.documentElement.classList.contains("large");
  }

  function setLarge(on) {
    document.documentElement.classList.toggle("large", on);
    storageSet(LARGE_KEY, on ? "1" : null);
    document.querySelectorAll("[data-large-toggle]").forEach(function (button) {
      syncToggle(button);
    });
  }

  function syncToggle(button) {
    var on = isLarge();
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "✓ 大字模式" : "大字模式";
    button.setAttribute("aria-label", on ? "大字模式已开启，点击关闭" : "开启大字模式");
  }

  function initLargeToggle() {
    document.querySelectorAll("[data-large-toggle]").forEach(function (button) {
      syncToggle(button);
      button.addEventListener("click", function () {
        setLarge(!isLarge());
        toast(isLarge() ? "已开启大字模式" : "已关闭大字模式", { ok: true, duration: 1200 });
      });
    });
  }

  // ---- formatting --------------------------------------------------------------------------------

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function parseDate(value) {
    if (!value) return null;
    var d = new Date(value);
    return isNaN(d.getTime()) ? null : d;
  }

  function formatTime(value) {
    var d = parseDate(value);
    if (!d) return value ? String(value) : "";
    return (
      d.getFullYear() +
      "-" +
      pad(d.getMonth() + 1) +
      "-" +
      pad(d.getDate()) +
      " " +
      pad(d.getHours()) +
      ":" +
      pad(d.getMinutes())
    );
  }

  function formatDate(value) {
    if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
    var d = parseDate(value);
    if (!d) return value ? String(value) : "";
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  function formatArea(value) {
    if (value === null || value === undefined || value === "") return "";
    var n = Number(value);
    return (isNaN(n) ? String(value) : n.toFixed(2)) + " 平方米";
  }

  /* Lists come either bare or wrapped ({items: [...]}). */
  function listOf(answer, key) {
    if (Array.isArray(answer)) return answer;
    if (!answer) return [];
    if (key && Array.isArray(answer[key])) return answer[key];
    if (Array.isArray(answer.items)) return answer.items;
    return [];
  }

  // ---- labels of API codes -----------------------------------------------------------------------

  /* Labels and purposes come from the server (/app/js/words.js, miniapp_api/labels.py), so the
   * app says what the API, the /v/ page and the documents say. */
  var LABELS = window.BDC_WORDS || {};

  var PURPOSES = (LABELS.purposes || [])
    .filter(function (p) {
      return !p.free_text;
    })
    .map(function (p) {
      return p.label;
    });

  function labels(group) {
    return LABELS[group] || {};
  }

  function label(group, code) {
    var table = LABELS[group] || {};
    return table[code] || code || "";
  }

  // ---- shared renderers ----------------------------------------------------------------------------

  /* Badge for a certificate status (现势 green, 已注销 red, 已换证 grey). */
  function statusBadge(status, text) {
    if (!status) return null;
    var cls = status === "valid" || status === "current" ? "badge_ok" : "badge_bad";
    if (status === "superseded") cls = "badge_muted";
    return h("span", { class: "badge " + cls, text: text || label("certificateStatus", status) });
  }

  function encumbranceLabel(item) {
    return item.kind_label || item.label || label("encumbrance", item.kind);
  }

  function encumbranceBadge(item) {
    var cls = item.kind === "seizure" ? "badge_bad" : "badge_warn";
    return h("span", { class: "badge " + cls, text: encumbranceLabel(item) });
  }

  function first(obj, keys) {
    for (var i = 0; i < keys.length; i++) {
      var value = obj[keys[i]];
      if (value !== undefined && value !== null && value !== "") return value;
    }
    return null;
  }

  /* "存在抵押" + "抵押权人：某银行，2021-03-02 起" and the reason on a second line. */
  function encumbranceNotice(item) {
    var holderLabel = { mortgage: "抵押权人", seizure: "查封机关", objection: "申请人" }[item.kind];
    var start = first(item, ["started_on", "started_at"]);
    var parts = [];
    if (item.holder) parts.push((holderLabel || "权利人") + "：" + item.holder);
    if (start) parts.push(formatDate(start) + " 起");
    return h(
      "div",
      { class: "notice" + (item.kind === "seizure" ? " notice_bad" : ""), "data-encumbrance": item.kind },
      h("strong", { text: "存在" + encumbranceLabel(item) }),
      parts.length ? h("span", { text: parts.join("，") }) : null,
      item.reason ? h("span", { class: "cell__sub", text: String(item.reason) }) : null
    );
  }

  /* <dl class="kv"> from [[label, value], …]; rows with an empty value are left out. */
  function kvList(rows) {
    var dl = h("dl", { class: "kv" });
    rows.forEach(function (row) {
      var value = row[1];
      if (value === null || value === undefined || value === "") return;
      dl.appendChild(
        h(
          "div",
          { class: "kv__row" },
          h("dt", { text: row[0] }),
          h("dd", row[2] ? { class: row[2] } : null, value)
        )
      );
    });
    return dl;
  }

  /* "张建国（本人）、李*英" from [{name, share, is_me}] or plain strings. */
  function holderNames(holders) {
    if (!holders) return "";
    if (typeof holders === "string") return holders;
    return holders
      .map(function (holder) {
        if (typeof holder === "string") return holder;
        var text = holder.name || "";
        var notes = [];
        if (holder.is_me) notes.push("本人");
        if (holder.share) notes.push("份额 " + holder.share);
        return notes.length ? text + "（" + notes.join("，") + "）" : text;
      })
      .join("、");
  }

  // ---- ID number (GB 11643-1999, ISO 7064 MOD 11-2) ------------------------------------------------

  var ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var ID_CHECK = "10X98765432";

  /* Returns null when valid, otherwise a Chinese reason. */
  function idNumberProblem(value) {
    var id = String(value || "").trim().toUpperCase();
    if (!id) return "请输入身份证号";
    if (!/^\d{17}[\dX]$/.test(id)) return "身份证号应为18位，最后一位可以是数字或X";
    var y = Number(id.slice(6, 10));
    var m = Number(id.slice(10, 12));
    var d = Number(id.slice(12, 14));
    var birth = new Date(y, m - 1, d);
    if (
      y < 1900 ||
      birth.getFullYear() !== y ||
      birth.getMonth() !== m - 1 ||
      birth.getDate() !== d ||
      birth.getTime() > Date.now()
    ) {
      return "身份证号中的出生日期不正确";
    }
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += Number(id[i]) * ID_WEIGHTS[i];
    if (ID_CHECK[sum % 11] !== id[17]) return "身份证号校验位不正确，请核对后重新输入";
    return null;
  }

  /* A field's message from a 422 problem's `errors` map, only when it is written in Chinese. */
  function fieldMessage(errors, key) {
    var value = errors && errors[key];
    while (Array.isArray(value)) value = value[0];
    if (typeof value !== "string") return null;
    return /[\u3400-\u9fff]/.test(value) ? value : null;
  }

  // ---- page start --------------------------------------------------------------------------------

  function ready(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  ready(initLargeToggle);

  window.BDC = {
    api: api,
    ApiError: ApiError,
    getAuth: getAuth,
    saveAuth: saveAuth,
    clearAuth: clearAuth,
    refreshTokens: refreshTokens,
    isLoggedIn: isLoggedIn,
    login: login,
    logout: logout,
    showLogin: showLogin,
    goBind: goBind,
    handleError: handleError,
    safeNext: safeNext,
    inWeChat: inWeChat,
    h: h,
    $: $,
    append: append,
    clear: clear,
    show: show,
    toast: toast,
    dialog: dialog,
    loading: loading,
    setLarge: setLarge,
    isLarge: isLarge,
    formatTime: formatTime,
    formatDate: formatDate,
    formatArea: formatArea,
    listOf: listOf,
    label: label,
    labels: labels,
    LABELS: LABELS,
    PURPOSES: PURPOSES,
    idNumberProblem: idNumberProblem,
    fieldMessage: fieldMessage,
    statusBadge: statusBadge,
    encumbranceBadge: encumbranceBadge,
    encumbranceNotice: encumbranceNotice,
    kvList: kvList,
    holderNames: holderNames,
    first: first,
    ready: ready,
  };
})();
