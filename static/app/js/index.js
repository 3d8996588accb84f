/* Home page: login state, the four services, the large-type toggle (in the bar). */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;

  function loginButton() {
    return h("button", {
      type: "button",
      class: "link-btn",
      text: "微信登录",
      onclick: function () {
        B.login("/app/index.html");
      },
    });
  }

  function renderAnonymous(box) {
    B.clear(box);
    B.append(box, [h("span", { text: "未登录" }), loginButton()]);
    B.$("#bind-state").textContent = "";
  }

  function renderUser(box, me) {
    var bound = !!me.identity_bound;
    var name = me.name || (me.person && me.person.name) || "";
    B.clear(box);
    B.append(box, [
      h(
        "span",
        { id: "user-name" },
        bound ? "已登录：" + name : "已登录，尚未实名认证"
      ),
      h("button", {
        type: "button",
        class: "link-btn",
        text: "退出登录",
        onclick: function () {
          B.dialog({ title: "退出登录", body: "确定要退出登录吗？", ok: "退出" }).then(function (ok) {
            if (!ok) return;
            B.logout().then(function () {
              B.toast("已退出登录", { ok: true });
              renderAnonymous(box);
            });
          });
        },
      }),
    ]);
    var state = B.$("#bind-state");
    state.textContent = bound ? "已认证" : "未认证";
  }

  B.ready(function () {
    var box = B.$("#user");
    if (!B.isLoggedIn()) {
      renderAnonymous(box);
      return;
    }
    B.api("GET", "/api/v1/me").then(
      function (me) {
        renderUser(box, me);
      },
      function (error) {
        if (error.status === 401) {
          renderAnonymous(box);
        } else {
          B.toast(error.detail);
        }
      }
    );
  });
})();
