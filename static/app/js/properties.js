/* GET /api/v1/me/properties: the citizen's own units with status and encumbrances. */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;

  function card(item) {
    var unit = item.unit || {};
    var cert = item.certificate || {};
    var encumbrances = item.encumbrances || [];
    var badges = [B.statusBadge(cert.status, cert.status_label)].concat(
      encumbrances.map(B.encumbranceBadge)
    );
    if (!encumbrances.length && cert.status === "valid") {
      badges.push(h("span", { class: "badge badge_muted", text: "无抵押查封" }));
    }
    return h(
      "li",
      { class: "card", "data-right": item.right_id },
      h(
        "div",
        { class: "card__hd" },
        h("h3", { class: "card__title", text: unit.location || "" }),
        h("div", null, badges)
      ),
      B.kvList([
        ["证书号", cert.number],
        ["面积", B.formatArea(unit.area_m2)],
        ["用途", unit.use],
        ["权利类型", unit.right_type],
        ["权利性质", unit.right_nature],
        ["使用期限", unit.land_term],
        ["共有方式", item.co_ownership_label || B.label("coOwnership", item.co_ownership)],
        ["权利人", B.holderNames(item.holders)],
        ["登簿时间", B.formatDate(item.registered_at)],
        ["单元号", unit.unit_number, "mono"],
      ]),
      encumbrances.map(B.encumbranceNotice),
      item.license_id
        ? h(
            "div",
            { class: "card__actions" },
            h("a", { class: "btn btn_mini", href: "/app/licenses.html", text: "查看电子证照" })
          )
        : null
    );
  }

  B.ready(function () {
    var content = B.$("#content");
    if (!B.isLoggedIn()) {
      B.showLogin(content);
      return;
    }
    load(content);
  });

  function load(content) {
    var cancel = B.loadingLater(content);
    B.api("GET", "/api/v1/me/properties").then(
      function (answer) {
        cancel();
        var items = B.listOf(answer);
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
        cancel();
        B.clear(content);
        B.handleError(error, content, function () {
          load(content);
        });
      }
    );
  }
})();
