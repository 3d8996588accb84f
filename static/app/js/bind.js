/* Real-name binding: POST /api/v1/me/identity {name, id_number}; the server is authoritative,
 * the check digit is verified here first so a typo is caught before a round trip. */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;

  function nextTarget() {
    var next = new URLSearchParams(location.search).get("next");
    return next ? B.safeNext(next) : null;
  }

  function setFieldError(input, box, message) {
    box.textContent = message || "";
    B.show(box, !!message);
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  function showBound(me) {
    var box = B.$("#bound");
    var next = nextTarget();
    var name = me.name || (me.person && me.person.name) || "";
    var idMasked = me.id_number_masked || (me.person && me.person.id_number_masked) || "";
    B.clear(box);
    B.append(
      box,
      h(
        "div",
        { class: "result result_ok" },
        h("span", { class: "result__icon", "aria-hidden": "true", text: "✓" }),
        h("p", { class: "result__title", text: "已完成实名认证" }),
        h(
          "dl",
          { class: "kv" },
          h("div", { class: "kv__row" }, h("dt", { text: "姓名" }), h("dd", { text: name })),
          idMasked
            ? h(
                "div",
                { class: "kv__row" },
                h("dt", { text: "身份证号" }),
                h("dd", { class: "mono", text: idMasked })
              )
            : null
        )
      ),
      h(
        "div",
        { class: "btn-area" },
        h("a", {
          class: "btn btn_primary",
          href: next || "/app/index.html",
          text: next ? "继续办理" : "返回首页",
        })
      )
    );
    B.show(box);
    B.show(B.$("#bind-form"), false);
  }

  function showForm() {
    B.show(B.$("#bind-form"));
    B.show(B.$("#bound"), false);
  }

  function validate(form) {
    var name = B.$("#name").value.trim();
    var idNumber = B.$("#id_number").value.trim().toUpperCase();
    var nameProblem = null;
    if (!name) nameProblem = "请输入姓名";
    else if (!/^[\u3400-\u9fff·•.A-Za-z\s]{2,30}$/.test(name)) nameProblem = "请输入身份证上的姓名";
    var idProblem = B.idNumberProblem(idNumber);
    setFieldError(B.$("#name"), B.$("#name-error"), nameProblem);
    setFieldError(B.$("#id_number"), B.$("#id-error"), idProblem);
    if (nameProblem) B.$("#name").focus();
    else if (idProblem) B.$("#id_number").focus();
    return nameProblem || idProblem ? null : { name: name, id_number: idNumber };
  }

  function onSubmit(event) {
    event.preventDefault();
    var form = event.target;
    var formError = B.$("#form-error");
    B.show(formError, false);
    var body = validate(form);
    if (!body) return;
    var button = B.$("#submit");
    button.disabled = true;
    button.textContent = "正在提交…";
    B.api("POST", "/api/v1/me/identity", body).then(
      function (me) {
        B.toast("实名认证成功", { ok: true });
        var next = nextTarget();
        if (next && next.indexOf("/app/bind.html") !== 0) {
          setTimeout(function () {
            location.replace(next);
          }, 800);
        } else {
          showBound(me || {});
        }
      },
      function (error) {
        button.disabled = false;
        button.textContent = "提交认证";
        if (error.status === 401) {
          B.handleError(error, B.$("#content"));
          B.show(form, false);
          return;
        }
        var nameMessage = B.fieldMessage(error.errors, "name");
        var idMessage = B.fieldMessage(error.errors, "id_number");
        if (nameMessage) setFieldError(B.$("#name"), B.$("#name-error"), nameMessage);
        if (idMessage) setFieldError(B.$("#id_number"), B.$("#id-error"), idMessage);
        formError.textContent = error.detail;
        B.show(formError);
      }
    );
  }

  B.ready(function () {
    var content = B.$("#content");
    var form = B.$("#bind-form");
    form.addEventListener("submit", onSubmit);
    B.$("#id_number").addEventListener("input", function () {
      var upper = B.$("#id_number").value.toUpperCase();
      if (upper !== B.$("#id_number").value) B.$("#id_number").value = upper;
    });
    if (!B.isLoggedIn()) {
      B.showLogin(content);
      return;
    }
    B.api("GET", "/api/v1/me").then(
      function (me) {
        B.clear(content);
        if (me.identity_bound) showBound(me);
        else showForm();
      },
      function (error) {
        if (error.status === 401) B.handleError(error, content);
        else {
          B.clear(content);
          B.toast(error.detail);
          showForm();
        }
      }
    );
  });
})();
