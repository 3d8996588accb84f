/* GET /api/v1/me/properties: the citizen's own units with status and encumbrances. */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;

  function card(item) {
    var unit = item.unit || {};
    var cert = item.certificate || {};
    var encumbrances = item.encumbrances || unit.encumbrances || [];
    var status = item.status || cert.status;
    var location = item.location || unit.location || "";
    var badges = [B.statusBadge(status)].concat(encumbrances.map(B.encumbranceBadge));
    if (!encumbrances.length && (status === "valid" || status === "current")) {
      badges.push(h("span", { class: "badge badge_muted", text: "无抵押查封" }));
    }
    return h(
      "li",
      { class: "card" },
      h(
        "div",
        { class: "card__hd" },
        h("h3", { class: "card__title", text: location }),
        h("div", null, badges)
      ),
      B.kvList([
        ["证书号", item.certificate_number || cert.number],
        ["不动产单元号", item.unit_number || unit.unit_number, "mono"],
        ["面积", B.formatArea(B.first(item, ["area_m2"]) || unit.area_m2)],
        ["用途", item.use || unit.use],
        ["权利类型", item.right_type || unit.right_type],
        ["权利性质", item.right_nature || unit.right_nature],
        ["共有方式", B.label("coOwnership", item.co_ownership)],
        ["我的份额", item.share],
        ["权利人", B.holderNames(item.holders)],
        ["登簿时间", B.formatDate(item.registered_at || cert.issued_at || item.issued_at)],
      ]),
      encumbrances.map(B.encumbranceNotice)
    );
  }

  B.ready(function () {
    var content = B.$("#content");
    if (!B.isLoggedIn()) {
      B.showLogin(content);
      return;
    }
    B.api("GET", "/api/v1/me/properties").then(
      function (answer) {
        var items = B.listOf(answer, "properties");
        B.clear(content);
        if (!items.length) {
          B.append(
            content,
            h(
              "div",
              { class: "empty" },
              h("p", { text: "本登记中心暂无登记在您名下的不动产。" }),
              h("p", null, h("a", { href: "/app/proofs.html", text: "需要无房证明？去开具" }))
            )
          );
          return;
        }
        B.append(content, [
          h("p", { class: "tips", text: "共 " + items.length + " 处不动产" }),
          h("ul", { class: "list-reset" }, items.map(card)),
        ]);
      },
      function (error) {
        B.clear(content);
        B.handleError(error, content);
      }
    );
  });
})();
