/* WeChat sends the browser back here with ?code=…&state=…; exchange them for our tokens. */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;

  function fail(message) {
    var box = B.$("#status");
    B.clear(box);
    B.append(
      box,
      h(
        "div",
        { class: "result result_bad", role: "alert" },
        h("span", { class: "result__icon", "aria-hidden": "true", text: "!" }),
        h("p", { class: "result__title", text: "登录未成功" }),
        h("p", { class: "result__desc", text: message }),
        h(
          "div",
          { class: "btn-area" },
          h("button", {
            type: "button",
            class: "btn btn_primary",
            text: "重新登录",
            onclick: function () {
              B.login("/app/index.html");
            },
          }),
          h("a", { class: "btn", href: "/app/index.html", text: "返回首页" })
        )
      )
    );
  }

  B.ready(function () {
    var params = new URLSearchParams(location.search);
    var code = params.get("code");
    var state = params.get("state");
    // The code is single-use: drop it from the address bar and the history right away.
    history.replaceState(null, "", location.pathname);
    if (!code || !state) {
      fail("未获得微信授权，请重新登录。");
      return;
    }
    B.api("POST", "/api/v1/auth/wechat", { code: code, state: state }, { auth: false }).then(
      function (answer) {
        B.saveAuth(answer);
        var next = B.safeNext(answer.next);
        if (answer.identity_bound === false) {
          location.replace("/app/bind.html?next=" + encodeURIComponent(next));
        } else {
          location.replace(next);
        }
      },
      function (error) {
        fail(error.detail);
      }
    );
  });
})();
