/* Renders a verification answer of /api/v1/verify/image and /api/v1/verify/by-number:
 * {verdict, verdict_label, reason, content_changed, document?, display[]?, encumbrances[],
 *  as_of}. The words and the rows are the server's (the same the /v/ page,
 * the JSON answer and the partner API show); only tone and icon are chosen here. */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;

  // verdict → [tone, icon]
  var LOOK = {
    authentic: ["ok", "✓"],
    cancelled: ["bad", "✕"],
    superseded: ["bad", "✕"],
    expired: ["warn", "!"],
    forged: ["bad", "✕"],
    unknown_document: ["bad", "?"],
    malformed: ["muted", "?"],
  };

  function rows(answer) {
    return (answer.display || []).map(function (row) {
      return [row.label, row.value];
    });
  }

  function render(answer) {
    var code = answer.verdict || "malformed";
    var look = LOOK[code] || LOOK.malformed;
    var doc = answer.document || null;
    var encumbrances = answer.encumbrances || [];
    var tone = look[0];
    var title = answer.verdict_label || B.label("verdict", code);
    if (code === "authentic" && encumbrances.length) {
      tone = "warn";
      var kinds = [];
      encumbrances.forEach(function (e) {
        var text = e.label || B.label("encumbrance", e.kind);
        if (kinds.indexOf(text) < 0) kinds.push(text);
      });
      title = title + "，存在" + kinds.join("、");
    }
    var isCertificate = doc && /certificate$/.test(doc.kind || "");
    var clear = Object.keys(B.labels("encumbrance")).map(function (kind) {
      return B.label("encumbrance", kind);
    });
    return h(
      "div",
      { class: "result result_" + tone, "data-verdict": code },
      h("span", { class: "result__icon", "aria-hidden": "true", text: look[1] }),
      h("h2", { class: "result__title", id: "verdict-title", text: title }),
      h("p", { class: "result__desc", text: B.label("verdictText", code) }),
      B.kvList(rows(answer)),
      encumbrances.map(B.encumbranceNotice),
      code === "authentic" && !encumbrances.length && isCertificate
        ? h("div", { class: "notice notice_ok" }, h("strong", { text: "未发现" + clear.join("、") }))
        : null,
      answer.content_changed
        ? h(
            "div",
            { class: "notice" },
            h("strong", { text: "登记内容在签发后有变更" }),
            h("span", { text: "请以登记簿的最新记载为准。" })
          )
        : null,
      answer.as_of
        ? h("p", { class: "result__desc", text: "核验时间：" + B.formatTime(answer.as_of) })
        : null
    );
  }

  B.renderVerdict = render;
})();
