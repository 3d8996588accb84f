/* 产权变动提醒: GET /api/v1/me/alerts (newest first, unread count),
 * POST /api/v1/me/alerts/{id}/read, POST /api/v1/me/alerts/{id}/dispute {note?},
 * GET/PUT /api/v1/me/alert-settings {unit_number, enabled}. */
(function () {
  "use strict";
  var B = window.BDC;
  // The words of a dispute come from the server (/app/js/words.js, labels.py).
  var DISPUTE = (window.BDC_WORDS || {}).alertDispute || {};
  var h = B.h;

  var KIND_BADGE = {
    application_filed: "badge_warn",
    application_accepted: "badge_warn",
    application_registered: "badge_muted",
    encumbrance_added: "badge_bad",
    encumbrance_released: "badge_ok",
    certificate_cancelled: "badge_bad",
    certificate_superseded: "badge_muted",
    monthly_digest: "badge_ok",
  };

  function setUnread(count) {
    var badge = B.$("#unread");
    badge.textContent = count ? count + " 条未读" : "";
    badge.hidden = !count;
  }

  function disputeBlock(item) {
    if (item.dispute) {
      var open = item.dispute.status === "open";
      return h(
        "div",
        { class: "notice" + (open ? "" : " notice_ok"), "data-dispute": item.dispute.status },
        h("strong", { text: open ? DISPUTE.open : DISPUTE.cleared }),
        item.dispute.clear_reason ? h("span", { text: "核查结论：" + item.dispute.clear_reason }) : null
      );
    }
    if (!item.disputable) return null;
    var button = h("button", {
      type: "button",
      class: "btn btn_warn",
      "data-dispute-button": item.id,
      text: "这不是我办的",
    });
    button.addEventListener("click", function () {
      var note = h("textarea", {
        class: "textarea",
        rows: "3",
        maxlength: "500",
        "aria-label": "补充说明（选填）",
        placeholder: "补充说明（选填），如：本人从未委托办理",
      });
      B.dialog({
        title: "确认这不是您办理的？",
        body: h(
          "div",
          null,
          h("p", { text: "提交后，该申请将暂停登簿，由登记机构核查。提交方只会被告知“正在核查”，不会知道是谁提出的。" }),
          note
        ),
        ok: DISPUTE.submit,
      }).then(function (ok) {
        if (!ok) return;
        button.disabled = true;
        var body = note.value.trim() ? { note: note.value.trim() } : {};
        B.api("POST", "/api/v1/me/alerts/" + item.id + "/dispute", body).then(
          function (answer) {
            B.toast(answer.message, { ok: true, duration: 3000 });
            load();
          },
          function (error) {
            button.disabled = false;
            B.handleError(error, B.$("#alerts"));
          }
        );
      });
    });
    return h("div", { class: "card__actions" }, button);
  }

  function markRead(item, card) {
    if (item.read) return;
    item.read = true;
    B.api("POST", "/api/v1/me/alerts/" + item.id + "/read").then(
      function () {
        card.removeAttribute("data-unread");
        var flag = card.querySelector("[data-unread-flag]");
        if (flag) flag.remove();
        var badge = B.$("#unread");
        var left = parseInt(badge.textContent, 10) - 1;
        setUnread(left > 0 ? left : 0);
      },
      function () {
        item.read = false;
      }
    );
  }

  function alertCard(item, focus) {
    var body = h("p", { class: "card__sub", text: item.body });
    var card = h(
      "article",
      {
        class: "card",
        "data-alert": item.id,
        "data-kind": item.kind,
        "data-unread": item.read ? null : "1",
        tabindex: "-1",
      },
      h(
        "div",
        { class: "card__hd" },
        h("h3", { class: "card__title", text: item.title }),
        h(
          "span",
          null,
          item.read ? null : h("span", { class: "badge badge_warn", "data-unread-flag": "1", text: "未读" }),
          h("span", { class: "badge " + (KIND_BADGE[item.kind] || "badge_muted"), text: item.kind_label })
        )
      ),
      B.kvList([
        ["时间", B.formatTime(item.created_at)],
        ["坐落", item.location || ""],
      ]),
      body,
      disputeBlock(item)
    );
    card.addEventListener("click", function (event) {
      if (event.target.closest("button")) return;
      markRead(item, card);
    });
    if (focus) {
      setTimeout(function () {
        card.scrollIntoView();
        card.focus();
        markRead(item, card);
      }, 0);
    }
    return card;
  }

  function load() {
    var box = B.$("#alerts");
    if (!B.isLoggedIn()) {
      B.clear(box);
      B.showLogin(box, "登录后查看您名下不动产的变动提醒");
      B.clear(B.$("#settings"));
      return;
    }
    var wanted = parseInt(new URLSearchParams(window.location.search).get("id") || "0", 10);
    B.api("GET", "/api/v1/me/alerts?per_page=50").then(
      function (answer) {
        B.clear(box);
        setUnread(answer.unread);
        if (!answer.items.length) {
          B.append(box, h("p", { class: "empty", text: "暂无提醒。您名下的不动产发生变动时，会第一时间通知您。" }));
          return;
        }
        B.append(
          box,
          answer.items.map(function (item) {
            return alertCard(item, item.id === wanted);
          })
        );
      },
      function (error) {
        B.clear(box);
        B.handleError(error, box);
      }
    );
    loadSettings();
  }

  function settingRow(item) {
    var input = h("input", {
      type: "checkbox",
      role: "switch",
      "data-unit": item.unit_number,
      "aria-label": "接收“" + item.location + "”的变动提醒",
    });
    input.checked = item.enabled;
    input.addEventListener("change", function () {
      var wanted = input.checked;
      input.disabled = true;
      B.api("PUT", "/api/v1/me/alert-settings", { unit_number: item.unit_number, enabled: wanted }).then(
        function () {
          input.disabled = false;
          B.toast(wanted ? "已开启该房产的提醒" : "已关闭该房产的提醒", { ok: true });
        },
        function (error) {
          input.disabled = false;
          input.checked = !wanted;
          B.handleError(error, B.$("#settings"));
        }
      );
    });
    return h(
      "label",
      { class: "cell" },
      h("span", { class: "cell__bd" }, h("span", { text: item.location }), h("span", { class: "cell__sub", text: item.unit_number })),
      h("span", { class: "cell__ft" }, input)
    );
  }

  function loadSettings() {
    var box = B.$("#settings");
    B.api("GET", "/api/v1/me/alert-settings").then(
      function (answer) {
        B.clear(box);
        if (!answer.items.length) {
          B.append(box, h("p", { class: "empty", text: "您名下暂无登记的不动产。" }));
          return;
        }
        B.append(box, h("div", { class: "cells" }, answer.items.map(settingRow)));
      },
      function (error) {
        B.clear(box);
        B.handleError(error, box);
      }
    );
  }

  B.ready(load);
})();
