/* GET /api/v1/me/licenses; POST /api/v1/me/licenses/{id}/copies {purpose, valid_days}. */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;
  var chosen = null;

  function licenseTitle(item) {
    var cert = item.certificate || {};
    return item.location || (item.unit && item.unit.location) || cert.location || "电子证照";
  }

  function licenseNumber(item) {
    var cert = item.certificate || {};
    return item.certificate_number || cert.number || "";
  }

  function card(item) {
    var status = item.status || (item.certificate && item.certificate.status);
    var usable = !status || status === "valid" || status === "current";
    return h(
      "li",
      { class: "card" },
      h(
        "div",
        { class: "card__hd" },
        h("h3", { class: "card__title", text: licenseTitle(item) }),
        h("div", null, B.statusBadge(status))
      ),
      B.kvList([
        ["证照类型", B.label("certificateKind", item.kind || item.type) || "不动产权证书"],
        ["证书号", licenseNumber(item)],
        ["证照标识", item.license_id, "mono"],
        ["颁发日期", B.formatDate(item.issued_at || item.issued_on)],
      ]),
      h(
        "div",
        { class: "card__actions" },
        usable
          ? h("button", {
              type: "button",
              class: "btn btn_primary",
              "data-make-copy": item.id,
              text: "制作加注件",
              onclick: function () {
                openForm(item);
              },
            })
          : h("p", { class: "card__sub", text: "该证书已注销或换证，不能制作加注件。" })
      )
    );
  }

  function openForm(item) {
    chosen = item;
    B.$("#copy-license").textContent = licenseTitle(item);
    B.$("#copy-license-sub").textContent = licenseNumber(item);
    B.show(B.$("#copy-error"), false);
    B.show(B.$("#copy-result"), false);
    var form = B.$("#copy-form");
    B.show(form);
    form.scrollIntoView({ block: "start" });
    var firstChip = form.querySelector("input[type=radio]:checked");
    if (firstChip) firstChip.focus({ preventScroll: true });
  }

  function closeForm() {
    chosen = null;
    B.show(B.$("#copy-form"), false);
  }

  function showCopy(copy) {
    var box = B.$("#copy-result");
    B.clear(box);
    B.append(box, [
      h(
        "div",
        { class: "result result_ok" },
        h("span", { class: "result__icon", "aria-hidden": "true", text: "✓" }),
        h("h2", { class: "result__title", id: "copy-result-title", text: "加注件已生成" }),
        B.kvList([
          ["用途", copy.purpose ? "仅供办理" + copy.purpose + "使用" : ""],
          ["有效期至", B.formatTime(copy.valid_until)],
          ["加注件编号", copy.serial || copy.public_id, "mono"],
          ["生成时间", B.formatTime(copy.created_at)],
        ]),
        B.documentPreview(copy, "电子证照加注件图片")
      ),
      h("div", { class: "btn-area", id: "copy-links" }, B.downloadButtons(copy)),
    ]);
    B.show(box);
    box.focus();
    box.scrollIntoView({ block: "start" });
  }

  function submit(event) {
    event.preventDefault();
    if (!chosen) return;
    var error = B.$("#copy-error");
    B.show(error, false);
    var purpose = B.purposeValue(event.target);
    if (purpose.error) {
      error.textContent = purpose.error;
      B.show(error);
      return;
    }
    var days = event.target.querySelector("input[name=valid_days]:checked");
    var button = B.$("#copy-submit");
    button.disabled = true;
    button.textContent = "正在生成…";
    B.api("POST", "/api/v1/me/licenses/" + encodeURIComponent(chosen.id) + "/copies", {
      purpose: purpose.value,
      valid_days: Number(days ? days.value : 30),
    })
      .then(
        function (copy) {
          closeForm();
          B.toast("已生成", { ok: true });
          showCopy(copy);
        },
        function (problem) {
          if (problem.status === 401 || problem.code === "identity_not_bound") {
            B.handleError(problem, B.$("#content"));
            return;
          }
          error.textContent = problem.detail;
          B.show(error);
        }
      )
      .then(function () {
        button.disabled = false;
        button.textContent = "生成加注件";
      });
  }

  B.ready(function () {
    var content = B.$("#content");
    B.$("#copy-form").addEventListener("submit", submit);
    B.$("#copy-cancel").addEventListener("click", closeForm);
    if (!B.isLoggedIn()) {
      B.showLogin(content);
      return;
    }
    B.api("GET", "/api/v1/me/licenses").then(
      function (answer) {
        var items = B.listOf(answer, "licenses");
        B.clear(content);
        if (!items.length) {
          B.append(content, h("p", { class: "empty", text: "暂无您名下的电子证照。" }));
          return;
        }
        B.append(content, h("ul", { class: "list-reset" }, items.map(card)));
      },
      function (error) {
        B.clear(content);
        B.handleError(error, content);
      }
    );
  });
})();
