/* Showing an issued document (e-license copy or housing proof) with its signed download links.
 * WeChat's browser cannot save blobs: the links are opened as ordinary navigations, and the
 * PNG is shown inline so the citizen can long-press it to save or forward it. */
(function () {
  "use strict";
  var B = window.BDC;
  var h = B.h;

  function links(doc) {
    var l = doc.download_links || doc.links || {};
    return { png: l.png || doc.png_url || null, pdf: l.pdf || doc.pdf_url || null };
  }

  /* Buttons that open the signed links (same tab: WeChat opens PDFs in its viewer). */
  function downloadButtons(doc) {
    var l = links(doc);
    var buttons = [];
    if (l.png) {
      buttons.push(
        h("a", { class: "btn btn_primary", href: l.png, "data-download": "png", text: "打开图片（长按保存）" })
      );
    }
    if (l.pdf) {
      buttons.push(h("a", { class: "btn", href: l.pdf, "data-download": "pdf", text: "下载 PDF 文件" }));
    }
    return buttons;
  }

  function preview(doc, alt) {
    var l = links(doc);
    if (!l.png) return null;
    return h(
      "figure",
      { class: "doc-figure" },
      h("img", { class: "doc-img", src: l.png, alt: alt, loading: "lazy" }),
      h("figcaption", { class: "tips", text: "长按图片可保存到手机或发送给办事单位；链接有效期较短，过期后请重新生成。" })
    );
  }

  B.documentLinks = links;
  B.downloadButtons = downloadButtons;
  B.documentPreview = preview;
})();
