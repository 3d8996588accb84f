/* Renders a verification answer (POST /api/v1/verify/image and /by-number). */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;

  var VERDICTS = {
    authentic: ["ok", "✓", "真实有效", "该文件由本登记中心签发，内容与登记记录一致。"],
    cancelled: ["bad", "✕", "已注销", "该证书已注销，不再具有效力，请勿采信。"],
    superseded: ["bad", "✕", "已换证，本证失效", "该证书已被新证替换，请以新证书为准。"],
    expired: ["warn", "!", "已过有效期", "该证明或加注件已超过有效期，请要求对方重新开具。"],
    forged: ["bad", "✕", "核验未通过", "二维码签名无效，文件可能被伪造或篡改，请勿采信。"],
    unknown_document: ["bad", "?", "查无此证", "本登记中心没有该证书或证明的记录，请核对后重试。"],
    malformed: ["muted", "?", "无法识别", "二维码或输入的内容无法识别，请重新扫描或手工输入。"],
  };

  var FIELDS = [
    ["kind", "文件类型", function (v) {
      return B.label("certificateKind", v);
    }],
    ["certificate_number", "证书号"],
    ["number", "证书号"],
    ["serial", "编号"],
    ["print_serial", "印制编号"],
    ["status", "登记状态", function (v) {
      return B.label("certificateStatus", v);
    }],
    ["location", "坐落"],
    ["area_m2", "面积", B.formatArea],
    ["use", "用途"],
    ["right_type", "权利类型"],
    ["holders", "权利人", B.holderNames],
    ["holder", "权利人"],
    ["applicant", "申请人"],
    ["scope", "查询范围", function (v) {
      return B.label("scope", v);
    }],
    ["result_label", "查询结果"],
    ["purpose", "用途（事由）"],
    ["maker", "制作者"],
    ["issued_at", "签发时间", B.formatTime],
    ["queried_at", "查询时点", B.formatTime],
    ["valid_until", "有效期至", B.formatTime],
    ["registry", "登记机构"],
  ];

  function documentRows(doc) {
    var seen = {};
    var rows = [];
    FIELDS.forEach(function (field) {
      var value = doc[field[0]];
      if (value === undefined || value === null || value === "" || seen[field[1]]) return;
      if (Array.isArray(value) && !value.length) return;
      var text = field[2] ? field[2](value) : String(value);
      if (!text) return;
      seen[field[1]] = true;
      rows.push([field[1], text]);
    });
    return rows;
  }

  function render(answer) {
    var code = answer.verdict || answer.result || "malformed";
    var spec = VERDICTS[code] || VERDICTS.malformed;
    var doc = answer.document || {};
    var encumbrances = answer.encumbrances || doc.encumbrances || [];
    var tone = spec[0];
    var title = answer.verdict_label || spec[2];
    if (code === "authentic" && encumbrances.length) {
      tone = "warn";
      title = "真实有效，存在" + encumbrances
        .map(function (e) {
          return B.label("encumbrance", e.kind || e.type);
        })
        .filter(function (v, i, all) {
          return all.indexOf(v) === i;
        })
        .join("、");
    }
    var units = doc.units || [];
    return h(
      "div",
      { class: "result result_" + tone, "data-verdict": code },
      h("span", { class: "result__icon", "aria-hidden": "true", text: spec[1] }),
      h("h2", { class: "result__title", id: "verdict-title", text: title }),
      h("p", { class: "result__desc", text: answer.message || answer.detail || spec[3] }),
      B.kvList(documentRows(doc)),
      units.length
        ? h(
            "ol",
            { class: "unit-list" },
            units.map(function (unit) {
              return h("li", null, [unit.location, B.formatArea(unit.area_m2), unit.use].filter(Boolean).join("，"));
            })
          )
        : null,
      encumbrances.map(B.encumbranceNotice),
      code === "authentic" && !encumbrances.length && doc.kind !== "housing_proof"
        ? h("div", { class: "notice notice_ok" }, h("strong", { text: "未发现抵押、查封、异议登记" }))
        : null,
      answer.as_of ? h("p", { class: "result__desc", text: "核验时间：" + B.formatTime(answer.as_of) }) : null,
      answer.verify_url || answer.url
        ? h("p", { class: "result__desc" }, h("a", { href: answer.verify_url || answer.url, text: "打开核验页面" }))
        : null
    );
  }

  B.renderVerdict = render;
})();
