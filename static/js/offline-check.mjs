/**
 * Checking a verification link on the phone: the key set (kept by the service worker, with the
 * time it was fetched), the local verdict in words, and the live status from the server.
 * Used by the scan page (scan-offline.mjs) and the /v/ page (v-page.mjs). No framework.
 */
import { KeySet, ed25519Backend, extractToken, isShowing, textToToken, verify } from "./verify.mjs";

export const JWKS_URL = "/.well-known/jwks.json";
const STORE_KEY = "bdc.jwks"; // localStorage copy for browsers without a service worker
const LIVE_TIMEOUT_MS = 15000;

const KIND_LABELS = {
  property: "不动产权证书",
  registration: "不动产登记证明",
  elicense_copy: "电子证照加注件",
  housing_proof: "房屋证明",
};

/** Register /sw.js (scope /) where the browser has service workers; never throws. */
export function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return Promise.resolve(null);
  return navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => null);
}

function readStored() {
  try {
    const stored = JSON.parse(window.localStorage.getItem(STORE_KEY) || "null");
    return stored && stored.jwks ? stored : null;
  } catch (e) {
    return null;
  }
}

function store(jwks, fetchedAt) {
  try {
    window.localStorage.setItem(STORE_KEY, JSON.stringify({ jwks, fetchedAt }));
  } catch (e) {
    /* private mode: the service worker's copy (or none) will do */
  }
}

/**
 * The key set: {keyset, fetchedAt (ms), source}; null when there is none at all.
 * Through the service worker the answer carries X-Fetched-At; without one the network answer
 * is fresh (and kept in localStorage for the next offline check).
 */
export async function loadKeys({ refresh = false } = {}) {
  try {
    const response = await fetch(JWKS_URL, {
      headers: refresh ? { "X-Keys-Refresh": "1" } : {},
      cache: refresh ? "no-store" : "default",
      credentials: "omit",
    });
    if (!response.ok) throw new Error("HTTP " + response.status);
    const jwks = await response.json();
    const fetchedAt = Number(response.headers.get("X-Fetched-At")) || Date.now();
    const keyset = KeySet.fromJwks(jwks);
    store(jwks, fetchedAt);
    return { keyset, fetchedAt, version: response.headers.get("X-Keyset-Version") };
  } catch (e) {
    const stored = readStored();
    if (!stored) return null;
    try {
      return { keyset: KeySet.fromJwks(stored.jwks), fetchedAt: stored.fetchedAt, version: null };
    } catch (err) {
      return null;
    }
  }
}

/** "2026-11-30 18:20" in the phone's time zone. */
export function formatMs(ms) {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}`
  );
}

/** The token text of a link, or null when it is not a verification link at all. */
export function tokenOf(text) {
  try {
    const token = extractToken(String(text || ""));
    textToToken(token);
    return token;
  } catch (e) {
    return null;
  }
}

/**
 * Check `text` on this phone. Returns {verdict, keys, backend} where verdict is verify.mjs's
 * answer (or null when no key set is available at all) and backend the Ed25519 code used
 * ("webcrypto" or "noble"). An unknown key first fetches the key set again (a key made after
 * the phone's copy).
 */
export async function checkLocally(text) {
  let keys = await loadKeys();
  const backend = await ed25519Backend();
  if (!keys) return { verdict: null, keys: null, backend };
  let verdict = await verify(text, keys.keyset);
  if (verdict.reason === "unknown_key") {
    const fresh = await loadKeys({ refresh: true });
    if (fresh) {
      keys = fresh;
      verdict = await verify(text, keys.keyset);
    }
  }
  return { verdict, keys, backend };
}

/** [tone, title, explanation] of a local verdict, in the citizen's words. */
export function localWords(verdict, registryName) {
  const signed = "签名有效（本机核验）：由" + registryName + "签发";
  switch (verdict ? verdict.reason : null) {
    case "valid":
      return ["ok", signed, "二维码内容未被篡改。"];
    case "expired":
      if (isShowing(verdict.claims)) {
        return ["warn", "亮证码已过期（本机核验）", "这是亮证时出示的临时二维码，不代表证书无效，请权利人重新亮证。"];
      }
      return ["warn", signed, "但已超过有效期，请要求对方重新开具。"];
    case "not_yet_valid":
      return ["warn", "签名有效（本机核验），但签发时间晚于本机时间", "请检查手机的日期和时间。"];
    case "bad_signature":
      return ["bad", "签名无效（本机核验）", "二维码内容与签名不符，可能被篡改或伪造，请勿采信。"];
    case "compromised_key":
      return ["bad", "签名无效（本机核验）", "签名所用密钥已被登记中心宣布作废，请勿采信。"];
    case "unknown_key":
      return ["muted", "本机无法核验签名", "签名密钥不在本机保存的公钥集中，以在线核验结果为准。"];
    case "malformed":
    case "too_large":
      return ["muted", "无法识别", "这不是本登记中心的核验二维码，请扫描证书或证明上的二维码。"];
    default:
      return ["muted", "本机无法核验签名", "本机没有登记中心的公钥集，请联网后重试。"];
  }
}

/** Rows (label, value) of the signed claims for display. */
export function claimRows(claims) {
  if (!claims) return [];
  const time = (s) => (s === null ? "" : formatMs(s * 1000));
  return [
    ["文件类型", KIND_LABELS[claims.kind] || claims.kind],
    ["编号", claims.number],
    ["签发时间", time(claims.iat)],
    ["有效期至", claims.exp === null ? "长期" : time(claims.exp)],
  ];
}

/** The sentence shown when the server cannot be reached. */
export function statusUnknownText(verdict, keys) {
  const when = keys ? "本机公钥集更新于 " + formatMs(keys.fetchedAt) + "。" : "";
  if (verdict && (verdict.reason === "valid" || verdict.reason === "expired")) {
    return (
      "无法连接登记中心：签名真实，但当前状态（抵押、查封、注销等）未能查询，" +
      "请联网后再次核验。" +
      when
    );
  }
  return "无法连接登记中心，未能在线核验。" + when;
}

/**
 * Ask the server for the live answer: {answer} (200), {problem} (4xx problem JSON) or
 * {offline: true} when there is no network (or no answer within 15 s).
 */
export async function fetchLive(token) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), LIVE_TIMEOUT_MS);
  try {
    const response = await fetch("/api/v1/verify/" + encodeURIComponent(token), {
      headers: { Accept: "application/json" },
      credentials: "omit",
      signal: controller.signal,
    });
    if (response.headers.get("X-Offline") === "1") return { offline: true }; // from sw.js
    const body = await response.json().catch(() => null);
    if (response.ok && body) return { answer: body };
    return { problem: body || { detail: "核验服务暂时不可用，请稍后再试" } };
  } catch (e) {
    return { offline: true };
  } finally {
    clearTimeout(timer);
  }
}
