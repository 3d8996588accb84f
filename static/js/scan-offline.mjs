/**
 * Scan page (/app/scan.html): check a QR code on the phone first, then ask for the live status.
 *
 * A photo is decoded here (BarcodeDetector where the browser has it, else jsQR served from our
 * origin); a typed or pasted link is read as it is. The signature is checked at once with the
 * kept key set — 「签名有效（本机核验）：由…签发」 — and the registry's live answer (mortgage,
 * seizure, cancellation) follows when the network answers. Without a network the page says the
 * signature is genuine but the status could not be checked, and when the key set was fetched.
 * Offline, the service worker opens this page for a /v/ link: it then checks that link.
 * scan.js (photo upload, WeChat scanner, numbers) calls B.checkPhoto when this module loaded.
 */
import {
  checkLocally,
  claimRows,
  fetchLive,
  localWords,
  registerServiceWorker,
  statusUnknownText,
  tokenOf,
} from "./offline-check.mjs";

const B = window.BDC;
const h = B.h;
const ICONS = { ok: "✓", warn: "!", bad: "✕", muted: "?" };
const JSQR = "/static/vendor/jsqr/jsQR.js";
const MAX_SIDE = 1280; // photos are scaled down to this before jsQR reads them

function registryName() {
  const meta = document.querySelector('meta[name="registry-name"]');
  return (meta && meta.content) || "登记中心";
}

function focus(box) {
  box.focus({ preventScroll: true });
  if (box.scrollIntoView) box.scrollIntoView({ block: "start", behavior: "smooth" });
}

/** Check a link or token: the local verdict at once, then the live status. */
export async function checkLink(text) {
  const box = B.$("#verdict");
  let token = tokenOf(text);
  const { verdict, keys, backend } = token ? await checkLocally(text) : { verdict: null };
  // Not a token at all: the server reads it by the same rules, so there is nothing to ask.
  if (verdict && (verdict.reason === "malformed" || verdict.reason === "too_large")) token = null;
  const reason = token ? (verdict ? verdict.reason : "no_keys") : "malformed";
  const [tone, title, desc] = localWords(token ? verdict : { reason: "malformed" }, registryName());
  const status = h("p", {
    class: "result__desc local-status",
    role: "status",
    text: "正在查询现势状态（抵押、查封、注销）…",
  });
  // What the phone read from the signed claims: shown until the server answers, then replaced
  // by the server's display rows (issue #15: the app shows the server's rows once it has them).
  const claims = verdict && verdict.claims ? B.kvList(claimRows(verdict.claims)) : null;
  const local = h(
    "div",
    {
      class: `result result_${tone} local-verdict local-verdict--${reason}`,
      "data-local-verdict": reason,
      "data-ed25519": backend,
    },
    h("span", { class: "result__icon", "aria-hidden": "true", text: ICONS[tone] }),
    h("h2", { class: "result__title", text: title }),
    h("p", { class: "result__desc", text: desc }),
    claims,
    token ? status : null
  );
  B.clear(box);
  B.append(box, local);
  focus(box);
  if (!token) return;

  const live = await fetchLive(token);
  if (live.answer) {
    status.remove();
    if (claims) claims.remove();
    B.append(box, B.renderVerdict(live.answer));
  } else if (live.offline) {
    status.replaceWith(
      h("div", { class: "notice status-unknown", role: "status" }, h("strong", { text: "现势状态未能查询" }),
        h("span", { text: statusUnknownText(verdict, keys) }))
    );
  } else {
    status.textContent = live.problem.detail || "核验服务暂时不可用，请稍后再试";
  }
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    if (window.jsQR) return resolve();
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = reject;
    document.head.appendChild(script);
  });
}

async function imageOf(file) {
  if (window.createImageBitmap) {
    try {
      return await createImageBitmap(file);
    } catch (e) {
      /* fall through to <img> */
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Texts of the QR codes in a photo, read on the phone ([] when none is found). */
export async function decodePhoto(file) {
  const image = await imageOf(file);
  if ("BarcodeDetector" in window) {
    try {
      const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      const codes = await detector.detect(image);
      if (codes.length) return codes.map((c) => c.rawValue);
    } catch (e) {
      /* not supported for this format or image: jsQR below */
    }
  }
  await loadScript(JSQR);
  const width = image.width;
  const height = image.height;
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
  const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const code = window.jsQR(pixels.data, canvas.width, canvas.height, {
    inversionAttempts: "attemptBoth",
  });
  return code && code.data ? [code.data] : [];
}

/** For scan.js: true when the photo held a verification link (checked here), else false. */
async function checkPhoto(file) {
  let texts = [];
  try {
    texts = await decodePhoto(file);
  } catch (e) {
    return false; // the server reads it instead
  }
  const link = texts.find((t) => tokenOf(t));
  if (!link) return false;
  await checkLink(link);
  return true;
}

function onLinkSubmit(event) {
  event.preventDefault();
  const input = B.$("#link");
  const error = B.$("#link-error");
  const text = input.value.trim();
  if (!text) {
    error.textContent = "请输入或粘贴证书、证明上二维码的核验链接";
    B.show(error);
    return;
  }
  B.show(error, false);
  checkLink(text);
}

B.checkPhoto = checkPhoto;
B.checkLink = checkLink;
registerServiceWorker();
B.ready(() => {
  const form = B.$("#link-form");
  if (form) form.addEventListener("submit", onLinkSubmit);
  // Offline, the service worker answers a /v/{TOKEN} link with this page: check that link.
  if (/^\/[vV]\/[^/]+\/?$/.test(location.pathname)) checkLink(location.href);
});
