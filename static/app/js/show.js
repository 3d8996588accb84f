/* 亮证: the holder's e-license as a full-width picture. POST /api/v1/me/licenses/{id}/show
 * answers a short-lived signed PNG link (「仅供查看」 and the time across it, and a QR that
 * verifies for two refresh intervals only); the page asks again every refresh_seconds (60 s).
 * WeChat saves it by long-press (no blob downloads); a saved copy's QR soon says 亮证码已过期. */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;
  var timer = null;

  function chosenId() {
    var id = new URLSearchParams(location.search).get("license");
    return id && /^\d{1,10}$/.test(id) ? id : null;
  }

  function tick(seconds) {
    var box = B.$("#show-refresh");
    clearInterval(timer);
    var left = seconds;
    box.textContent = "图片和核验二维码 " + left + " 秒后自动更新";
    timer = setInterval(function () {
      left -= 1;
      if (left > 0) box.textContent = "图片和核验二维码 " + left + " 秒后自动更新";
    }, 1000);
  }

  function show(license, content) {
    B.api("POST", "/api/v1/me/licenses/" + license.id + "/show").then(
      function (answer) {
        B.clear(content);
        var img = B.$("#show-img");
        img.src = answer.png;
        img.setAttribute("data-shown-at", answer.shown_at);
        B.$("#show-caption").textContent =
          ((license.unit && license.unit.location) || "") + " · 亮证时间 " + B.formatTime(answer.shown_at);
        B.show(B.$("#shown"));
        var seconds = answer.refresh_seconds || 60;
        tick(seconds);
        setTimeout(function () {
          show(license, content);
        }, seconds * 1000);
      },
      function (error) {
        clearInterval(timer);
        B.show(B.$("#shown"), false);
        B.handleError(error, content, function () {
          show(license, content);
        });
      }
    );
  }

  function choose(items, content) {
    B.clear(content);
    B.append(
      content,
      h("p", { class: "tips", text: "您名下有多本证书，请选择要出示的一本：" }),
      h(
        "div",
        { class: "btn-area" },
        items.map(function (item) {
          return h("a", {
            class: "btn",
            href: "/app/show.html?license=" + item.id,
            text: (item.unit && item.unit.location) || item.certificate.number,
          });
        })
      )
    );
  }

  function load(content) {
    var cancel = B.loadingLater(content);
    B.api("GET", "/api/v1/me/licenses").then(
      function (answer) {
        cancel();
        var items = B.listOf(answer).filter(function (item) {
          return item.can_copy;
        });
        var id = chosenId();
        var license = items.filter(function (item) {
          return String(item.id) === id;
        })[0];
        if (!license && items.length === 1) license = items[0];
        B.clear(content);
        if (license) show(license, content);
        else if (items.length) choose(items, content);
        else B.append(content, h("p", { class: "empty", text: "暂无可出示的现势电子证照。" }));
      },
      function (error) {
        cancel();
        B.clear(content);
        B.handleError(error, content, function () {
          load(content);
        });
      }
    );
  }

  B.ready(function () {
    var content = B.$("#content");
    if (!B.isLoggedIn()) {
      B.showLogin(content, "请先使用微信登录，再出示您本人的电子证照。");
      return;
    }
    load(content);
  });
})();
