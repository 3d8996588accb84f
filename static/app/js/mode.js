/* 长辈版 (care mode, 适老化): larger type, high contrast, 60 px targets and a simple home.
 * The choice is kept in a cookie (so server-rendered pages — /v/, error pages — follow it
 * before any script runs) and in localStorage. prefs.js applies it before the first paint and
 * asks WeChat for its own care mode; this file wires the 「长辈版」 toggle in every page's bar. */
(function () {
  "use strict";
  var B = window.BDC;
  var root = document.documentElement;

  function isCare() {
    return root.classList.contains("care");
  }

  function setCare(on) {
    window.BDC_PREFS.apply(on, "1");
    document.querySelectorAll("[data-large-toggle]").forEach(syncToggle);
  }

  function syncToggle(button) {
    var on = isCare();
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "✓ 长辈版" : "长辈版";
    button.setAttribute("aria-label", on ? "长辈版已开启，点击返回标准版" : "开启长辈版（大字、高对比）");
  }

  function initToggle() {
    document.querySelectorAll("[data-large-toggle]").forEach(function (button) {
      syncToggle(button);
      button.addEventListener("click", function () {
        setCare(!isCare());
        B.toast(isCare() ? "已开启长辈版" : "已返回标准版", { ok: true, duration: 1200 });
      });
    });
    // WeChat may answer its care-mode question after the page started.
    document.addEventListener("bdc:care", function () {
      document.querySelectorAll("[data-large-toggle]").forEach(syncToggle);
    });
  }

  B.isCare = isCare;
  B.setCare = setCare;
  // Older names, kept for page scripts.
  B.isLarge = isCare;
  B.setLarge = setCare;
  B.ready(initToggle);
})();
