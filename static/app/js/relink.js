/* 重新获取: an expired download link's error page sends the holder here with
 * ?kind=c|p&id=…&fmt=png|pdf[&license=…]. Logged in, the page asks for a fresh signed link
 * for the same document (POST …/download-links) and opens it; otherwise it logs in first
 * and comes back here. */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;

  function target() {
    var q = new URLSearchParams(location.search);
    var kind = q.get("kind");
    var id = q.get("id") || "";
    var fmt = q.get("fmt") === "pdf" ? "pdf" : "png";
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return null;
    if (kind === "c" && /^\d{1,10}$/.test(q.get("license") || "")) {
      return {
        fmt: fmt,
        path: "/api/v1/me/licenses/" + q.get("license") + "/copies/" + id + "/download-links",
        back: "/app/licenses.html",
      };
    }
    if (kind === "p") {
      return { fmt: fmt, path: "/api/v1/me/housing-proofs/" + id + "/download-links", back: "/app/proofs.html" };
    }
    return null;
  }

  function run(content, t) {
    var cancel = B.loadingLater(content, "正在获取新的下载链接…", 0);
    B.api("POST", t.path).then(
      function (links) {
        cancel();
        B.clear(content);
        B.append(
          content,
          h("p", { class: "tips", role: "status", text: "已获取新的链接，正在打开…" }),
          h("div", { class: "btn-area" }, h("a", { class: "btn btn_primary", href: links[t.fmt], "data-fresh-link": t.fmt, text: "打开文件" }))
        );
        location.replace(links[t.fmt]);
      },
      function (error) {
        cancel();
        if (error.status === 401 || error.code === "identity_not_bound") {
          B.handleError(error, content);
          return;
        }
        B.failure(content, error.status === 404 ? "未找到该文件，或它不属于当前登录的微信账号。" : error.detail, function () {
          run(content, t);
        });
        B.append(content, h("div", { class: "btn-area" }, h("a", { class: "btn", href: t.back, text: "查看我的文件" })));
      }
    );
  }

  B.ready(function () {
    var content = B.$("#content");
    var t = target();
    if (!t) {
      B.failure(content, "链接不完整，请在「电子证照」或「房屋证明」中重新获取。");
      return;
    }
    if (!B.isLoggedIn()) {
      B.showLogin(content, "请先使用微信登录，再为您重新获取下载链接。");
      return;
    }
    run(content, t);
  });
})();
