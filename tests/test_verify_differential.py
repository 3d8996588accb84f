"""Differential test: the Python verifier (verify/) and the JavaScript one (static/js/verify.mjs)
must give the same reason for thousands of mutated tokens.

Mutations: bit flips, truncations, insertions and deletions over the token bytes; payloads and
protected headers mutated and then correctly re-signed (so the claim and header parsers are
reached, not only the signature check); random claim maps; envelopes re-encoded with
non-shortest heads; and text forms (case, whitespace, links, substituted characters). One
node process verifies the whole batch with WebCrypto, and every fourth case with @noble/ed25519
too (the pure-JS fallback; every vector runs under both in tests/js/verify.test.mjs).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import cbor2
import pytest

from verify import KeySet, Reason, token_to_text, verify
from verify.cose import sig_structure

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
RUNNER = ROOT / "tests" / "js" / "diff_runner.mjs"
VENDOR = ROOT / "static" / "vendor" / "noble-ed25519" / "index.js"
SEED_VECTORS = (
    "valid",
    "valid_housing_proof",
    "valid_elicense_copy",
    "expired",
    "not_yet_valid",
    "compromised_key",
    "unknown_kid",
    "protected_non_shortest",
    "number_text_cjk",
)
CASES_PER_KIND = 300


def load(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))


def make_vectors() -> Any:
    from test_verify_vectors import make_vectors as loader

    return loader()


def head(major: int, arg: int, width: int | None) -> bytes:
    """A CBOR head; ``width`` 0/1/2/4/8 extra bytes, or None for the shortest form."""
    if width is None:
        width = 0 if arg < 24 else 1 if arg < 0x100 else 2 if arg < 0x10000 else 4
        if arg >= 0x1_0000_0000:
            width = 8
    if width == 0:
        return bytes([major << 5 | arg])
    info = {1: 24, 2: 25, 4: 26, 8: 27}[width]
    return bytes([major << 5 | info]) + arg.to_bytes(width, "big")


def encode(obj: Any, rng: random.Random, p_wide: float) -> bytes:
    """CBOR with each head made wider than needed with probability ``p_wide``."""

    def width(arg: int) -> int | None:
        if rng.random() >= p_wide:
            return None
        return rng.choice([w for w in (1, 2, 4, 8) if arg < 1 << (8 * w)])

    if isinstance(obj, cbor2.CBORTag):
        return head(6, obj.tag, width(obj.tag)) + encode(obj.value, rng, p_wide)
    if isinstance(obj, bool) or obj is None:
        raise TypeError(obj)
    if isinstance(obj, int):
        major, arg = (0, obj) if obj >= 0 else (1, -1 - obj)
        return head(major, arg, width(arg))
    if isinstance(obj, bytes):
        return head(2, len(obj), width(len(obj))) + obj
    if isinstance(obj, str):
        data = obj.encode()
        return head(3, len(data), width(len(data))) + data
    if isinstance(obj, list):
        return head(4, len(obj), width(len(obj))) + b"".join(encode(v, rng, p_wide) for v in obj)
    if isinstance(obj, dict):
        items = b"".join(encode(k, rng, p_wide) + encode(v, rng, p_wide) for k, v in obj.items())
        return head(5, len(obj), width(len(obj))) + items
    raise TypeError(obj)


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        op = rng.random()
        if not out:
            out.append(rng.randrange(256))
        pos = rng.randrange(len(out))
        if op < 0.55:
            out[pos] ^= 1 << rng.randrange(8)  # bit flip
        elif op < 0.7:
            out[pos] = rng.randrange(256)
        elif op < 0.8:
            del out[pos]
        elif op < 0.9:
            out.insert(pos, rng.randrange(256))
        else:
            del out[rng.randrange(len(out) + 1) :]  # truncation
    return bytes(out)


def random_value(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.random()
    if pick < 0.3:
        return rng.choice([0, 1, 2, 3, 4, 5, 43, 2022, 1234, 9_999_999, 10_000_000, -1, -8,
                           2**32, 2**53 - 1, 2**53, 2**63, 2**64 - 1, -(2**64)])  # fmt: skip
    if pick < 0.5:
        return bytes(rng.randrange(256) for _ in range(rng.choice([0, 8, 11, 12, 13, 16, 17])))
    if pick < 0.75:
        alphabet = ["A", "Z", "0", "9", " ", "-", "湘", "〔", "〕", "（", "\u00a0", "\u3000",
                    "\u302a", "\U00031350", "\u0085", "é", "e\u0301", "\ufeff", "\x7f",
                    "~"]  # fmt: skip
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
    if pick < 0.9 and depth < 2:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    if depth < 2:
        return {rng.choice([1, 4, 6, 7, -1, -2, -3, 99, "a"]): random_value(rng, depth + 1)}
    return 0


def build_cases(rng: random.Random) -> list[dict[str, Any]]:
    mv = make_vectors()
    key_a, key_c = mv.KEY_A, mv.KEY_C
    seeds = [bytes.fromhex(load(name)["token_hex"]) for name in SEED_VECTORS]
    valid = seeds[0]
    good_payload = cbor2.loads(valid[1:])[2]  # content of the tag: [protected, {}, payload, sig]
    good_claims = cbor2.loads(good_payload)
    prot_a = cbor2.dumps({1: -8, 4: key_a.kid})
    cases: list[dict[str, Any]] = []

    def signed(protected: bytes, payload: bytes, signer: Any = key_a) -> bytes:
        signature = signer.sign(sig_structure(protected, payload))
        return cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))

    # 1. raw byte mutations of signed tokens
    for _ in range(CASES_PER_KIND * 2):
        cases.append({"hex": mutate_bytes(rng.choice(seeds), rng).hex()})
    # 2. payload bytes mutated, then correctly signed: reaches the claims parser
    for _ in range(CASES_PER_KIND * 2):
        cases.append({"hex": signed(prot_a, mutate_bytes(good_payload, rng)).hex()})
    # 3. claim maps with random values for random labels, canonical or re-encoded, signed
    for _ in range(CASES_PER_KIND * 2):
        claims = dict(good_claims)
        for _ in range(rng.randint(1, 2)):
            label = rng.choice([1, 4, 6, 7, -1, -2, -3, 5, -4, "iss"])
            if rng.random() < 0.15:
                claims.pop(label, None)
            else:
                claims[label] = random_value(rng)
        payload = encode(claims, rng, p_wide=rng.choice([0.0, 0.0, 0.2]))
        cases.append({"hex": signed(prot_a, payload).hex()})
    # 4. protected headers mutated (or re-encoded) and signed, sometimes by an unknown key
    for _ in range(CASES_PER_KIND):
        if rng.random() < 0.5:
            protected = mutate_bytes(prot_a, rng)
        else:
            header: dict[Any, Any] = {1: -8, 4: key_a.kid}
            if rng.random() < 0.4:
                header[rng.choice([1, 4, 2, "1"])] = random_value(rng)
            protected = encode(header, rng, p_wide=0.4)
        signer = rng.choice([key_a, key_a, key_c])
        cases.append({"hex": signed(protected, good_payload, signer).hex()})
    # 5. envelopes re-encoded with wider heads (and sometimes left shortest)
    for _ in range(CASES_PER_KIND):
        body = cbor2.loads(rng.choice(seeds)[1:])
        tagged = cbor2.CBORTag(rng.choice([18, 18, 18, 98, 61]), body)
        cases.append({"hex": encode(tagged, rng, p_wide=rng.choice([0.0, 0.1, 0.3])).hex()})
    # 6. text forms
    for _ in range(CASES_PER_KIND * 2):
        text = token_to_text(rng.choice(seeds))
        op = rng.random()
        if op < 0.25:
            chars = list(text)
            pos = rng.randrange(len(chars))
            chars[pos] = rng.choice("AZ27018=a z\u0131\u017f\u212a%/\t")
            text = "".join(chars)
        elif op < 0.4:
            text = "".join(c.lower() if rng.random() < 0.5 else c for c in text)
        elif op < 0.55:
            text = text[: rng.randrange(len(text))]
        elif op < 0.7:
            ws = rng.choice([" ", "\t", "\n", "\r\n", "\u3000", "\u00a0", "\v", "\x1c", "\u2028"])
            text = ws + text + rng.choice(["", ws])
        else:
            base = rng.choice(["https://bdc.example.gov.cn", "HTTPS://BDC.EXAMPLE.GOV.CN", "",
                               "//h", "mailto:", "https://[::1", "http://x/a/b"])  # fmt: skip
            segment = rng.choice(["/v/", "/V/", "/x/", "/v//", "/%76/", "v/", "/"])
            tail = rng.choice(["", "/", "?a=/v/AA", "#/v/AA", "//", "?x", "é"])
            text = base + segment + text + tail
        cases.append({"text": text})
    # 7. size bounds: bytes, base32 characters and link characters (code points, not UTF-16)
    for size in (1023, 1024, 1025, 2000):
        cases.append({"hex": (valid + bytes(size - len(valid))).hex()})
    for length in (1638, 1639, 1640, 3000):
        cases.append({"text": ("A" * length)})
        cases.append({"text": "https://h/v/" + "A" * (length - 12)})
    for count in (2048, 2049, 4096, 4097):
        cases.append({"text": "\U0001f600" * count})  # 2 UTF-16 units each
        cases.append({"text": "/v/" + "A" * (count - 3)})
    return cases


def test_python_and_javascript_agree_on_mutated_tokens(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed (the JavaScript verifier's tests)"
    assert VENDOR.is_file(), "run `make setup`: it copies @noble/ed25519 into static/vendor/"
    rng = random.Random(18)
    cases = build_cases(rng)
    jwks = load("jwks")
    keyset = KeySet.from_jwks(jwks)
    now = load("valid")["now"]
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps({"jwks": jwks, "now": now, "cases": cases}), encoding="utf-8")
    run = subprocess.run(
        [node, str(RUNNER), str(batch)], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    js = json.loads(run.stdout)
    assert len(js) == len(cases)
    disagreements = []
    reasons: Counter[str] = Counter()
    for case, (webcrypto, noble) in zip(cases, js, strict=True):
        form = bytes.fromhex(case["hex"]) if "hex" in case else case["text"]
        python = str(verify(form, keyset, now=now).reason)
        reasons[python] += 1
        if python != webcrypto or noble not in (None, python):
            disagreements.append((case, python, webcrypto, noble))
    assert disagreements == [], disagreements[:5]
    # The run must exercise more than the envelope: every reason shows up.
    assert len(cases) >= 3000
    assert set(reasons) == {str(r) for r in Reason}, reasons


@pytest.mark.parametrize("p_wide", [0.5])
def test_encoder_makes_non_shortest_heads(p_wide: float) -> None:
    """The re-encoder above really produces wider heads (so part 5 tests something)."""
    rng = random.Random(1)
    token = bytes.fromhex(load("valid")["token_hex"])
    body = cbor2.CBORTag(18, cbor2.loads(token[1:]))
    assert encode(body, random.Random(0), 0.0) == token
    wide = {encode(body, rng, p_wide) for _ in range(20)}
    assert any(len(w) > len(token) for w in wide)
    assert all(list(cbor2.loads(w).value) == list(body.value) for w in wide)
