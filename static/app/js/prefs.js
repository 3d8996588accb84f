/* Loaded synchronously in <head>: apply the large-type mode (适老化) before the first paint. */
(function () {
  "use strict";
  var root = document.documentElement;
  try {
    if (window.localStorage.getItem("bdc.largeType") === "1") {
      root.classList.add("large");
    }
  } catch (e) {
    /* storage disabled: keep the default size */
  }
  if (window.matchMedia && window.matchMedia("(prefers-contrast: more)").matches) {
    root.classList.add("contrast");
  }
  if (/MicroMessenger/i.test(navigator.userAgent)) {
    root.classList.add("in-wechat");
  }
})();
