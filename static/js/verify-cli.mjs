#!/usr/bin/env node
/**
 * Offline verifier in Node, the twin of `python -m verify` (same flags, same exit codes):
 *
 *   node static/js/verify-cli.mjs --keys JWKS_FILE_OR_URL [--now UNIX_SECONDS] [--skew S]
 *        [--json] TOKEN_OR_URL
 *
 * Exit status: 0 valid; 3 malformed; 4 too_large; 5 unknown_key; 6 bad_signature;
 * 7 expired; 8 not_yet_valid; 9 compromised_key; 11 key set unavailable; 2 usage error.
 * (Reading a QR from a photo, exit 10 in Python, is not offered here: pass the link.)
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

import { DEFAULT_SKEW, EXIT_CODES, KeySet, verify } from "./verify.mjs";

const EXIT_USAGE = 2;
const EXIT_NO_KEYS = 11;
const MAX_JWKS_BYTES = 1 << 20;

const REASON_TEXT = {
  valid: ["有效：签名正确，由登记机构签发", "valid: signature correct, issued by the registry"],
  malformed: ["无效：格式错误，不是本系统的核验码", "invalid: malformed, not a token of this system"],
  too_large: ["无效：数据过长", "invalid: token too large"],
  unknown_key: ["无效：签名密钥未知", "invalid: unknown signing key"],
  bad_signature: ["无效：签名不符，内容可能被篡改", "invalid: bad signature, content may be altered"],
  expired: ["已过期：签名正确但已超过有效期", "expired: signature correct but past its validity"],
  not_yet_valid: ["尚未生效：签发时间晚于当前时间", "not yet valid: issued in the future"],
  compromised_key: ["无效：签名密钥已泄露作废", "invalid: signing key compromised"],
};
const KIND_TEXT = {
  property: "不动产权证书 / Property certificate",
  registration: "不动产登记证明 / Registration certificate",
  elicense_copy: "电子证照加注件 / E-license annotated copy",
  housing_proof: "房屋证明 / Housing proof",
};

function usage(message) {
  process.stderr.write(
    "usage: node static/js/verify-cli.mjs --keys JWKS_FILE_OR_URL [--now UNIX_SECONDS] " +
      "[--skew SECONDS] [--json] TOKEN_OR_URL\n"
  );
  if (message) process.stderr.write(`error: ${message}\n`);
  return EXIT_USAGE;
}

async function loadJwks(source) {
  let text;
  if (/^https?:\/\//.test(source)) {
    if (source.startsWith("http://")) {
      process.stderr.write("警告 Warning: key set fetched over plain HTTP\n");
    }
    const response = await fetch(source, { signal: AbortSignal.timeout(10000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    text = await response.text();
  } else {
    text = readFileSync(source, "utf-8");
  }
  if (text.length > MAX_JWKS_BYTES) throw new Error("JWKS document too large");
  return KeySet.fromJwks(JSON.parse(text));
}

function time(ts) {
  if (ts === null || ts === undefined) return "无 / none";
  const date = new Date(ts * 1000 + 8 * 3600 * 1000);
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() > 9999) {
    return `${ts}（超出日期范围 / beyond year 9999）`;
  }
  return date.toISOString().slice(0, 19).replace("T", " ") + " UTC+8";
}

function render(result, text, now) {
  const [zh, en] = REASON_TEXT[result.reason];
  const lines = [
    `核验结果 Result: ${result.ok ? "通过 PASS" : "不通过 FAIL"}`,
    `原因 Reason: ${zh} / ${en} [${result.reason}]`,
  ];
  if (result.detail) lines.push(`说明 Detail: ${result.detail}`);
  if (text.includes("/")) lines.push(`链接 Link: ${text}`);
  if (result.kid) lines.push(`密钥标识 Key id: ${result.kid}`);
  const c = result.claims;
  if (c) {
    lines.push(
      `文件类型 Kind: ${KIND_TEXT[c.kind]}`,
      `证书/证明编号 Number: ${c.number}`,
      `签发机构代码 Issuer code: ${c.iss}`,
      `文件标识 Document id: ${c.document_id}`,
      `签发时间 Issued at: ${time(c.iat)}`,
      `有效期至 Valid until: ${time(c.exp)}`,
      `内容摘要 Content digest: ${c.digest}`
    );
  }
  lines.push(
    `核验时间 Checked at: ${time(Math.floor(now))}`,
    "注意：离线核验只证明该码由登记机构签发；注销、抵押、查封等现势状态请扫码在线查询。",
    "Note: an offline check proves the code was signed by the registry; for the current " +
      "status (cancelled, mortgage, seizure) open the link online."
  );
  return lines.join("\n");
}

async function main(argv) {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        keys: { type: "string" },
        now: { type: "string" },
        skew: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    return usage(e.message);
  }
  const { values, positionals } = args;
  if (values.help) {
    usage();
    return 0;
  }
  if (!values.keys) return usage("--keys is required");
  if (positionals.length !== 1) return usage("exactly one TOKEN_OR_URL");
  const now = values.now === undefined ? Date.now() / 1000 : Number(values.now);
  const skew = values.skew === undefined ? DEFAULT_SKEW : Number(values.skew);
  if (!Number.isFinite(now) || !Number.isInteger(skew)) return usage("bad --now or --skew");

  let keyset;
  try {
    keyset = await loadJwks(values.keys);
  } catch (e) {
    process.stderr.write(`无法读取公钥集 / cannot load the key set: ${e.message}\n`);
    return EXIT_NO_KEYS;
  }
  const text = positionals[0];
  const result = await verify(text, keyset, { now, skew });
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...result, text }, null, 2) + "\n");
  } else {
    process.stdout.write(render(result, text, now) + "\n");
  }
  return EXIT_CODES[result.reason];
}

process.exitCode = await main(process.argv.slice(2));
