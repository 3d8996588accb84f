/* GET /api/v1/me/handover (timeline of the citizen's purchases),
 * POST /api/v1/me/handover/subscriptions {case_id}, GET /api/v1/handover/projects. */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;

  var UNIT_STAGES = [
    ["contract_filing", "网签备案"],
    ["advance_notice", "预告登记"],
    ["deed_tax", "契税缴纳"],
    ["transfer_application", "转移登记受理"],
    ["registered", "登簿"],
    ["certificate_issued", "缮证发证"],
    ["handed_over", "交房即交证"],
  ];
  var PROJECT_STAGES = [
    ["land_first_registration", "土地首次登记"],
    ["construction_mortgage", "在建工程抵押"],
    ["completion_survey", "竣工验收与测绘"],
    ["developer_first_registration", "房屋首次登记"],
  ];
  // What the buyer can expect after each stage (shown under the current one).
  var NEXT_STEP = {
    contract_filing: "下一步：预告登记。开发企业将为您申请预告登记；贷款购房的，同时办理抵押权预告登记。",
    advance_notice: "下一步：契税缴纳。请按通知通过线上渠道或到税务窗口缴纳契税。",
    deed_tax: "下一步：转移登记受理。交房前由开发企业统一提交申请，您无需再到窗口排队。",
    transfer_application: "下一步：登簿。登记机构审核通过后，将记载于不动产登记簿。",
    registered: "下一步：缮证发证。将同时制作纸质证书和电子证照。",
    certificate_issued: "下一步：交房即交证。收房时即可领取不动产权证书。",
    handed_over: "已完成：房屋与不动产权证书已一并交付，可在“电子证照”中查看和下载。",
  };
  var BLOCKERS = {
    land_premium_unpaid: "土地出让金未缴清",
    planning_acceptance_failed: "规划核实未通过",
    construction_mortgage_unreleased: "在建工程抵押未解除",
    court_seizure: "司法查封",
    other: "其他原因",
  };

  function stageLabel(table, code) {
    for (var i = 0; i < table.length; i++) if (table[i][0] === code) return table[i][1];
    return code || "";
  }

  function stageIndex(table, code) {
    for (var i = 0; i < table.length; i++) if (table[i][0] === code) return i;
    return -1;
  }

  /* Normalise the API's case into seven stage rows {code, label, reached_at, state}. */
  function stageRows(item) {
    var reached = {};
    (item.events || []).forEach(function (event) {
      reached[event.stage || event.code] = event.reached_at || event.at || true;
    });
    (item.stages || item.timeline || []).forEach(function (stage) {
      if (stage.reached_at || stage.reached || stage.status === "done" || stage.done) {
        reached[stage.code || stage.stage] = stage.reached_at || true;
      }
    });
    var current = item.stage || item.current_stage;
    var currentIndex = stageIndex(UNIT_STAGES, current);
    return UNIT_STAGES.map(function (pair, index) {
      var state = "todo";
      if (index < currentIndex || (index === currentIndex && current === "handed_over")) {
        state = "done";
      } else if (index === currentIndex) {
        state = "current";
      }
      var at = reached[pair[0]];
      return { code: pair[0], label: pair[1], reached_at: at === true ? null : at, state: state };
    });
  }

  function blockerList(item) {
    return (item.blockers || []).filter(function (b) {
      return !b.resolved_at;
    });
  }

  function blockerNotice(blocker) {
    var kind = BLOCKERS[blocker.kind] || blocker.kind_label || blocker.kind || "办理受阻";
    return h(
      "div",
      { class: "notice", "data-blocker": blocker.kind || "" },
      h("strong", { text: "暂停原因：" + (blocker.kind_label || kind) }),
      blocker.reason ? h("span", { text: blocker.reason }) : null,
      blocker.authority ? h("span", { class: "cell__sub", text: "责任单位：" + blocker.authority }) : null
    );
  }

  function timeline(item) {
    var blockers = blockerList(item);
    var next = item.next_step || item.guidance || NEXT_STEP[item.stage || item.current_stage];
    return h(
      "ol",
      { class: "timeline", "aria-label": "办理进度" },
      stageRows(item).map(function (row) {
        var blocked = row.state === "current" && blockers.length > 0;
        var cls = "tl tl_" + row.state + (blocked ? " tl_blocked" : "");
        var status = { done: "已完成", current: "当前环节", todo: "未开始" }[row.state];
        return h(
          "li",
          { class: cls, "data-stage": row.code, "aria-current": row.state === "current" ? "step" : null },
          h("span", { class: "tl__dot", "aria-hidden": "true" }),
          h("span", { class: "tl__name", text: row.label }),
          h("span", { class: "sr-only", text: "（" + status + "）" }),
          row.reached_at ? h("span", { class: "tl__time", text: B.formatTime(row.reached_at) }) : null,
          row.state === "current"
            ? h(
                "div",
                { class: "tl__body" },
                next ? h("p", { class: "tl__note", text: next }) : null,
                blockers.map(blockerNotice)
              )
            : null
        );
      })
    );
  }

  function subscribeButton(item) {
    var subscribed = !!(item.subscribed || item.is_subscribed);
    var button = h("button", {
      type: "button",
      class: "btn" + (subscribed ? "" : " btn_primary"),
      "data-subscribe": item.id || item.case_id,
      disabled: subscribed,
      text: subscribed ? "已订阅进度提醒" : "订阅进度提醒（微信消息）",
    });
    button.addEventListener("click", function () {
      button.disabled = true;
      B.api("POST", "/api/v1/me/handover/subscriptions", { case_id: item.id || item.case_id }).then(
        function () {
          button.textContent = "已订阅进度提醒";
          button.classList.remove("btn_primary");
          B.toast("订阅成功，进度变化时将通过微信通知您", { ok: true, duration: 2500 });
        },
        function (error) {
          button.disabled = false;
          B.handleError(error, B.$("#mine"));
        }
      );
    });
    return button;
  }

  function caseCard(item) {
    var project = item.project || {};
    var unit = item.unit || {};
    var projectName = item.project_name || project.name || "";
    var current = item.stage || item.current_stage;
    var blockers = blockerList(item);
    return h(
      "article",
      { class: "card", "data-case": item.id || item.case_id },
      h(
        "div",
        { class: "card__hd" },
        h("h3", { class: "card__title", text: projectName }),
        h(
          "span",
          { class: "badge " + (blockers.length ? "badge_warn" : current === "handed_over" ? "badge_ok" : "badge_muted") },
          blockers.length ? "暂停办理" : item.stage_label || stageLabel(UNIT_STAGES, current)
        )
      ),
      B.kvList([
        ["房屋坐落", item.location || unit.location],
        ["网签合同号", item.contract_number, "mono"],
        ["开发企业", item.developer || project.developer],
      ]),
      timeline(item),
      h("div", { class: "card__actions card__actions_stack" }, subscribeButton(item))
    );
  }

  function loadMine() {
    var box = B.$("#mine");
    if (!B.isLoggedIn()) {
      B.clear(box);
      B.append(
        box,
        h(
          "div",
          { class: "cells" },
          h(
            "button",
            {
              type: "button",
              class: "cell cell_access cell_button",
              onclick: function () {
                B.login();
              },
            },
            h("span", { class: "cell__bd", text: "登录后查看您所购房屋的办证进度" })
          )
        )
      );
      return;
    }
    B.api("GET", "/api/v1/me/handover").then(
      function (answer) {
        var items = B.listOf(answer, "cases");
        B.clear(box);
        if (!items.length) {
          B.append(box, h("p", { class: "empty", text: "暂未查询到您作为购房人的交房即交证办件。" }));
          return;
        }
        B.append(box, items.map(caseCard));
      },
      function (error) {
        B.clear(box);
        B.handleError(error, box);
      }
    );
  }

  function projectRow(project) {
    var index = stageIndex(PROJECT_STAGES, project.stage);
    var total = PROJECT_STAGES.length;
    var blocked = (project.blockers || []).filter(function (b) {
      return !b.resolved_at;
    });
    var planned = project.planned_handover_on || project.planned_handover;
    return h(
      "li",
      { class: "card", "data-project": project.id },
      h(
        "div",
        { class: "card__hd" },
        h("h3", { class: "card__title", text: project.name }),
        blocked.length
          ? h("span", { class: "badge badge_warn", text: "存在办证障碍" })
          : h("span", {
              class: "badge " + (index === total - 1 ? "badge_ok" : "badge_muted"),
              text: index === total - 1 ? "具备办证条件" : "办理中",
            })
      ),
      B.kvList([
        ["开发企业", project.developer],
        ["项目坐落", project.location],
        ["当前进度", project.stage_label || stageLabel(PROJECT_STAGES, project.stage) || "尚未开始"],
        ["计划交房", planned ? B.formatDate(planned) : ""],
      ]),
      h(
        "ol",
        { class: "steps-bar", "aria-label": "项目办理进度：第" + (index + 1) + "步，共" + total + "步" },
        PROJECT_STAGES.map(function (pair, i) {
          return h("li", { class: i <= index ? "is-done" : "", text: pair[1] });
        })
      ),
      blocked.map(blockerNotice)
    );
  }

  function loadProjects() {
    var box = B.$("#projects");
    B.api("GET", "/api/v1/handover/projects", null, { auth: false }).then(
      function (answer) {
        var items = B.listOf(answer, "projects");
        B.clear(box);
        if (!items.length) {
          B.append(box, h("p", { class: "empty", text: "暂无公示的楼盘。" }));
          return;
        }
        B.append(box, h("ul", { class: "list-reset" }, items.map(projectRow)));
      },
      function (error) {
        B.clear(box);
        B.append(box, h("p", { class: "empty", text: error.detail }));
      }
    );
  }

  B.ready(function () {
    loadMine();
    loadProjects();
  });
})();
