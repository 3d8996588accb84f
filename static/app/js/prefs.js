/* Loaded synchronously in <head>: applies the 长辈版 (care mode, 适老化) before the first paint.
 *
 * The mode is kept in the cookie `bdc_care` ("1" chosen on, "0" chosen off, "w" on because
 * WeChat's own care mode is on) — server-rendered pages (/v/, error pages) read it too — and
 * in localStorage["bdc.largeType"]. Without a choice of the citizen's own, WeChat's care mode
 * (WeixinJSBridge getUserConfig → isCareMode) decides. The system font size is never blocked.
 */
(function () {
  "use strict";
  var root = document.documentElement;
  var KEY = "bdc.largeType";
  var COOKIE = "bdc_care";

  function readCookie() {
    var match = document.cookie.match(/(?:^|;\s*)bdc_care=([01w])/);
    return match ? match[1] : null;
  }

  function stored() {
    try {
      return window.localStorage.getItem(KEY);
    } catch (e) {
      return null;
    }
  }

  /* on: boolean; how: "1" (the citizen's choice) or "w" (WeChat's care mode). */
  function apply(on, how) {
    root.classList.toggle("large", on);
    root.classList.toggle("care", on);
    var value = on ? how || "1" : "0";
    // WeChat's care mode switched off is no choice of the citizen's: forget it.
    var age = !on && how === "w" ? 0 : 31536000;
    document.cookie = COOKIE + "=" + value + "; path=/; max-age=" + age + "; SameSite=Lax";
    try {
      if (how !== "w") window.localStorage.setItem(KEY, on ? "1" : "0");
    } catch (e) {
      /* storage disabled: the cookie still carries the mode */
    }
    try {
      document.dispatchEvent(new Event("bdc:care"));
    } catch (e) {
      /* very old browsers: the toggle syncs on its next click */
    }
  }

  var cookie = readCookie();
  var choice = cookie === "1" || cookie === "0" ? cookie : stored();
  if (choice === "1" || choice === "0") {
    root.classList.toggle("large", choice === "1");
    root.classList.toggle("care", choice === "1");
    if (cookie !== choice) apply(choice === "1", "1");
  } else if (cookie === "w") {
    root.classList.add("large", "care");
  }

  var inWeChat = /MicroMessenger/i.test(navigator.userAgent);
  if (inWeChat) root.classList.add("in-wechat");
  if (window.matchMedia && window.matchMedia("(prefers-contrast: more)").matches) {
    root.classList.add("contrast");
  }

  /* WeChat's 关怀模式: only when the citizen has not chosen here. */
  function askWeChat() {
    var bridge = window.WeixinJSBridge;
    if (!bridge || typeof bridge.invoke !== "function") return;
    bridge.invoke("getUserConfig", {}, function (res) {
      var on = !!(res && (res.isCareMode === true || res.isCareMode === 1 || res.isCareMode === "1"));
      if (on !== root.classList.contains("care") || (on && readCookie() !== "w")) apply(on, "w");
    });
  }
  if (inWeChat && choice !== "1" && choice !== "0") {
    if (window.WeixinJSBridge) askWeChat();
    else document.addEventListener("WeixinJSBridgeReady", askWeChat, false);
  }

  window.BDC_PREFS = { apply: apply };
})();
