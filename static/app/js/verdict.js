/* Renders a verification answer of /api/v1/verify/image and /api/v1/verify/by-number:
 * {verdict, tone, icon, headline, advice, display[{label, value}], encumbrances[], as_of}.
 * Three states: green (ok) only for a clean, current document, amber (warn) for a genuine
 * but encumbered one, red (bad) for the rest — always with an icon and words too. */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;

  // Only for an answer the page makes itself (a scanned code that is not ours): the server's
  // words of the malformed verdict (words.js), the red tone and its icon.
  var FALLBACK = ["bad", "✕", B.label("verdict", "malformed"), B.label("verdictText", "malformed")];

  /* The server's words and rows (one vocabulary, one formatter: verification/tone.py and the
   * page's display rows) — the app never translates or formats a verdict itself. */
  function render(answer) {
    var code = answer.verdict || "malformed";
    var spec = FALLBACK;
    var encumbrances = answer.encumbrances || [];
    var tone = answer.tone || spec[0];
    var rows = (answer.display || []).map(function (row) {
      return [row.label, row.value];
    });
    return h(
      "div",
      { class: "result result_" + tone, "data-verdict": code, "data-tone": tone },
      h("span", { class: "result__icon", "aria-hidden": "true", text: answer.icon || spec[1] }),
      h("h2", { class: "result__title", id: "verdict-title", text: answer.headline || spec[2] }),
      h("p", { class: "result__desc", text: answer.message || answer.advice || spec[3] }),
      rows.length ? B.kvList(rows) : null,
      encumbrances.map(B.encumbranceNotice),
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
