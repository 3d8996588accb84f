/* Formatting for the citizen pages: dates, areas, Chinese labels of API codes, the ID-number
 * check digit and field messages of problems. Extends window.BDC (dom.js loads first). */
(function () {
  "use strict";

  // ---- formatting --------------------------------------------------------------------------------

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function parseDate(value) {
    if (!value) return null;
    var d = new Date(value);
    return isNaN(d.getTime()) ? null : d;
  }

  function formatTime(value) {
    var d = parseDate(value);
    if (!d) return value ? String(value) : "";
    return (
      d.getFullYear() +
      "-" +
      pad(d.getMonth() + 1) +
      "-" +
      pad(d.getDate()) +
      " " +
      pad(d.getHours()) +
      ":" +
      pad(d.getMinutes())
    );
  }

  function formatDate(value) {
    if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
    var d = parseDate(value);
    if (!d) return value ? String(value) : "";
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  function formatArea(value) {
    if (value === null || value === undefined || value === "") return "";
    var n = Number(value);
    return (isNaN(n) ? String(value) : n.toFixed(2)) + " 平方米";
  }

  /* Lists come either bare or wrapped ({items: [...]}). */
  function listOf(answer, key) {
    if (Array.isArray(answer)) return answer;
    if (!answer) return [];
    if (key && Array.isArray(answer[key])) return answer[key];
    if (Array.isArray(answer.items)) return answer.items;
    return [];
  }

  // ---- labels of API codes -----------------------------------------------------------------------

  /* Labels and purposes come from the server (/app/js/words.js, miniapp_api/labels.py), so the
   * app says what the API, the /v/ page and the documents say. */
  var LABELS = window.BDC_WORDS || {};

  var PURPOSES = (LABELS.purposes || [])
    .filter(function (p) {
      return !p.free_text;
    })
    .map(function (p) {
      return p.label;
    });

  function labels(group) {
    return LABELS[group] || {};
  }

  function label(group, code) {
    var table = LABELS[group] || {};
    return table[code] || code || "";
  }

  // ---- ID number (GB 11643-1999, ISO 7064 MOD 11-2) ------------------------------------------------

  var ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var ID_CHECK = "10X98765432";

  /* Returns null when valid, otherwise a Chinese reason. */
  function idNumberProblem(value) {
    var id = String(value || "").trim().toUpperCase();
    if (!id) return "请输入身份证号";
    if (!/^\d{17}[\dX]$/.test(id)) return "身份证号应为18位，最后一位可以是数字或X";
    var y = Number(id.slice(6, 10));
    var m = Number(id.slice(10, 12));
    var d = Number(id.slice(12, 14));
    var birth = new Date(y, m - 1, d);
    if (
      y < 1900 ||
      birth.getFullYear() !== y ||
      birth.getMonth() !== m - 1 ||
      birth.getDate() !== d ||
      birth.getTime() > Date.now()
    ) {
      return "身份证号中的出生日期不正确";
    }
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += Number(id[i]) * ID_WEIGHTS[i];
    if (ID_CHECK[sum % 11] !== id[17]) return "身份证号校验位不正确，请核对后重新输入";
    return null;
  }

  /* A field's message from a 422 problem's `errors` map, only when it is written in Chinese. */
  function fieldMessage(errors, key) {
    var value = errors && errors[key];
    while (Array.isArray(value)) value = value[0];
    if (typeof value !== "string") return null;
    return /[\u3400-\u9fff]/.test(value) ? value : null;
  }

  var B = window.BDC;
  B.formatTime = formatTime;
  B.formatDate = formatDate;
  B.formatArea = formatArea;
  B.listOf = listOf;
  B.label = label;
  B.labels = labels;
  B.LABELS = LABELS;
  B.PURPOSES = PURPOSES;
  B.idNumberProblem = idNumberProblem;
  B.fieldMessage = fieldMessage;
})();
