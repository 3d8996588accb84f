// The JavaScript verifier (static/js/verify.mjs) against the committed vectors: the same
// files tests/test_verify_vectors.py runs in Python. `node --test tests/js/` (make test-js).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import {
  EXIT_CODES,
  KeySet,
  b64urlEncode,
  ed25519Backend,
  extractToken,
  fromHex,
  isShowing,
  SHOWING_MAX_SECONDS,
  setEd25519Backend,
  sigStructure,
  textToToken,
  tokenToText,
  verify,
} from "../../static/js/verify.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const VECTORS = join(ROOT, "tests", "vectors");
const CLI = join(ROOT, "static", "js", "verify-cli.mjs");
const JWKS = join(VECTORS, "jwks.json");
const NOT_TOKENS = ["jwks.json", "content_digest.json", "normalisation.json", "jwks_rules.json"];

const load = (name) => JSON.parse(readFileSync(join(VECTORS, name), "utf-8"));
const KEYSET = KeySet.fromJwks(load("jwks.json"));
const VECTOR_FILES = readdirSync(VECTORS)
  .filter((name) => name.endsWith(".json") && !NOT_TOKENS.includes(name))
  .sort();

test("there are vectors, including every rule settled for issue #18", () => {
  assert.ok(VECTOR_FILES.length >= 35, `${VECTOR_FILES.length} vectors`);
  for (const name of ["number_text_unassigned", "iat_over_max_safe_integer",
    "envelope_non_shortest", "protected_non_shortest", "signed_payload_not_cbor"]) {
    assert.ok(VECTOR_FILES.includes(`${name}.json`), name);
  }
});

for (const backend of ["webcrypto", "noble"]) {
  test(`every vector, every form (${backend})`, async () => {
    setEd25519Backend(backend);
    try {
      for (const name of VECTOR_FILES) {
        const v = load(name);
        const forms = [v.token, fromHex(v.token_hex)];
        if (v.url) forms.push(v.url, v.url.toLowerCase());
        for (const form of forms) {
          const got = await verify(form, KEYSET, { now: v.now });
          assert.equal(got.reason, v.expected.reason, `${name}: ${got.detail}`);
          assert.equal(got.ok, v.expected.ok, name);
          assert.deepEqual(got.claims, v.expected.claims, name);
        }
      }
    } finally {
      setEd25519Backend("auto");
    }
  });
}

test("Node has WebCrypto Ed25519, so auto picks it", async () => {
  assert.equal(await ed25519Backend(), "webcrypto");
});

test("input normalisation (normalisation.json)", async () => {
  const { now, cases } = load("normalisation.json");
  for (const c of cases) {
    const got = await verify(c.input, KEYSET, { now });
    assert.equal(got.reason, c.reason, `${c.why}: ${got.detail}`);
  }
});

test("JWK Set rules (jwks_rules.json)", () => {
  for (const c of load("jwks_rules.json").cases) {
    if (c.expected === null) {
      assert.throws(() => KeySet.fromJwks(c.jwks), Error, c.why);
      continue;
    }
    const set = KeySet.fromJwks(c.jwks);
    const got = {};
    for (const info of set.keys.values()) got[b64urlEncode(info.kid)] = info.status;
    assert.deepEqual(got, c.expected, c.why);
  }
});

test("Sig_structure uses shortest-form heads", () => {
  const long = new Uint8Array(46);
  const sig = sigStructure(long, new Uint8Array(300));
  assert.deepEqual([...sig.slice(0, 12)], [0x84, 0x6a, ...new TextEncoder().encode("Signature1")]);
  assert.deepEqual([...sig.slice(12, 14)], [0x58, 46]);
  assert.deepEqual([...sig.slice(60, 64)], [0x40, 0x59, 0x01, 0x2c]);
  assert.deepEqual([...sigStructure(new Uint8Array(13), new Uint8Array(0)).slice(12, 13)], [0x4d]);
});

test("base32 round trip and token extraction", () => {
  const v = load("valid.json");
  assert.equal(tokenToText(fromHex(v.token_hex)), v.token);
  assert.deepEqual(textToToken(v.token.toLowerCase()), fromHex(v.token_hex));
  assert.equal(extractToken(v.url.toLowerCase() + "?a=1#b"), v.token);
  assert.throws(() => textToToken("AB"), /canonical/);
});

test("the CLI exits with python -m verify's code for every vector", () => {
  for (const name of VECTOR_FILES) {
    const v = load(name);
    const run = spawnSync("node", [CLI, "--keys", JWKS, "--now", String(v.now), v.url || v.token], {
      encoding: "utf-8",
    });
    assert.equal(run.status, EXIT_CODES[v.expected.reason], `${name}: ${run.stderr}`);
    assert.ok(run.stdout.includes(`[${v.expected.reason}]`), name);
  }
});

test("the CLI: --json, key set unavailable (11), usage (2)", () => {
  const v = load("valid.json");
  const out = JSON.parse(
    execFileSync("node", [CLI, "--keys", JWKS, "--now", String(v.now), "--json", v.token], {
      encoding: "utf-8",
    })
  );
  assert.equal(out.reason, "valid");
  assert.deepEqual(out.claims, v.expected.claims);
  const missing = spawnSync("node", [CLI, "--keys", join(VECTORS, "nope.json"), v.token]);
  assert.equal(missing.status, 11);
  const bad = spawnSync("node", [CLI, "--keys", join(VECTORS, "valid.json"), v.token]);
  assert.equal(bad.status, 11); // not a JWK Set
  assert.equal(spawnSync("node", [CLI, v.token]).status, 2);
  assert.equal(spawnSync("node", [CLI, "--keys", JWKS]).status, 2);
});

test("isShowing: a certificate token with an exp is a 亮证 code, nothing else is", async () => {
  const expected = {
    valid: false,
    expired: false, // a property token with a 30-day exp: expired, but no 亮证 code
    valid_elicense_copy: false,
    valid_housing_proof: false,
  };
  for (const [name, showing] of Object.entries(expected)) {
    const v = load(`${name}.json`);
    const answer = await verify(v.token, KEYSET, { now: v.now });
    assert.ok(answer.claims, name);
    assert.equal(isShowing(answer.claims), showing, name);
  }
  assert.equal(isShowing(null), false);
  const claims = (kind, iat, exp) => ({ kind, iat, exp });
  assert.equal(isShowing(claims("property", 1000, 1120)), true);
  assert.equal(isShowing(claims("registration", 1000, 1000 + SHOWING_MAX_SECONDS)), true);
  assert.equal(isShowing(claims("property", 1000, 1001 + SHOWING_MAX_SECONDS)), false);
  assert.equal(isShowing(claims("property", 1000, null)), false);
  assert.equal(isShowing(claims("elicense_copy", 1000, 1120)), false);
  assert.equal(isShowing(claims("housing_proof", 1000, 1120)), false);
});
