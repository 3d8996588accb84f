/* Verify a document: WeChat's scanner (JS-SDK), a photo of the QR code, or the numbers. */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;
  var JSSDK = "https://res.wx.qq.com/open/js/jweixin-1.6.0.js";
  var TOKEN_PATH = /^\/v\/([A-Za-z0-9_=-]+)\/?$/;

  function showVerdict(answer) {
    var box = B.$("#verdict");
    B.clear(box);
    B.append(box, B.renderVerdict(answer));
    box.focus({ preventScroll: true });
    box.scrollIntoView({ block: "start", behavior: "smooth" });
  }

  function showProblem(problem) {
    var box = B.$("#verdict");
    B.clear(box);
    B.append(
      box,
      h(
        "div",
        { class: "result result_muted", role: "alert" },
        h("span", { class: "result__icon", "aria-hidden": "true", text: "!" }),
        h("h2", { class: "result__title", text: "未能完成核验" }),
        h("p", { class: "result__desc", text: problem.detail })
      )
    );
    box.focus({ preventScroll: true });
  }

  // ---- (1) WeChat scanner ------------------------------------------------------------------

  /* The QR holds {PUBLIC_BASE_URL}/v/{TOKEN}: open that page on this site. */
  function openScanned(text) {
    var url;
    try {
      url = new URL(String(text || "").trim());
    } catch (e) {
      url = null;
    }
    var match = url && TOKEN_PATH.exec(url.pathname);
    if (!match) {
      showVerdict({ verdict: "malformed", message: "这不是本登记中心的核验二维码，请扫描证书或证明上的二维码。" });
      return;
    }
    location.href = "/v/" + match[1];
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function setupWeChat() {
    var button = B.$("#wx-scan");
    var pageUrl = location.href.split("#")[0];
    var configured = null;
    function configure() {
      if (configured) return configured;
      configured = Promise.all([
        loadScript(JSSDK),
        B.api("GET", "/api/v1/wechat/jssdk-config?url=" + encodeURIComponent(pageUrl), null, {
          auth: false,
        }),
      ]).then(function (results) {
        var config = results[1];
        return new Promise(function (resolve, reject) {
          window.wx.config({
            debug: false,
            appId: config.appId || config.app_id,
            timestamp: config.timestamp,
            nonceStr: config.nonceStr || config.nonce_str,
            signature: config.signature,
            jsApiList: ["scanQRCode"],
          });
          window.wx.ready(resolve);
          window.wx.error(function () {
            reject(new B.ApiError(0, "jssdk_error", "微信扫一扫暂时不可用，请改用拍照上传"));
          });
        });
      });
      configured.catch(function () {
        configured = null;
      });
      return configured;
    }
    B.show(button);
    var photo = B.$("#photo-btn");
    photo.textContent = "从相册选择二维码图片";
    photo.classList.remove("btn_primary");
    B.$("#photo").removeAttribute("capture"); // let WeChat offer the album, not only the camera
    button.addEventListener("click", function () {
      button.disabled = true;
      configure()
        .then(function () {
          window.wx.scanQRCode({
            needResult: 1,
            scanType: ["qrCode"],
            success: function (res) {
              openScanned(res.resultStr);
            },
            cancel: function () {},
            fail: function () {
              B.toast("扫码失败，请改用拍照上传");
            },
          });
        })
        .catch(function (error) {
          B.toast((error && error.detail) || "微信扫一扫暂时不可用，请改用拍照上传");
        })
        .then(function () {
          button.disabled = false;
        });
    });
    configure().catch(function () {});
  }

  // ---- (2) photo ---------------------------------------------------------------------------

  function onPhoto(event) {
    var file = event.target.files && event.target.files[0];
    if (!file) return;
    var preview = B.$("#photo-preview");
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.src = URL.createObjectURL(file);
    B.show(preview);
    if (file.size > 6 * 1024 * 1024) {
      showProblem({ detail: "照片超过 6MB，请裁剪二维码部分后重新上传" });
      event.target.value = "";
      return;
    }
    B.loading(B.$("#verdict"), "正在识别二维码…");
    // Read on the phone and check the signature there first (scan-offline.mjs), else upload.
    var local = B.checkPhoto ? B.checkPhoto(file) : Promise.resolve(false);
    local.then(function (handled) {
      if (handled) {
        event.target.value = "";
        return;
      }
      var form = new FormData();
      form.append("image", file, file.name || "qr.jpg");
      B.api("POST", "/api/v1/verify/image", form, { auth: false })
        .then(showVerdict, showProblem)
        .then(function () {
          event.target.value = "";
        });
    });
  }

  // ---- (3) numbers ---------------------------------------------------------------------------

  function onManual(event) {
    event.preventDefault();
    var error = B.$("#manual-error");
    var number = B.$("#certificate_number").value.trim();
    var serial = B.$("#print_serial").value.replace(/\s+/g, "");
    var message = null;
    if (!number) message = "请输入证书号";
    else if (!/^\d{11}$/.test(serial)) message = "印制编号应为11位数字";
    if (message) {
      error.textContent = message;
      B.show(error);
      return;
    }
    B.show(error, false);
    var button = B.$("#manual-submit");
    button.disabled = true;
    B.loading(B.$("#verdict"), "正在核验…");
    B.api(
      "POST",
      "/api/v1/verify/by-number",
      { certificate_number: number, print_serial: serial },
      { auth: false }
    )
      .then(showVerdict, function (problem) {
        B.clear(B.$("#verdict"));
        error.textContent = problem.detail;
        B.show(error);
      })
      .then(function () {
        button.disabled = false;
      });
  }

  B.ready(function () {
    if (B.inWeChat()) setupWeChat();
    B.$("#photo").addEventListener("change", onPhoto);
    B.$("#manual-form").addEventListener("submit", onManual);
  });
})();
