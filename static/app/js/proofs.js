/* POST /api/v1/me/housing-proofs {scope, purpose}; GET /api/v1/me/housing-proofs. */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;

  function hasProperty(proof) {
    if (typeof proof.has_property === "boolean") return proof.has_property;
    var result = proof.result || {};
    if (typeof result.has_property === "boolean") return result.has_property;
    if (proof.result_label) return proof.result_label === "有房";
    return units(proof).length > 0;
  }

  function units(proof) {
    var result = proof.result || {};
    return proof.units || result.units || [];
  }

  function isExpired(proof) {
    if (proof.expired !== undefined) return !!proof.expired;
    var until = proof.valid_until ? new Date(proof.valid_until) : null;
    return !!until && until.getTime() < Date.now();
  }

  function unitList(items) {
    if (!items.length) return null;
    return h(
      "ol",
      { class: "unit-list" },
      items.map(function (unit) {
        return h(
          "li",
          null,
          h("strong", { text: unit.location || "" }),
          h(
            "span",
            { class: "cell__sub" },
            [B.formatArea(unit.area_m2), unit.use, unit.certificate_number]
              .filter(Boolean)
              .join("，")
          )
        );
      })
    );
  }

  function resultText(proof) {
    return hasProperty(proof) ? "有房" : "无房";
  }

  function showResult(proof) {
    var box = B.$("#proof-result");
    var own = hasProperty(proof);
    B.clear(box);
    B.append(box, [
      h(
        "div",
        { class: "result result_ok" },
        h("span", { class: "result__icon", "aria-hidden": "true", text: "✓" }),
        h("h2", { class: "result__title", text: "证明已开具：" + resultText(proof) }),
        h("p", {
          class: "result__desc",
          text: own
            ? "查询范围内在本登记中心登记有以下住房。"
            : "查询范围内未查询到在本登记中心的不动产登记记录。",
        }),
        B.kvList([
          ["证明编号", proof.serial, "mono"],
          ["查询范围", B.label("scope", proof.scope)],
          ["用途", proof.purpose],
          ["查询时点", B.formatTime(proof.queried_at)],
          ["有效期至", B.formatTime(proof.valid_until)],
        ]),
        unitList(units(proof)),
        B.documentPreview(proof, "房屋权属证明图片")
      ),
      h("div", { class: "btn-area", id: "proof-links" }, B.downloadButtons(proof)),
    ]);
    B.show(box);
    box.focus();
    box.scrollIntoView({ block: "start" });
  }

  function historyCard(proof) {
    var expired = isExpired(proof);
    var l = B.documentLinks(proof);
    return h(
      "li",
      { class: "card" },
      h(
        "div",
        { class: "card__hd" },
        h("h3", { class: "card__title", text: (proof.purpose || "房屋证明") + " · " + resultText(proof) }),
        h("span", {
          class: "badge " + (expired ? "badge_muted" : "badge_ok"),
          text: expired ? "已过期" : "有效",
        })
      ),
      B.kvList([
        ["证明编号", proof.serial, "mono"],
        ["查询范围", B.label("scope", proof.scope)],
        ["开具时间", B.formatTime(proof.issued_at || proof.queried_at)],
        ["有效期至", B.formatTime(proof.valid_until)],
      ]),
      !expired && (l.png || l.pdf)
        ? h(
            "div",
            { class: "card__actions" },
            l.png ? h("a", { class: "btn btn_mini", href: l.png, text: "查看图片" }) : null,
            l.pdf ? h("a", { class: "btn btn_mini", href: l.pdf, text: "下载 PDF" }) : null
          )
        : null
    );
  }

  function loadHistory() {
    return B.api("GET", "/api/v1/me/housing-proofs").then(function (answer) {
      var items = B.listOf(answer, "proofs");
      var list = B.clear(B.$("#history"));
      B.show(B.$("#history-title"), items.length > 0);
      B.append(list, items.map(historyCard));
    });
  }

  function submit(event) {
    event.preventDefault();
    var form = event.target;
    var error = B.$("#proof-error");
    B.show(error, false);
    var purpose = B.purposeValue(form);
    if (purpose.error) {
      error.textContent = purpose.error;
      B.show(error);
      return;
    }
    var scope = form.querySelector("input[name=scope]:checked").value;
    var button = B.$("#proof-submit");
    button.disabled = true;
    button.textContent = "正在查询…";
    B.api("POST", "/api/v1/me/housing-proofs", { scope: scope, purpose: purpose.value })
      .then(
        function (proof) {
          B.toast("证明已开具", { ok: true });
          showResult(proof);
          loadHistory().catch(function () {});
        },
        function (problem) {
          if (problem.status === 401 || problem.code === "identity_not_bound") {
            B.show(form, false);
            B.handleError(problem, B.$("#content"));
            return;
          }
          error.textContent = problem.detail;
          B.show(error);
        }
      )
      .then(function () {
        button.disabled = false;
        button.textContent = "开具证明";
      });
  }

  B.ready(function () {
    var content = B.$("#content");
    var form = B.$("#proof-form");
    form.addEventListener("submit", submit);
    if (!B.isLoggedIn()) {
      B.showLogin(content);
      return;
    }
    B.show(form);
    loadHistory().catch(function (error) {
      B.show(form, false);
      B.handleError(error, content);
    });
  });
})();
