/* Showing an issued document (e-license copy or housing proof) with its signed download links.
 * WeChat's browser cannot save blobs and cannot send an Authorization header when it opens a
 * file, so the server hands out short-lived signed links (download_links {png, pdf}); they are
 * opened as ordinary navigations, and the PNG is shown inline to be long-pressed and saved. */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;

  function links(doc) {
    var l = (doc && doc.download_links) || {};
    return { png: l.png || null, pdf: l.pdf || null, expires_at: l.expires_at || null };
  }

  function downloadButtons(doc) {
    var l = links(doc);
    var buttons = [];
    if (l.png) {
      buttons.push(
        h("a", {
          class: "btn btn_primary",
          href: l.png,
          "data-download": "png",
          text: "打开图片（长按保存）",
        })
      );
    }
    if (l.pdf) {
      buttons.push(
        h("a", { class: "btn", href: l.pdf, "data-download": "pdf", text: "打开 PDF 文件" })
      );
    }
    if (l.expires_at) {
      var minutes = Math.max(1, Math.round((l.expires_at * 1000 - Date.now()) / 60000));
      buttons.push(
        h("p", { class: "tips tips_center", text: "以上链接约 " + minutes + " 分钟内有效，过期请重新获取。" })
      );
    }
    return buttons;
  }

  function preview(doc, alt) {
    var l = links(doc);
    if (!l.png) return null;
    return h(
      "figure",
      { class: "doc-figure" },
      h("img", { class: "doc-img", src: l.png, alt: alt }),
      h("figcaption", {
        class: "tips",
        text: "长按图片可保存到手机或发送给办事单位。",
      })
    );
  }

  B.documentLinks = links;
  B.downloadButtons = downloadButtons;
  B.documentPreview = preview;
})();
