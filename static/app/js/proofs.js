/* POST /api/v1/me/housing-proofs {scope, purpose}; GET /api/v1/me/housing-proofs;
 * GET /api/v1/me/housing-proofs/{id} (with fresh signed download links). */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;

  function resultText(proof) {
    return proof.result_label || B.label("proofResult", proof.has_property ? "has_property" : "no_property");
  }

  function unitList(units) {
    if (!units || !units.length) return null;
    return h(
      "ol",
      { class: "unit-list", "aria-label": "名下住房" },
      units.map(function (unit) {
        return h(
          "li",
          null,
          h("strong", { text: unit.location || "" }),
          h("span", {
            class: "cell__sub",
            text: [B.formatArea(unit.area_m2), unit.use, unit.certificate_number, unit.co_ownership]
              .filter(Boolean)
              .join("，"),
          })
        );
      })
    );
  }

  function people(proof) {
    var rows = [];
    if (proof.applicant) rows.push(proof.applicant.name);
    (proof.members || []).forEach(function (member) {
      rows.push(member.name + "（" + member.relation + "）");
    });
    return rows.join("、");
  }

  function showResult(proof) {
    var box = B.$("#proof-result");
    B.clear(box);
    B.append(box, [
      h(
        "div",
        { class: "result result_ok", "data-result": proof.has_property ? "has_property" : "no_property" },
        h("span", { class: "result__icon", "aria-hidden": "true", text: "✓" }),
        h("h2", { class: "result__title", text: "证明已开具：" + resultText(proof) }),
        h("p", {
          class: "result__desc",
          text:
            proof.result_text ||
            (proof.has_property
              ? "查询范围内在本登记中心登记有以下住房。"
              : "查询范围内未查询到在本登记中心的住房登记记录。"),
        }),
        B.kvList([
          ["证明编号", proof.serial, "mono"],
          ["查询范围", proof.scope_label || B.label("scope", proof.scope)],
          ["查询对象", people(proof)],
          ["事由", proof.purpose],
          ["用途说明", proof.watermark ? "本证明" + proof.watermark : ""],
          ["查询时点", B.formatTime(proof.queried_at)],
          ["有效期至", B.formatTime(proof.valid_until)],
        ]),
        unitList(proof.units),
        B.documentPreview(proof, B.label("certificateKind", "housing_proof") + "图片")
      ),
      h("div", { class: "btn-area", id: "proof-links" }, B.downloadButtons(proof)),
    ]);
    B.show(box);
    box.focus({ preventScroll: true });
    box.scrollIntoView({ block: "start" });
  }

  function openProof(proof, button) {
    button.disabled = true;
    B.api("GET", "/api/v1/me/housing-proofs/" + encodeURIComponent(proof.id)).then(
      function (full) {
        button.disabled = false;
        showResult(full);
      },
      function (error) {
        button.disabled = false;
        B.handleError(error, B.$("#content"));
      }
    );
  }

  function historyCard(proof) {
    var button = h("button", {
      type: "button",
      class: "btn btn_mini",
      text: "查看和下载",
      onclick: function () {
        openProof(proof, button);
      },
    });
    return h(
      "li",
      { class: "card", "data-proof": proof.id },
      h(
        "div",
        { class: "card__hd" },
        h("h3", { class: "card__title", text: resultText(proof) + "证明 · " + (proof.purpose || "") }),
        h("span", {
          class: "badge " + (proof.expired ? "badge_muted" : "badge_ok"),
          text: proof.expired ? "已过期" : "有效",
        })
      ),
      B.kvList([
        ["证明编号", proof.serial, "mono"],
        ["查询范围", proof.scope_label || B.label("scope", proof.scope)],
        ["开具时间", B.formatTime(proof.issued_at)],
        ["有效期至", B.formatTime(proof.valid_until)],
      ]),
      proof.expired ? null : h("div", { class: "card__actions" }, button)
    );
  }

  function loadHistory() {
    return B.api("GET", "/api/v1/me/housing-proofs").then(function (answer) {
      var items = B.listOf(answer);
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
          error.textContent =
            B.fieldMessage(problem.errors, "purpose") ||
            B.fieldMessage(problem.errors, "scope") ||
            problem.detail;
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
    function load() {
      var cancel = B.loadingLater(content);
      loadHistory().then(
        function () {
          cancel();
          B.clear(content);
        },
        function (error) {
          cancel();
          B.clear(content);
          B.handleError(error, content, load);
          if (error.status === 401) B.show(form, false);
        }
      );
    }
    load();
  });
})();
