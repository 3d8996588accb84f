/**
 * Verifier for the registry's verification tokens (COSE_Sign1 / Ed25519 in a QR link), in the
 * browser or in Node, without a build step. It follows docs/verification-token.md rule by rule
 * and gives the same verdict reason as the Python reference (`python -m verify`) for every
 * input: the vectors in tests/vectors/ and a differential test keep the two in step.
 *
 *   import { KeySet, verify } from "/static/js/verify.mjs";
 *   const keys = KeySet.fromJwks(await (await fetch("/.well-known/jwks.json")).json());
 *   const verdict = await verify(linkOrToken, keys, { now: Date.now() / 1000 });
 *   // {ok, reason, detail, kid, claims}
 *
 * Ed25519: WebCrypto where the browser has it, else the audited pure-JS @noble/ed25519
 * (served from our origin, static/vendor/, copied there by `make setup`). SHA-256/512 for the
 * key ids and the fallback come from @noble/hashes (same place).
 */
import { sha256, sha512 } from "../vendor/noble-hashes/sha2.js";

export const MAX_TOKEN_BYTES = 1024;
export const MAX_TOKEN_TEXT = 1639; // ceil(1024 * 8 / 5) base32 characters
export const MAX_URL_TEXT = 4096;
export const DEFAULT_SKEW = 300;
export const MAX_TIME = Number.MAX_SAFE_INTEGER; // 2^53 - 1, bound of iat and exp
export const REASONS = [
  "valid",
  "malformed",
  "too_large",
  "unknown_key",
  "bad_signature",
  "expired",
  "not_yet_valid",
  "compromised_key",
];
/** Exit status of `python -m verify` (and of verify-cli.mjs) per reason. */
export const EXIT_CODES = {
  valid: 0,
  malformed: 3,
  too_large: 4,
  unknown_key: 5,
  bad_signature: 6,
  expired: 7,
  not_yet_valid: 8,
  compromised_key: 9,
};

const COSE_SIGN1_TAG = 18;
const ALG_EDDSA = -8;
const KID_LENGTH = 8;
const SIGNATURE_LENGTH = 64;

export const KINDS = {
  1: ["property", "不动产权证书", "Property certificate"],
  2: ["registration", "不动产登记证明", "Registration certificate"],
  3: ["elicense_copy", "电子证照加注件", "E-license annotated copy"],
  4: ["housing_proof", "房屋证明", "Housing proof"],
};
export const PROVINCES = {
  11: "京", 12: "津", 13: "冀", 14: "晋", 15: "蒙", 21: "辽", 22: "吉", 23: "黑",
  31: "沪", 32: "苏", 33: "浙", 34: "皖", 35: "闽", 36: "赣", 37: "鲁",
  41: "豫", 42: "鄂", 43: "湘", 44: "粤", 45: "桂", 46: "琼",
  50: "渝", 51: "川", 52: "黔", 53: "云", 54: "藏",
  61: "陕", 62: "甘", 63: "青", 64: "宁", 65: "新",
  71: "台", 81: "港", 82: "澳",
}; // prettier-ignore
const SERIES = { 1: "不动产权", 2: "不动产证明" };
// Section 4: the code points a number kept as text may use (no Unicode tables involved).
export const NUMBER_TEXT_RANGES = [
  [0x0021, 0x007e],
  [0x3001, 0x3029],
  [0x3030, 0x303f],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xff01, 0xff5e],
];
const MAX_NUMBER_TEXT_BYTES = 20;
const ISSUER_RE = /^[0-9A-Z]{18}$/;

class TokenError extends Error {
  constructor(reason, detail) {
    super(detail);
    this.reason = reason;
  }
}
const malformed = (detail) => new TokenError("malformed", detail);

// ---- bytes ---------------------------------------------------------------------------------

