/* The purpose (事由) picker shared by the license-copy and housing-proof forms:
 * common purposes as radio chips plus 其他 with a free-text field.
 * Markup: <div data-purpose-picker data-name="purpose" data-legend="用途"></div>
 * Read with BDC.purposeValue(container) → {value} or {error}.
 */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;
  var OTHER = "__other__";

  function build(container) {
    var name = container.getAttribute("data-name") || "purpose";
    var idBase = "pp-" + name;
    var chips = B.PURPOSES.map(function (purpose, index) {
      return h(
        "label",
        { class: "chip" },
        h("input", { type: "radio", name: name, value: purpose, checked: index === 0 }),
        h("span", { text: purpose })
      );
    });
    chips.push(
      h(
        "label",
        { class: "chip" },
        h("input", { type: "radio", name: name, value: OTHER }),
        h("span", { text: "其他" })
      )
    );
    var otherInput = h("input", {
      class: "input",
      id: idBase + "-other",
      type: "text",
      maxlength: "30",
      placeholder: "如：银行开户",
      "data-purpose-other": true,
    });
    var otherCell = h(
      "div",
      { class: "cells", hidden: true, "data-purpose-other-cell": true },
      h(
        "div",
        { class: "form-cell" },
        h("label", { for: idBase + "-other", text: "具体用途" }),
        otherInput
      )
    );
    var fieldset = h(
      "fieldset",
      { class: "fieldset" },
      h("legend", { text: container.getAttribute("data-legend") || "用途（事由）" }),
      h("div", { class: "chips" }, chips)
    );
    var previewBox = h("p", { class: "purpose-preview", "aria-live": "polite", "data-purpose-preview": true });
    B.append(container, [fieldset, otherCell, previewBox]);
    fieldset.addEventListener("change", function () {
      var other = selected(container) === OTHER;
      B.show(otherCell, other);
      if (other) otherInput.focus();
      updatePreview(container, previewBox);
    });
    var timer = null;
    otherInput.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        updatePreview(container, previewBox);
      }, 250);
    });
    updatePreview(container, previewBox);
  }

  /* The exact sentence that will be printed, as the server normalises the purpose
   * (GET /api/v1/purposes/preview): 「仅供办理银行开户使用」, or why the text cannot be used. */
  var asked = 0;
  function updatePreview(container, box) {
    var value = selected(container);
    var text = value === OTHER ? container.querySelector("[data-purpose-other]").value : value;
    if (!text || !text.trim()) {
      box.textContent = "";
      box.removeAttribute("data-sentence");
      return;
    }
    var ticket = ++asked;
    B.api("GET", "/api/v1/purposes/preview?text=" + encodeURIComponent(text), null, { auth: false }).then(
      function (answer) {
        if (ticket !== asked) return;
        box.classList.toggle("purpose-preview_bad", !!answer.error);
        if (answer.error) {
          box.textContent = answer.error;
          box.removeAttribute("data-sentence");
        } else {
          box.textContent = "文书上将印：「" + answer.sentence + "」";
          box.setAttribute("data-sentence", answer.sentence);
        }
      },
      function () {
        if (ticket === asked) box.textContent = "";
      }
    );
  }

  function selected(container) {
    var checked = container.querySelector("input[type=radio]:checked");
    return checked ? checked.value : null;
  }

  /* `root` is the picker itself or any element (a form) containing one. */
  function purposeValue(root) {
    var container = root.matches("[data-purpose-picker]")
      ? root
      : root.querySelector("[data-purpose-picker]");
    var value = selected(container);
    if (!value) return { error: "请选择用途" };
    if (value !== OTHER) return { value: value };
    var text = container.querySelector("[data-purpose-other]").value.trim();
    if (!text) return { error: "请填写具体用途" };
    if (text.length < 2) return { error: "用途至少填写2个字" };
    return { value: text };
  }

  B.purposeValue = purposeValue;
  B.ready(function () {
    document.querySelectorAll("[data-purpose-picker]").forEach(build);
  });
})();
