// Batch runner for tests/test_verify_differential.py: reads one JSON file
// {jwks, now, cases: [{hex} | {text}]} and prints a JSON array with, per case, the reason
// under WebCrypto and under @noble/ed25519 ([webcrypto, noble]). The pure-JS fallback is
// some 50 times slower, so it runs on every fourth case only (null for the others).
import { readFileSync } from "node:fs";

import { KeySet, fromHex, setEd25519Backend, verify } from "../../static/js/verify.mjs";

const batch = JSON.parse(readFileSync(process.argv[2], "utf-8"));
const keyset = KeySet.fromJwks(batch.jwks);
const out = [];
for (const [i, c] of batch.cases.entries()) {
  const input = c.hex !== undefined ? fromHex(c.hex) : c.text;
  const reasons = [];
  for (const backend of ["webcrypto", "noble"]) {
    if (backend === "noble" && i % 4 !== 0) {
      reasons.push(null);
      continue;
    }
    setEd25519Backend(backend);
    reasons.push((await verify(input, keyset, { now: batch.now })).reason);
  }
  out.push(reasons);
}
process.stdout.write(JSON.stringify(out));
