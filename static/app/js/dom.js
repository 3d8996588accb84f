/* DOM helpers for the citizen pages: element builder, toasts, dialogs, loading and failure
 * states. Loaded first: creates window.BDC, which api.js, format.js, mode.js and common.js
 * extend. No framework, no build step; text always goes in through textContent. */
(function () {
  "use strict";

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

  /* A "正在加载…" state that appears only when loading takes longer than `delay` ms
   * (300 by default): fast answers never flash it. Returns a function that cancels it. */
  function loadingLater(container, text, delay) {
    var timer = setTimeout(function () {
      clear(container);
      append(container, h("div", { class: "loading", role: "status", text: text || "正在加载…" }));
    }, delay === undefined ? 300 : delay);
    return function () {
      clearTimeout(timer);
    };
  }

  function loading(container, text) {
    clear(container);
    append(container, h("div", { class: "loading", role: "status", text: text || "正在加载…" }));
  }

  /* A list that could not load says why, in the page (not a vanishing toast), with 重新加载. */
  function failure(container, message, retry) {
    clear(container);
    var button = h("button", {
      type: "button",
      class: "btn btn_mini",
      "data-reload": true,
      text: "重新加载",
      onclick: function () {
        retry();
      },
    });
    append(
      container,
      h(
        "div",
        { class: "failure", role: "alert", "data-failure": true },
        h("p", { class: "failure__text", text: message || "加载失败，请稍后再试" }),
        retry ? button : null
      )
    );
    return container;
  }

  function ready(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  var B = (window.BDC = window.BDC || {});
  B.h = h;
  B.$ = $;
  B.append = append;
  B.clear = clear;
  B.show = show;
  B.toast = toast;
  B.dialog = dialog;
  B.loading = loading;
  B.loadingLater = loadingLater;
  B.failure = failure;
  B.ready = ready;
})();