export function toHex(bytes) {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export function fromHex(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Unpadded, canonical base64url (RFC 7515); throws otherwise. */
export function b64urlDecode(text) {
  if (typeof text !== "string") throw new Error("expected unpadded base64url text");
  if (text.length % 4 === 1) throw new Error("bad base64url length");
  const out = [];
  let acc = 0;
  let bits = 0;
  for (const ch of text) {
    const v = B64URL.indexOf(ch);
    if (v < 0) throw new Error("bad base64url character");
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) throw new Error("non-canonical base64url");
  return Uint8Array.from(out);
}

export function b64urlEncode(bytes) {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += B64URL[(acc >> bits) & 63];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits) out += B64URL[(acc << (6 - bits)) & 63];
  return out;
}

// ---- token text and links (section 6) ------------------------------------------------------

const ASCII_WHITESPACE = /^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g;
const VISIBLE_ASCII = /^[\x21-\x7e]*$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const TAIL_BITS = { 0: 0, 2: 2, 4: 4, 5: 1, 7: 3 }; // unused bits by length mod 8

function codePointsOver(text, limit) {
  if (text.length <= limit) return false;
  let n = 0;
  for (const _ of text) if (++n > limit) return true; // eslint-disable-line no-unused-vars
  return false;
}

/** Token text (upper case) from a verification link or from bare token text. */
export function extractToken(input) {
  if (codePointsOver(input, MAX_URL_TEXT)) throw new TokenError("too_large", "URL too long");
  const text = input.replace(ASCII_WHITESPACE, "");
  if (!VISIBLE_ASCII.test(text)) {
    throw malformed("only visible ASCII characters may appear in a token or link");
  }
  if (!text.includes("/")) return text.toUpperCase();
  let path = text.split("#", 1)[0].split("?", 1)[0];
  const scheme = SCHEME.exec(path);
  if (scheme) path = path.slice(scheme[0].length);
  if (path.startsWith("//")) {
    const slash = path.indexOf("/", 2);
    path = slash >= 0 ? path.slice(slash) : "";
  }
  const segments = path.replace(/\/+$/, "").split("/");
  const n = segments.length;
  if (n < 2 || (segments[n - 2] !== "v" && segments[n - 2] !== "V") || !segments[n - 1]) {
    throw malformed("no /v/{TOKEN} in the URL");
  }
  return segments[n - 1].toUpperCase();
}

/** Decode unpadded, canonical RFC 4648 base32 (either ASCII case). */
export function textToToken(text) {
  if (codePointsOver(text, MAX_TOKEN_TEXT)) {
    throw new TokenError("too_large", `token text longer than ${MAX_TOKEN_TEXT} characters`);
  }
  if (!/^[\x00-\x7f]*$/.test(text)) throw malformed("token text is not unpadded base32");
  const upper = text.toUpperCase();
  if (!upper || !/^[A-Z2-7]*$/.test(upper) || !(upper.length % 8 in TAIL_BITS)) {
    throw malformed("token text is not unpadded base32");
  }
  const out = new Uint8Array(Math.floor((upper.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let pos = 0;
  for (const ch of upper) {
    acc = (acc << 5) | BASE32.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[pos++] = (acc >> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) throw malformed("token text is not canonical base32");
  return out;
}

export function tokenToText(bytes) {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits) out += BASE32[(acc << (5 - bits)) & 31];
  return out;
}

// ---- strict CBOR (section 2, rule 2) -------------------------------------------------------

const SHORTEST_FLOOR = { 24: 24n, 25: 0x100n, 26: 0x10000n, 27: 0x100000000n };
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

class Reader {
  constructor(data, maxDepth, shortest) {
    this.data = data;
    this.pos = 0;
    this.maxDepth = maxDepth;
    this.shortest = shortest;
  }

  head() {
    const d = this.data;
    if (this.pos >= d.length) throw malformed("truncated CBOR item");
    const initial = d[this.pos++];
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (info < 24) return [major, BigInt(info)];
    if (info > 27) throw malformed("indefinite length or reserved CBOR encoding");
    const size = 1 << (info - 24);
    if (this.pos + size > d.length) throw malformed("truncated CBOR item");
    let arg = 0n;
    for (let i = 0; i < size; i++) arg = (arg << 8n) | BigInt(d[this.pos++]);
    if (this.shortest && arg < SHORTEST_FLOOR[info]) {
      throw malformed("non_shortest: a CBOR head is longer than needed");
    }
    return [major, arg];
  }

  /** One item: integers as Number (BigInt beyond 2^53-1), bstr, text, Array, Map. */
  item(depth) {
    const [major, arg] = this.head();
    if (major === 0) return small(arg);
    if (major === 1) return small(-1n - arg);
    if (major === 2 || major === 3) {
      if (arg > BigInt(this.data.length - this.pos)) {
        throw malformed("string runs past the end of the input");
      }
      const bytes = this.data.subarray(this.pos, this.pos + Number(arg));
      this.pos += Number(arg);
      if (major === 2) return bytes;
      try {
        return UTF8.decode(bytes);
      } catch (e) {
        throw malformed("text string is not UTF-8");
      }
    }
    if (major === 4 || major === 5) {
      if (depth >= this.maxDepth) throw malformed("CBOR nesting too deep");
      if (arg > BigInt(this.data.length - this.pos)) {
        throw malformed("container count exceeds the input size");
      }
      const count = Number(arg);
      if (major === 4) {
        const out = [];
        for (let i = 0; i < count; i++) out.push(this.item(depth + 1));
        return out;
      }
      const out = new Map();
      const seen = new Set();
      for (let i = 0; i < count; i++) {
        const key = this.item(depth + 1);
        if (typeof key !== "number" && typeof key !== "bigint" && typeof key !== "string") {
          throw malformed("map keys must be integers or text strings");
        }
        const id = typeof key === "string" ? "t" + key : "i" + String(key);
        if (seen.has(id)) throw malformed("duplicate map key");
        seen.add(id);
        out.set(key, this.item(depth + 1)); // a BigInt key stays BigInt: never a known label
      }
      return out;
    }
    if (major === 6) throw malformed("unexpected CBOR tag");
    throw malformed("floats and simple values are not allowed");
  }
}

function small(big) {
  return big >= -BigInt(Number.MAX_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(big)
    : big;
}

function decodeStrict(data, maxDepth, { tagged = false, shortest = false } = {}) {
  const reader = new Reader(data, maxDepth, shortest);
  let tag = null;
  if (tagged && data.length && data[0] >> 5 === 6) tag = reader.head()[1];
  const value = reader.item(0);
  if (reader.pos !== data.length) throw malformed("trailing bytes after the CBOR item");
  return { tag, value };
}

function bstrHead(length) {
  if (length < 24) return Uint8Array.of(0x40 | length);
  if (length < 0x100) return Uint8Array.of(0x58, length);
  return Uint8Array.of(0x59, length >> 8, length & 0xff); // tokens are at most 1024 bytes
}

/** ["Signature1", protected, h'', payload] with shortest-form heads (RFC 9052 4.4). */
export function sigStructure(protectedBytes, payload) {
  return concat(
    Uint8Array.of(0x84, 0x6a),
    new TextEncoder().encode("Signature1"),
    bstrHead(protectedBytes.length),
    protectedBytes,
    Uint8Array.of(0x40),
    bstrHead(payload.length),
    payload
  );
}

/** The COSE_Sign1 envelope, strictly (rules 1-5); throws a TokenError. */
export function parseEnvelope(token) {
  if (token.length > MAX_TOKEN_BYTES) {
    throw new TokenError("too_large", `token longer than ${MAX_TOKEN_BYTES} bytes`);
  }
  const { tag, value: body } = decodeStrict(token, 2, { tagged: true, shortest: true });
  if (tag === null) throw malformed("wrong_tag: untagged, expected tag 18 (COSE_Sign1)");
  if (tag !== BigInt(COSE_SIGN1_TAG)) throw malformed(`wrong_tag: expected tag 18, got ${tag}`);
  if (!Array.isArray(body) || body.length !== 4) {
    throw malformed("COSE_Sign1 must be an array of 4 items");
  }
  const [protectedBytes, unprotected, payload, signature] = body;
  if (!(protectedBytes instanceof Uint8Array) || !(payload instanceof Uint8Array)) {
    throw malformed("protected header and payload must be byte strings");
  }
  if (!(unprotected instanceof Map) || unprotected.size !== 0) {
    throw malformed("unprotected header must be an empty map");
  }
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LENGTH) {
    throw malformed("signature must be 64 bytes");
  }
  const header = decodeStrict(protectedBytes, 1).value;
  if (!(header instanceof Map) || header.size !== 2 || !header.has(1) || !header.has(4)) {
    throw malformed("protected header must be a map of exactly alg (1) and kid (4)");
  }
  if (header.get(1) !== ALG_EDDSA) throw malformed("wrong_algorithm: expected EdDSA (-8)");
  const kid = header.get(4);
  if (!(kid instanceof Uint8Array) || kid.length !== KID_LENGTH) {
    throw malformed(`kid must be ${KID_LENGTH} bytes`);
  }
  return { protectedBytes, payload, signature, kid };
}

// ---- claims (section 4) --------------------------------------------------------------------

const LABELS = { iss: 1, exp: 4, iat: 6, id: 7, kind: -1, number: -2, digest: -3 };
const REQUIRED = [1, 6, 7, -1, -2, -3];
const KNOWN = new Set([...REQUIRED, 4]);

const isTime = (v) => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= MAX_TIME;
const isInt = (v) => typeof v === "number" || typeof v === "bigint";

function inRanges(codePoint) {
  return NUMBER_TEXT_RANGES.some(([lo, hi]) => codePoint >= lo && codePoint <= hi);
}

function checkNumberText(text) {
  const bytes = new TextEncoder().encode(text).length;
  if (!text || bytes > MAX_NUMBER_TEXT_BYTES) {
    throw malformed(`payload: number text must be 1..${MAX_NUMBER_TEXT_BYTES} UTF-8 bytes`);
  }
  for (const ch of text) {
    if (!inRanges(ch.codePointAt(0))) throw malformed("payload: number text character");
  }
}

function checkCompact(parts) {
  if (parts.length !== 4) throw malformed("payload: certificate number must have 4 parts");
  if (!parts.every(isInt)) throw malformed("payload: certificate number parts must be integers");
  const [province, year, series, sequence] = parts;
  if (!(province in PROVINCES) || typeof province !== "number") {
    throw malformed("payload: unknown province code");
  }
  if (!(year >= 1000 && year <= 9999)) throw malformed("payload: year must have 4 digits");
  if (series !== 1 && series !== 2) throw malformed("payload: series must be 1 or 2");
  if (!(sequence >= 0 && sequence <= 9999999)) throw malformed("payload: sequence");
}

/** Printed form of a compact number (the place is left out: `…`). */
export function formatNumber(number, place = null) {
  if (typeof number === "string") return number;
  const [province, year, series, sequence] = number;
  return (
    `${PROVINCES[province]}(${year})${place || "…"}` +
    `${SERIES[series]}第${String(sequence).padStart(7, "0")}号`
  );
}

/** Parse and check a payload (rule 9); the same JSON view as Python's Claims.to_dict(). */
export function parseClaims(payload) {
  let obj;
  try {
    obj = decodeStrict(payload, 2).value;
  } catch (e) {
    throw malformed("payload: " + e.message);
  }
  if (!(obj instanceof Map)) throw malformed("payload: not a map");
  for (const key of obj.keys()) {
    if (!KNOWN.has(key)) throw malformed("payload: unexpected label");
  }
  for (const label of REQUIRED) if (!obj.has(label)) throw malformed("payload: missing label");
  const iss = obj.get(LABELS.iss);
  const iat = obj.get(LABELS.iat);
  const exp = obj.has(LABELS.exp) ? obj.get(LABELS.exp) : null;
  const id = obj.get(LABELS.id);
  const kind = obj.get(LABELS.kind);
  const number = obj.get(LABELS.number);
  const digest = obj.get(LABELS.digest);
  if (!isInt(kind)) throw malformed("payload: kind must be an integer code");
  if (typeof kind !== "number" || !(kind in KINDS)) throw malformed("payload: unknown kind");
  if (typeof iss !== "string" || !ISSUER_RE.test(iss)) throw malformed("payload: iss");
  if (!isTime(iat)) throw malformed("payload: iat must be an integer of 0 .. 2^53-1");
  if (exp !== null && !(isTime(exp) && exp > iat)) throw malformed("payload: exp");
  if (!(id instanceof Uint8Array) || id.length !== 12) throw malformed("payload: id");
  if (!(digest instanceof Uint8Array) || digest.length !== 16) throw malformed("payload: digest");
  if (Array.isArray(number)) checkCompact(number);
  else if (typeof number === "string") checkNumberText(number);
  else throw malformed("payload: number must be an array or text");
  return {
    iss,
    iat,
    exp,
    kind: KINDS[kind][0],
    document_id: toHex(id),
    number: formatNumber(number),
    number_compact: Array.isArray(number) ? number.slice() : number,
    digest: toHex(digest),
  };
}

// ---- keys (section 8) ----------------------------------------------------------------------

export function deriveKid(publicKey) {
  if (publicKey.length !== 32) throw new Error("an Ed25519 public key has 32 bytes");
  return sha256(publicKey).subarray(0, KID_LENGTH);
}

const STATUSES = ["active", "retired", "compromised"];
const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const isObject = (o) => typeof o === "object" && o !== null && !Array.isArray(o);

function parseJwk(jwk, compromised) {
  if (!isObject(jwk)) throw new Error("a JWK must be an object");
  // In compromised_keys only "kid" is required; "kty"/"crv" default to ours there.
  const kty = has(jwk, "kty") ? jwk.kty : compromised ? "OKP" : undefined;
  const crv = has(jwk, "crv") ? jwk.crv : compromised ? "Ed25519" : undefined;
  if (kty !== "OKP" || crv !== "Ed25519") return null;
  const alg = has(jwk, "alg") ? jwk.alg : "EdDSA";
  const use = has(jwk, "use") ? jwk.use : "sig";
  if (alg !== "EdDSA" || use !== "sig") return null;
  const ops = has(jwk, "key_ops") ? jwk.key_ops : null;
  if (ops !== null && !Array.isArray(ops)) throw new Error("'key_ops' must be an array");
  if (ops !== null && !ops.includes("verify") && !compromised) return null;
  const kid = b64urlDecode(has(jwk, "kid") ? jwk.kid : "");
  if (kid.length !== KID_LENGTH) throw new Error(`kid must be ${KID_LENGTH} bytes`);
  let status = has(jwk, "status") ? jwk.status : "active";
  if (!STATUSES.includes(status)) throw new Error("unknown key status");
  if (compromised) status = "compromised";
  const x = has(jwk, "x") ? jwk.x : null;
  const publicKey = x !== null ? b64urlDecode(x) : new Uint8Array(0);
  if (!publicKey.length && status !== "compromised") {
    throw new Error("a JWK for a trusted key needs 'x'");
  }
  const created = Number.isInteger(jwk.created) ? jwk.created : null;
  return { kid, publicKey, status, created };
}

/** Public keys a verifier trusts, by kid, with their status (KeySet in verify/keys.py). */
export class KeySet {
  constructor() {
    this.keys = new Map(); // kid hex -> {kid, publicKey, status, created}
  }

  add(info) {
    if (info.publicKey.length || info.status !== "compromised") {
      if (!equalBytes(deriveKid(info.publicKey), info.kid)) {
        throw new Error(`kid ${toHex(info.kid)} does not match its public key`);
      }
    }
    const id = toHex(info.kid);
    const old = this.keys.get(id);
    if (old && old.status === "compromised") return; // a compromise notice always wins
    this.keys.set(id, info);
  }

  get(kid) {
    return this.keys.get(toHex(kid)) || null;
  }

  get size() {
    return this.keys.size;
  }

  /** Throws for a set the spec says to refuse whole (e.g. a kid that does not match x). */
  static fromJwks(jwks) {
    if (!isObject(jwks) || !Array.isArray(jwks.keys)) {
      throw new Error("a JWK Set is an object with a 'keys' array");
    }
    const compromised = has(jwks, "compromised_keys") ? jwks.compromised_keys : [];
    if (!Array.isArray(compromised)) throw new Error("'compromised_keys' must be an array");
    const set = new KeySet();
    for (const jwk of jwks.keys) {
      const info = parseJwk(jwk, false);
      if (info) set.add(info);
    }
    for (const jwk of compromised) {
      const info = parseJwk(jwk, true);
      if (info) set.add(info);
    }
    return set;
  }
}

// ---- Ed25519 -------------------------------------------------------------------------------

let backend = "auto"; // "auto" | "webcrypto" | "noble"
let webCryptoOk = null; // null: not probed yet
let noble = null;
const keyCache = new Map();

/** Force a backend (tests); "auto" uses WebCrypto when it has Ed25519, else @noble/ed25519. */
export function setEd25519Backend(name) {
  if (!["auto", "webcrypto", "noble"].includes(name)) throw new Error("unknown backend");
  backend = name;
}

/** Which backend the next verification uses ("webcrypto" or "noble"). */
export async function ed25519Backend() {
  if (backend !== "auto") return backend;
  if (webCryptoOk === null) webCryptoOk = await probeWebCrypto();
  return webCryptoOk ? "webcrypto" : "noble";
}

async function probeWebCrypto() {
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (!subtle) return false;
  try {
    // RFC 8032 test 1: the empty message.
    const key = await subtle.importKey(
      "raw",
      fromHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
      { name: "Ed25519" },
      false,
      ["verify"]
    );
    const sig = fromHex(
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155" +
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    );
    return (await subtle.verify({ name: "Ed25519" }, key, sig, new Uint8Array(0))) === true;
  } catch (e) {
    return false;
  }
}

async function loadNoble() {
  if (!noble) {
    noble = await import("../vendor/noble-ed25519/index.js");
    noble.hashes.sha512 = sha512;
  }
  return noble;
}

async function ed25519Verify(publicKey, signature, message) {
  if ((await ed25519Backend()) === "webcrypto") {
    try {
      const id = toHex(publicKey);
      let key = keyCache.get(id);
      if (!key) {
        key = await globalThis.crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, [
          "verify",
        ]);
        keyCache.set(id, key);
      }
      return await globalThis.crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
    } catch (e) {
      return false; // a key that is not a curve point verifies nothing
    }
  }
  const ed = await loadNoble();
  try {
    // zip215: false is RFC 8032's strict verification, as OpenSSL and WebCrypto do.
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch (e) {
    return false;
  }
}

// ---- verification (rules 1-12) -------------------------------------------------------------

/** The longest lifetime (exp - iat) of a 亮证 code, seconds. */
export const SHOWING_MAX_SECONDS = 3600;

/**
 * A 亮证 code: a certificate token (property or registration) that lives at most an hour
 * (exp - iat <= SHOWING_MAX_SECONDS). A certificate's own token has no exp; the copy on the
 * holder's screen lives two minutes (docs/verification-token.md, section 4;
 * `verify.is_showing` in Python).
 */
export function isShowing(claims) {
  return (
    Boolean(claims) &&
    claims.exp !== null &&
    claims.exp - claims.iat <= SHOWING_MAX_SECONDS &&
    (claims.kind === "property" || claims.kind === "registration")
  );
}

function verdict(reason, { claims = null, kid = null, detail = "" } = {}) {
  return { ok: reason === "valid", reason, detail, kid: kid && b64urlEncode(kid), claims };
}

/**
 * Verify a token (Uint8Array of COSE bytes, base32 text or a verification link) at `now`
 * (Unix seconds, default: the clock). Never throws for bad input: every failure is a verdict
 * {ok, reason, detail, kid, claims} with `claims` only for valid, expired and not_yet_valid.
 */
export async function verify(input, keyset, { now = Date.now() / 1000, skew = DEFAULT_SKEW } = {}) {
  let envelope;
  try {
    let bytes;
    if (typeof input === "string") bytes = textToToken(extractToken(input));
    else if (input.length > MAX_TOKEN_BYTES) {
      throw new TokenError("too_large", `token longer than ${MAX_TOKEN_BYTES} bytes`);
    } else bytes = input;
    envelope = parseEnvelope(bytes);
  } catch (e) {
    if (e instanceof TokenError) return verdict(e.reason, { detail: e.message });
    throw e;
  }
  const { kid } = envelope;
  const info = keyset.get(kid);
  if (!info) return verdict("unknown_key", { kid, detail: "kid not in the key set" });
  if (info.status === "compromised") {
    // A signature by a compromised key proves nothing, so it is not even checked.
    return verdict("compromised_key", { kid, detail: "key marked compromised" });
  }
  const message = sigStructure(envelope.protectedBytes, envelope.payload);
  if (!(await ed25519Verify(info.publicKey, envelope.signature, message))) {
    return verdict("bad_signature", { kid, detail: "Ed25519 signature does not verify" });
  }
  let claims;
  try {
    claims = parseClaims(envelope.payload);
  } catch (e) {
    if (e instanceof TokenError) return verdict("malformed", { kid, detail: e.message });
    throw e;
  }
  if (claims.iat > now + skew) {
    return verdict("not_yet_valid", { claims, kid, detail: "iat is in the future" });
  }
  if (claims.exp !== null && now >= claims.exp) {
    return verdict("expired", { claims, kid, detail: "now >= exp" });
  }
  return verdict("valid", { claims, kid });
}
