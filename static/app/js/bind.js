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
    noPropertyNote(box.querySelector(".result"));
  }

  /* Too many attempts: say how long to wait, and that the counter can help meanwhile. */
  function rateLimited(error, hours) {
    var wait = error.retryAfter;
    var when = wait ? "请 " + (wait >= 90 ? Math.ceil(wait / 60) + " 分钟" : wait + " 秒") + "后再试" : "请稍后再试";
    var counter = "也可携带身份证到登记中心窗口办理" + (hours ? "（" + hours + "）" : "") + "。";
    return "尝试次数过多，为保护您的身份信息已暂停认证，" + when + "；" + counter;
  }

  /* After binding: a person the registry has nothing on is told so — plainly, not as an error. */
  function noPropertyNote(box) {
    B.api("GET", "/api/v1/me/properties").then(
      function (items) {
        if (B.listOf(items).length) return;
        B.append(
          box,
          h(
            "div",
            { class: "notice notice_ok", "data-no-property": true },
            h("strong", { text: "登记中心暂无您的不动产记录，仍可开具无房证明" }),
            h("a", { href: "/app/proofs.html", text: "去开具无房证明" })
          )
        );
      },
      function () {}
    );
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
        if (error.status === 429) {
          formError.textContent = rateLimited(error, form.getAttribute("data-hours"));
          B.show(formError);
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
