/* GET /api/v1/me/handover (timeline of the citizen's purchases),
 * POST /api/v1/me/handover/subscriptions {case_id}, GET /api/v1/handover/projects (public). */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;

  var PROJECT_STAGES = [
    ["land_first_registration", "土地首次登记"],
    ["construction_mortgage", "在建工程抵押"],
    ["completion_survey", "竣工验收测绘"],
    ["developer_first_registration", "房屋首次登记"],
  ];

  function stageIndex(code) {
    for (var i = 0; i < PROJECT_STAGES.length; i++) if (PROJECT_STAGES[i][0] === code) return i;
    return -1;
  }

  function blockerNotice(blocker) {
    return h(
      "div",
      { class: "notice", "data-blocker": blocker.kind || "" },
      h("strong", { text: (blocker.label || "办理受阻") + (blocker.authority ? "（" + blocker.authority + "）" : "") }),
      blocker.reason ? h("span", { text: blocker.reason }) : null,
      blocker.since ? h("span", { class: "cell__sub", text: "自 " + B.formatDate(blocker.since) + " 起" }) : null
    );
  }

  /* One row per unit stage: reached ones green with time, the current one highlighted with
   * the next step's guidance and any blocker in orange. */
  function timeline(item) {
    var openBlockers = (item.blockers || []).filter(function (b) {
      return !b.resolved_at;
    });
    var step = item.next_step;
    var finished = !step;
    return h(
      "ol",
      { class: "timeline", "aria-label": "办理进度" },
      (item.timeline || []).map(function (row) {
        var state = "todo";
        if (row.status === "skipped") state = "skipped";
        else if (row.current && !finished) state = "current";
        else if (row.reached) state = "done";
        var blocked = state === "current" && (openBlockers.length > 0 || (step && step.blocked));
        var statusText = {
          done: "已完成",
          current: "当前环节",
          todo: "未开始",
          skipped: "不需办理",
        }[state];
        var body = null;
        if (state === "current") {
          body = h(
            "div",
            { class: "tl__body" },
            step
              ? h(
                  "p",
                  { class: "tl__next" },
                  h("strong", { text: "下一步：" + step.label + (step.buyer_action_required ? "（需要您本人办理）" : "") }),
                  h("span", { class: "tl__note", text: step.guidance })
                )
              : null,
            openBlockers.map(blockerNotice)
          );
        }
        return h(
          "li",
          {
            class: "tl tl_" + state + (blocked ? " tl_blocked" : ""),
            "data-stage": row.stage,
            "aria-current": state === "current" ? "step" : null,
          },
          h("span", { class: "tl__dot", "aria-hidden": "true" }),
          h("span", { class: "tl__name", text: row.label }),
          h("span", { class: "tl__state", text: statusText }),
          row.reached_at ? h("span", { class: "tl__time", text: B.formatTime(row.reached_at) }) : null,
          row.note && state !== "todo" ? h("span", { class: "tl__note", text: row.note }) : null,
          body
        );
      })
    );
  }

  function subscribeButton(item) {
    var subscribed = !!item.subscribed;
    var button = h("button", {
      type: "button",
      class: "btn" + (subscribed ? "" : " btn_primary"),
      "data-subscribe": item.id,
      disabled: subscribed,
      text: subscribed ? "已订阅进度提醒" : "订阅进度提醒（微信消息）",
    });
    button.addEventListener("click", function () {
      button.disabled = true;
      B.api("POST", "/api/v1/me/handover/subscriptions", { case_id: item.id }).then(
        function () {
          button.textContent = "已订阅进度提醒";
          button.classList.remove("btn_primary");
          B.toast("订阅成功，办理进度变化时将通过微信通知您", { ok: true, duration: 2500 });
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
    var blocked = (item.next_step && item.next_step.blocked) || (item.blockers || []).length > 0;
    var done = !item.next_step;
    var badge = done
      ? h("span", { class: "badge badge_ok", text: "已交房交证" })
      : blocked
        ? h("span", { class: "badge badge_warn", text: "等待处理" })
        : h("span", { class: "badge badge_muted", text: item.stage_label });
    return h(
      "article",
      { class: "card", id: "case-" + item.id, tabindex: "-1", "data-case": item.id },
      h("div", { class: "card__hd" }, h("h3", { class: "card__title", text: project.name || "" }), badge),
      B.kvList([
        ["房屋坐落", item.location],
        ["建筑面积", B.formatArea(item.area_m2)],
        ["网签合同号", item.contract_number, "mono"],
        ["开发企业", project.developer],
        ["当前环节", item.stage_label],
      ]),
      timeline(item),
      item.done_message ? h("div", { class: "notice notice_ok" }, h("strong", { text: item.done_message })) : null,
      h(
        "div",
        { class: "card__actions card__actions_stack" },
        item.e_license
          ? h("a", { class: "btn btn_primary", href: "/app/licenses.html", text: "查看电子证照" })
          : subscribeButton(item)
      )
    );
  }

  /* Opened from 我的办件 (#case-{id}): the cards arrive after the browser looked for the
     fragment, so bring the case into view and give it focus here. */
  function showLinkedCase() {
    var match = /^#case-(\d+)$/.exec(window.location.hash);
    var card = match && document.getElementById("case-" + match[1]);
    if (!card) return;
    card.scrollIntoView({ block: "start" });
    card.focus({ preventScroll: true });
  }

  function loadMine() {
    var box = B.$("#mine");
    if (!B.isLoggedIn()) {
      B.showLoginCell(box, "登录后查看您所购房屋的办证进度");
      return;
    }
    var cancel = B.loadingLater(box);
    B.api("GET", "/api/v1/me/handover").then(
      function (answer) {
        cancel();
        var items = B.listOf(answer);
        B.clear(box);
        if (!items.length) {
          B.append(box, h("p", { class: "empty", text: "暂未查询到您作为购房人的交房即交证办件。" }));
          return;
        }
        B.append(box, items.map(caseCard));
        showLinkedCase();
      },
      function (error) {
        cancel();
        B.clear(box);
        B.handleError(error, box, loadMine);
      }
    );
  }

  function projectCard(project) {
    var index = stageIndex(project.stage);
    var total = PROJECT_STAGES.length;
    var blockers = project.open_blockers || [];
    var badge;
    if (blockers.length) badge = h("span", { class: "badge badge_warn", text: "存在办证障碍" });
    else if (project.handover_reached) badge = h("span", { class: "badge badge_ok", text: "已实现交房即交证" });
    else if (project.ready_for_transfer) badge = h("span", { class: "badge badge_ok", text: "具备办证条件" });
    else badge = h("span", { class: "badge badge_muted", text: "办理中" });
    var units = project.units_total
      ? project.handed_over_units + " / " + project.units_total + " 套已交房交证"
      : "";
    return h(
      "li",
      { class: "card", "data-project": project.id },
      h("div", { class: "card__hd" }, h("h3", { class: "card__title", text: project.name }), badge),
      B.kvList([
        ["开发企业", project.developer],
        ["项目坐落", project.location],
        ["项目进度", project.stage_label || "尚未开始"],
        ["计划交房", project.planned_handover_on ? B.formatDate(project.planned_handover_on) : ""],
        ["交付情况", units],
      ]),
      h(
        "ol",
        { class: "steps-bar", "aria-label": "项目办理进度：已完成" + (index + 1) + "步，共" + total + "步" },
        PROJECT_STAGES.map(function (pair, i) {
          return h("li", { class: i <= index ? "is-done" : "", text: pair[1] });
        })
      ),
      blockers.map(blockerNotice)
    );
  }

  function loadProjects() {
    var box = B.$("#projects");
    var cancel = B.loadingLater(box);
    B.api("GET", "/api/v1/handover/projects", null, { auth: false }).then(
      function (answer) {
        cancel();
        var items = B.listOf(answer);
        B.clear(box);
        if (!items.length) {
          B.append(box, h("p", { class: "empty", text: "暂无公示的楼盘。" }));
          return;
        }
        B.append(box, h("ul", { class: "list-reset" }, items.map(projectCard)));
      },
      function (error) {
        cancel();
        B.failure(box, "未能加载：" + error.detail, loadProjects);
      }
    );
  }

  B.ready(function () {
    loadMine();
    loadProjects();
  });
})();
