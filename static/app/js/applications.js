/* 我的办件: GET /api/v1/me/applications, POST /api/v1/me/applications/{id}/confirm. */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;

  var BADGES = {
    awaiting_confirmation: "badge_warn",
    correction_requested: "badge_warn",
    completed: "badge_ok",
    certified: "badge_ok",
    rejected: "badge_muted",
    declined: "badge_muted",
    withdrawn: "badge_muted",
  };

  function timeline(item) {
    return h(
      "ol",
      { class: "timeline", "aria-label": "办理进度" },
      (item.timeline || []).map(function (row, i, all) {
        var current = i === all.length - 1;
        return h(
          "li",
          { class: "tl " + (current ? "tl_current" : "tl_done"), "data-action": row.action },
          h("span", { class: "tl__dot", "aria-hidden": "true" }),
          h("span", { class: "tl__name", text: row.label }),
          h("span", { class: "tl__time", text: B.formatTime(row.at) })
        );
      })
    );
  }

  function parties(item) {
    return (item.parties || [])
      .map(function (p) {
        return p.role_label + " " + p.name + (p.confirmed ? "（已确认）" : p.declined ? "（不同意）" : "（待确认）");
      })
      .join("；");
  }

  /* 水电气联动过户: one line per service with its state (docs/utilities.md). */
  function utilities(item) {
    if (!item.utilities || !item.utilities.length) return "";
    return h(
      "ul",
      { class: "list-reset", "data-utilities": "", "aria-label": "水电气联动过户" },
      item.utilities.map(function (u) {
        return h("li", { "data-utility": u.service, text: u.service_label + "：" + u.state_label });
      })
    );
  }

  function answer(item, decision, card) {
    var body = { decision: decision };
    var ask =
      decision === "confirm"
        ? B.dialog({ title: "确认办理", body: "确认这件" + item.kind_label + "是您本人的真实意愿？", ok: "确认" })
        : B.dialog({ title: "不同意办理", body: "选择不同意后，该申请将终止，并通知提交机构。", ok: "不同意" });
    ask.then(function (ok) {
      if (!ok) return;
      if (decision === "decline") body.reason = "本人不同意办理";
      B.api("POST", "/api/v1/me/applications/" + item.id + "/confirm", body).then(
        function (updated) {
          B.toast(decision === "confirm" ? "已确认" : "已告知提交机构", { ok: true });
          card.replaceWith(appCard(updated));
        },
        function (error) {
          B.handleError(error, B.$("#apps"));
        }
      );
    });
  }

  function appCard(item) {
    var card = h(
      "article",
      { class: "card", "data-application": item.id },
      h(
        "div",
        { class: "card__hd" },
        h("h3", { class: "card__title", text: item.kind_label }),
        h("span", { class: "badge " + (BADGES[item.status] || "badge_muted"), text: item.status_label })
      ),
      B.kvList([
        ["申请编号", item.number, "mono"],
        ["受理编号", item.acceptance_number || "", "mono"],
        ["房屋坐落", item.location],
        ["我的身份", item.role_label || ""],
        ["当事人", parties(item)],
        ["承诺办结", item.promised_date ? B.formatDate(item.promised_date) : ""],
        ["补正/说明", item.reason || ""],
        ["水电气过户", utilities(item)],
      ]),
      timeline(item),
      /* 交房即交证: the same unit's deed process, one story (docs/applications.md). */
      item.handover_case_id
        ? h(
            "div",
            { class: "card__actions" },
            h("a", {
              class: "btn",
              href: "/app/handover.html#case-" + item.handover_case_id,
              "data-handover-link": item.handover_case_id,
              text: "查看交房即交证进度",
            })
          )
        : null
    );
    if (item.can_confirm) {
      var confirmBtn = h("button", { type: "button", class: "btn btn_primary", "data-confirm": item.id, text: "确认办理" });
      var declineBtn = h("button", { type: "button", class: "btn", "data-decline": item.id, text: "不同意" });
      confirmBtn.addEventListener("click", function () {
        answer(item, "confirm", card);
      });
      declineBtn.addEventListener("click", function () {
        answer(item, "decline", card);
      });
      card.appendChild(h("div", { class: "card__actions" }, confirmBtn, declineBtn));
    }
    return card;
  }

  function load() {
    var box = B.$("#apps");
    if (!B.isLoggedIn()) {
      B.showLoginCell(box, "登录后查看您的办件");
      return;
    }
    B.api("GET", "/api/v1/me/applications").then(
      function (answer) {
        var items = B.listOf(answer);
        B.clear(box);
        if (!items.length) {
          B.append(box, h("p", { class: "empty", text: "暂无您作为当事人的登记申请。" }));
          return;
        }
        B.append(box, items.map(appCard));
      },
      function (error) {
        B.clear(box);
        B.handleError(error, box);
      }
    );
  }

  B.ready(load);
})();
