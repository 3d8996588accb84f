/* Renders a verification answer of /api/v1/verify/image and /api/v1/verify/by-number:
 * {verdict, verdict_label, reason, content_changed, document?, encumbrances[], as_of}. */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;

  // verdict → [tone, icon, title, explanation]
  var VERDICTS = {
    authentic: ["ok", "✓", "真实有效", "该文件由本登记中心签发，与登记簿记载一致。"],
    cancelled: ["bad", "✕", "已注销", "该证书已注销，不再具有效力，请勿采信。"],
    superseded: ["bad", "✕", "已换证，本证失效", "该证书已换发新证，请以新证书为准。"],
    expired: ["warn", "!", "已过有效期", "该证明或加注件已超过有效期，请要求对方重新开具。"],
    forged: ["bad", "✕", "核验未通过", "二维码签名无效，文件可能被伪造或篡改，请勿采信。"],
    unknown_document: ["bad", "?", "查无此证", "未找到与输入信息一致的证书或证明，请核对后重试。"],
    malformed: ["muted", "?", "无法识别", "二维码或输入的内容无法识别，请重新扫描或手工输入。"],
  };

  var CO_OWNERSHIP = { sole: "单独所有", joint: "共同共有", shares: "按份共有" };

  function list(value) {
    return Array.isArray(value) ? value.join("、") : value;
  }

  function documentRows(doc) {
    return [
      ["文件类型", doc.kind_label],
      [doc.kind === "housing_proof" ? "证明编号" : "证号", doc.number, "mono"],
      ["登记状态", doc.status_label],
      ["换发新证", doc.superseded_by],
      ["对应证书", doc.certificate_number],
      ["证书状态", doc.certificate_status],
      ["坐落", doc.location],
      ["面积", B.formatArea(doc.area_m2)],
      ["用途", doc.use],
      ["权利类型", doc.right_type],
      ["共有方式", CO_OWNERSHIP[doc.co_ownership]],
      ["权利人", list(doc.holders)],
      ["抵押权人等", doc.rights_holder],
      ["义务人", list(doc.obligors)],
      ["申请人", doc.applicant || doc.holder],
      ["查询结果", doc.result_label],
      ["住房套数", doc.unit_count === null || doc.unit_count === undefined ? "" : doc.unit_count + " 套"],
      ["事由", doc.purpose],
      ["制作者", doc.maker],
      ["查询时点", doc.queried_at ? B.formatTime(doc.queried_at) : ""],
      ["签发日期", doc.issued_on ? B.formatDate(doc.issued_on) : ""],
      ["有效期至", doc.valid_until ? B.formatTime(doc.valid_until) : ""],
    ];
  }

  function render(answer) {
    var code = answer.verdict || "malformed";
    var spec = VERDICTS[code] || VERDICTS.malformed;
    var doc = answer.document || null;
    var encumbrances = answer.encumbrances || [];
    var tone = spec[0];
    // The same words as the public /v/ page (真实有效 / 已注销 / 已换证 / 已过期 / 无法验证).
    var title = answer.verdict_label || spec[2];
    if (code === "authentic" && encumbrances.length) {
      tone = "warn";
      var kinds = [];
      encumbrances.forEach(function (e) {
        var text = e.label || B.label("encumbrance", e.kind);
        if (kinds.indexOf(text) < 0) kinds.push(text);
      });
      title = "真实有效，存在" + kinds.join("、");
    }
    var isCertificate = doc && /certificate$/.test(doc.kind || "");
    return h(
      "div",
      { class: "result result_" + tone, "data-verdict": code },
      h("span", { class: "result__icon", "aria-hidden": "true", text: spec[1] }),
      h("h2", { class: "result__title", id: "verdict-title", text: title }),
      h("p", { class: "result__desc", text: answer.message || spec[3] }),
      doc ? B.kvList(documentRows(doc)) : null,
      encumbrances.map(B.encumbranceNotice),
      code === "authentic" && !encumbrances.length && isCertificate
        ? h("div", { class: "notice notice_ok" }, h("strong", { text: "未发现抵押、查封、异议登记" }))
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
