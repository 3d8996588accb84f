/* GET /api/v1/me/licenses; POST /api/v1/me/licenses/{id}/copies {purpose, valid_days};
 * earlier copies: GET …/copies, fresh links: POST …/copies/{copy_id}/download-links. */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;
  var chosen = null;

  function licenseTitle(item) {
    return (item.unit && item.unit.location) || "电子证照";
  }

  function licenseNumber(item) {
    return (item.certificate && item.certificate.number) || "";
  }

  function card(item) {
    var cert = item.certificate || {};
    var unit = item.unit || {};
    var copiesBox = h("div", { class: "copies", hidden: true, "aria-live": "polite" });
    var actions = h("div", { class: "card__actions" });
    if (item.can_copy) {
      // 亮证 first: one tap to show the certificate; copies for a purpose are the second step.
      actions.appendChild(
        h("a", { class: "btn btn_primary", href: "/app/show.html?license=" + item.id, "data-show": item.id, text: "亮证" })
      );
      actions.appendChild(
        h(
          "button",
          {
            type: "button",
            class: "btn",
            "data-make-copy": item.id,
            onclick: function () {
              openForm(item);
            },
          },
          "按用途出具电子证照",
          h("span", { class: "btn__small", text: "制作加注件" })
        )
      );
    } else {
      actions.appendChild(
        h("p", {
          class: "card__sub",
          text: item.cannot_copy_reason || "该证书已注销或换证，不能制作加注件。",
        })
      );
    }
    actions.appendChild(
      h("button", {
        type: "button",
        class: "link-btn",
        "aria-expanded": "false",
        text: "已制作的加注件",
        onclick: function (event) {
          toggleCopies(item, copiesBox, event.currentTarget);
        },
      })
    );
    return h(
      "li",
      { class: "card", "data-license": item.id },
      h(
        "div",
        { class: "card__hd" },
        h("h3", { class: "card__title", text: licenseTitle(item) }),
        h("div", null, B.statusBadge(cert.status, cert.status_label))
      ),
      B.kvList([
        ["证书号", cert.number],
        ["换发新证", item.superseded_by_number],
        ["面积", B.formatArea(unit.area_m2)],
        ["用途", unit.use],
        ["权利人", B.holderNames(item.holders)],
        ["共有方式", item.co_ownership_label],
        ["发证日期", B.formatDate(item.issued_at || cert.issued_at)],
        ["证照标识", item.license_id, "mono"],
      ]),
      (item.encumbrances || []).map(B.encumbranceNotice),
      actions,
      copiesBox
    );
  }

  function copyRow(item, copy) {
    var linksBox = h("div", { class: "card__actions" });
    var button = h("button", {
      type: "button",
      class: "btn btn_mini",
      text: "获取下载链接",
      onclick: function () {
        button.disabled = true;
        B.api(
          "POST",
          "/api/v1/me/licenses/" + item.id + "/copies/" + encodeURIComponent(copy.id) + "/download-links"
        ).then(
          function (links) {
            B.clear(linksBox);
            B.append(linksBox, B.downloadButtons({ download_links: links }));
          },
          function (error) {
            button.disabled = false;
            B.handleError(error);
          }
        );
      },
    });
    linksBox.appendChild(button);
    return h(
      "li",
      { class: "copy-row" },
      h(
        "p",
        null,
        h("strong", { text: copy.watermark || "仅供办理" + copy.purpose + "使用" }),
        " ",
        h("span", {
          class: "badge " + (copy.expired ? "badge_muted" : "badge_ok"),
          text: copy.expired ? "已过期" : "有效",
        })
      ),
      h("p", {
        class: "card__sub",
        text: "制作于 " + B.formatTime(copy.created_at) + "，有效期至 " + B.formatTime(copy.valid_until),
      }),
      copy.expired ? null : linksBox
    );
  }

  function toggleCopies(item, box, toggle) {
    var open = box.hasAttribute("hidden");
    B.show(box, open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) return;
    B.loading(box);
    B.api("GET", "/api/v1/me/licenses/" + item.id + "/copies").then(
      function (copies) {
        B.clear(box);
        copies = B.listOf(copies);
        if (!copies.length) {
          B.append(box, h("p", { class: "card__sub", text: "尚未制作加注件。" }));
          return;
        }
        B.append(
          box,
          h(
            "ul",
            { class: "list-reset" },
            copies.map(function (copy) {
              return copyRow(item, copy);
            })
          )
        );
      },
      function (error) {
        B.clear(box);
        B.handleError(error);
      }
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
    var checked = form.querySelector("input[type=radio]:checked");
    if (checked) checked.focus({ preventScroll: true });
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
        h("p", { class: "result__desc", text: copy.watermark || "" }),
        B.kvList([
          ["证书号", copy.certificate_number],
          ["事由", copy.purpose],
          ["有效期至", B.formatTime(copy.valid_until)],
          ["加注件编号", copy.serial, "mono"],
          ["制作者", copy.maker],
          ["附记", (copy.notes || []).join("；")],
        ]),
        B.documentPreview(copy, "电子证照加注件图片")
      ),
      h("div", { class: "btn-area", id: "copy-links" }, B.downloadButtons(copy)),
    ]);
    B.show(box);
    box.focus({ preventScroll: true });
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
          error.textContent = B.fieldMessage(problem.errors, "purpose") || problem.detail;
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
    load(content);
  });

  function load(content) {
    var cancel = B.loadingLater(content);
    B.api("GET", "/api/v1/me/licenses").then(
      function (answer) {
        cancel();
        var items = B.listOf(answer);
        B.clear(content);
        if (!items.length) {
          B.append(content, h("p", { class: "empty", text: "暂无您名下的电子证照。" }));
          return;
        }
        B.append(content, h("ul", { class: "list-reset" }, items.map(card)));
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
