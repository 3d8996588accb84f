/* Shared renderers of the citizen pages: status badges, encumbrance notices, key-value lists,
 * holder names. Extends window.BDC (dom.js, format.js and api.js load first). */
(function () {
  "use strict";

  var B = window.BDC;
  var h = B.h;
  var label = B.label;
  var formatDate = B.formatDate;

  // ---- shared renderers ----------------------------------------------------------------------------

  /* Badge for a certificate status (现势 green, 已注销 red, 已换证 grey). */
  function statusBadge(status, text) {
    if (!status) return null;
    var cls = status === "valid" || status === "current" ? "badge_ok" : "badge_bad";
    if (status === "superseded") cls = "badge_muted";
    return h("span", { class: "badge " + cls, text: text || label("certificateStatus", status) });
  }

  function encumbranceLabel(item) {
    return item.kind_label || item.label || label("encumbrance", item.kind);
  }

  function encumbranceBadge(item) {
    var cls = item.kind === "seizure" ? "badge_bad" : "badge_warn";
    return h("span", { class: "badge " + cls, text: encumbranceLabel(item) });
  }

  function first(obj, keys) {
    for (var i = 0; i < keys.length; i++) {
      var value = obj[keys[i]];
      if (value !== undefined && value !== null && value !== "") return value;
    }
    return null;
  }

  /* "存在抵押" + "抵押权人：某银行，2021-03-02 起" and the reason on a second line. */
  function encumbranceNotice(item) {
    var holderLabel = { mortgage: "抵押权人", seizure: "查封机关", objection: "申请人" }[item.kind];
    var start = first(item, ["started_on", "started_at"]);
    var parts = [];
    if (item.holder) parts.push((holderLabel || "权利人") + "：" + item.holder);
    if (start) parts.push(formatDate(start) + " 起");
    return h(
      "div",
      { class: "notice" + (item.kind === "seizure" ? " notice_bad" : ""), "data-encumbrance": item.kind },
      h("strong", { text: "存在" + encumbranceLabel(item) }),
      parts.length ? h("span", { text: parts.join("，") }) : null,
      item.reason ? h("span", { class: "cell__sub", text: String(item.reason) }) : null
    );
  }

  /* <dl class="kv"> from [[label, value], …]; rows with an empty value are left out. */
  function kvList(rows) {
    var dl = h("dl", { class: "kv" });
    rows.forEach(function (row) {
      var value = row[1];
      if (value === null || value === undefined || value === "") return;
      dl.appendChild(
        h(
          "div",
          { class: "kv__row" },
          h("dt", { text: row[0] }),
          h("dd", row[2] ? { class: row[2] } : null, value)
        )
      );
    });
    return dl;
  }

  /* "张建国（本人）、李*英" from [{name, share, is_me}] or plain strings. */
  function holderNames(holders) {
    if (!holders) return "";
    if (typeof holders === "string") return holders;
    return holders
      .map(function (holder) {
        if (typeof holder === "string") return holder;
        var text = holder.name || "";
        var notes = [];
        if (holder.is_me) notes.push("本人");
        if (holder.share) notes.push("份额 " + holder.share);
        return notes.length ? text + "（" + notes.join("，") + "）" : text;
      })
      .join("、");
  }

  B.statusBadge = statusBadge;
  B.encumbranceBadge = encumbranceBadge;
  B.encumbranceNotice = encumbranceNotice;
  B.kvList = kvList;
  B.holderNames = holderNames;
  B.first = first;
})();
