"""Generate the test vectors in this directory (deterministic; TEST KEYS ONLY).

    /work/venv/bin/python tests/vectors/make_vectors.py

Every key here comes from a fixed, public seed: it proves nothing and must
never sign a real document. Ed25519 signatures are deterministic, so running
this again yields byte-identical files (a test checks that).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import cbor2

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from verify import (  # noqa: E402
    Claims,
    DocumentKind,
    Ed25519Signer,
    KeySet,
    KeyStatus,
    compact_number,
    content_digest,
    qr_url,
    sign,
    token_to_text,
)
from verify.claims import CertificateNumber  # noqa: E402
from verify.cose import sig_structure  # noqa: E402
from verify.keys import KeyInfo  # noqa: E402

HERE = Path(__file__).resolve().parent
BASE_URL = "https://bdc.example.gov.cn"
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z, the "now" of every vector
ISSUER = "12430100MB1C23456X"  # shape of a unified social credit code; not a real one


def test_seed(name: str) -> bytes:
    """32-byte Ed25519 seed for a named TEST key."""
    return hashlib.sha256(f"verify test vectors - TEST KEY ONLY - {name}".encode()).digest()


KEY_A = Ed25519Signer.from_seed(test_seed("A"))  # active in jwks.json
KEY_B = Ed25519Signer.from_seed(test_seed("B"))  # retired in jwks.json (still verifies)
KEY_C = Ed25519Signer.from_seed(test_seed("C"))  # not in jwks.json
KEY_D = Ed25519Signer.from_seed(test_seed("D"))  # compromised in jwks.json

DIGEST_FIELDS: dict[str, str | int | None] = {
    "kind": "property",
    "number": "湘(2022)长沙市不动产权第0001234号",
    "unit_number": "430102001001GB00001F00010001",
    "area_m2": "89.50",
    "use": "住宅",
    "issued_on": "2022-03-15",
    "print_serial": "43000123456",
    "annotation": None,
}


def doc_id(name: str) -> bytes:
    return hashlib.sha256(f"document {name}".encode()).digest()[:12]


def claims(name: str, **changes: Any) -> Claims:
    values: dict[str, Any] = {
        "iss": ISSUER,
        "iat": NOW - 10 * 86400,
        "kind": DocumentKind.PROPERTY,
        "document_id": doc_id(name),
        "number": compact_number(str(DIGEST_FIELDS["number"])),
        "digest": content_digest(DIGEST_FIELDS),
        "exp": None,
    }
    values.update(changes)
    return Claims(**values)


def raw_sign1(
    signer: Ed25519Signer,
    payload: bytes,
    *,
    header: dict[int, Any] | None = None,
    tag: int | None = 18,
) -> bytes:
    """Hand-built COSE_Sign1 so vectors can break one rule at a time."""
    protected = cbor2.dumps(header if header is not None else {1: -8, 4: signer.kid})
    signature = signer.sign(sig_structure(protected, payload))
    body = [protected, {}, payload, signature]
    return cbor2.dumps(cbor2.CBORTag(tag, body) if tag is not None else body)


def flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


def vector(
    name: str, description: str, token: bytes, reason: str, claims: Claims | None = None
) -> dict[str, Any]:
    text = token_to_text(token)
    return {
        "name": name,
        "description": description,
        "now": NOW,
        "token_hex": token.hex(),
        "token": text,
        "url": qr_url(BASE_URL, text) if len(text) < 400 else None,
        "expected": {
            "ok": reason == "valid",
            "reason": reason,
            "claims": claims.to_dict() if claims is not None else None,
        },
    }


def signed_bytes(signer: Ed25519Signer, protected: bytes, payload: bytes) -> bytes:
    """Ed25519 over the Sig_structure of exactly these protected and payload bytes."""
    return signer.sign(sig_structure(protected, payload))


def envelope(protected: bytes, payload: bytes, signature: bytes, *, heads: bytes = b"") -> bytes:
    """COSE_Sign1 bytes with shortest heads, or with ``heads`` replacing the payload's head."""
    if not heads:
        return cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))
    return b"\xd2\x84" + cbor2.dumps(protected) + b"\xa0" + heads + payload + cbor2.dumps(signature)


def payload_with(good: Claims, **labels: Any) -> bytes:
    """The valid token's payload with labels replaced (``None`` drops one), canonical CBOR."""
    names = {"iss": 1, "exp": 4, "iat": 6, "id": 7, "kind": -1, "number": -2, "digest": -3}
    content = cbor2.loads(good.to_payload())
    for name, value in labels.items():
        if value is None:
            content.pop(names[name], None)
        else:
            content[names[name]] = value
    return cbor2.dumps(content, canonical=True)


def rule_vectors(good: Claims, valid: bytes) -> list[dict[str, Any]]:
    """One vector per rule settled in docs/verification-token.md (issue #18)."""
    out: list[dict[str, Any]] = []
    prot_a = cbor2.dumps({1: -8, 4: KEY_A.kid})

    def signed(name: str, text: str, payload: bytes, reason: str, claims_: Any = None) -> None:
        token = envelope(prot_a, payload, signed_bytes(KEY_A, prot_a, payload))
        out.append(vector(name, text, token, reason, claims_))

    # Number text: explicit code-point ranges (section 4).
    cjk = claims("cjk-number", kind=DocumentKind.HOUSING_PROOF, number="〔2024〕房证12")
    signed(
        "number_text_cjk",
        "A text number of CJK punctuation, digits and ideographs (18 UTF-8 bytes): allowed.",
        cjk.to_payload(),
        "valid",
        cjk,
    )
    for name, number, why in (
        ("number_text_space", "FW ZM2025", "a space (U+0020) is outside the allowed ranges"),
        ("number_text_control", "FWZM\u00852025", "U+0085 (a C1 control) is outside the ranges"),
        (
            "number_text_unassigned",
            "FWZM\U00031350",
            "U+31350 (CJK Extension H, printable for newer Unicode versions only) is outside "
            "the ranges",
        ),
        ("number_text_nbsp", "FWZM\u00a02025", "U+00A0 (no-break space) is outside the ranges"),
        ("number_text_too_long", "〔2024〕汨房证12", "21 UTF-8 bytes (the bound is 20)"),
    ):
        signed(
            name,
            f"Correctly signed; the text number has {why}.",
            payload_with(good, number=number),
            "malformed",
        )
    # Times: at most 2^53 - 1.
    top = claims("max-time", iat=2**53 - 1)
    signed(
        "iat_max_safe_integer",
        "iat = 2^53 - 1 (the largest allowed): well formed, so not_yet_valid with claims.",
        top.to_payload(),
        "not_yet_valid",
        top,
    )
    signed(
        "iat_over_max_safe_integer",
        "iat = 2^53: above the bound of 2^53 - 1, malformed.",
        payload_with(good, iat=2**53),
        "malformed",
    )
    signed(
        "exp_over_max_safe_integer",
        "exp = 2^64 - 1: above the bound of 2^53 - 1, malformed.",
        payload_with(good, exp=2**64 - 1),
        "malformed",
    )
    # The payload is opaque until the signature verifies (step 9).
    junk = b"\xff\xfe not CBOR"
    signed(
        "signed_payload_not_cbor",
        "Payload bytes that are not CBOR, correctly signed: malformed (checked after the "
        "signature).",
        junk,
        "malformed",
    )
    prot_c = cbor2.dumps({1: -8, 4: KEY_C.kid})
    out.append(
        vector(
            "payload_not_cbor_unknown_kid",
            "Payload bytes that are not CBOR under a kid not in the key set: unknown_key (the "
            "payload is not looked at before the signature checks out).",
            envelope(prot_c, junk, signed_bytes(KEY_C, prot_c, junk)),
            "unknown_key",
        )
    )
    out.append(
        vector(
            "payload_not_cbor_bad_signature",
            "Payload bytes that are not CBOR under the active kid, signed by another key: "
            "bad_signature.",
            envelope(prot_a, junk, signed_bytes(KEY_C, prot_a, junk)),
            "bad_signature",
        )
    )
    # Sig_structure heads are shortest form, whatever the protected header looks like.
    long_prot = (
        b"\xb8\x02"  # map(2) with a 1-byte count
        + b"\x1b" + (1).to_bytes(8, "big")  # 1 (alg) as an 8-byte integer
        + b"\x3b" + (7).to_bytes(8, "big")  # -8 as an 8-byte negative integer
        + b"\x1b" + (4).to_bytes(8, "big")  # 4 (kid)
        + b"\x5b" + (8).to_bytes(8, "big") + KEY_A.kid  # bstr with an 8-byte length
    )  # fmt: skip
    payload = good.to_payload()
    out.append(
        vector(
            "protected_non_shortest",
            "The protected header uses non-shortest heads (46 bytes); it is signed as received, "
            "so the token is valid. Its Sig_structure starts 84 6A 5369676E617475726531 58 2E.",
            envelope(long_prot, payload, signed_bytes(KEY_A, long_prot, payload)),
            "valid",
            good,
        )
    )
    wide = payload_with(good)  # canonical, then iat re-encoded with an 8-byte head
    iat_head = cbor2.dumps(good.iat)
    wide = wide.replace(b"\x06" + iat_head, b"\x06\x1b" + good.iat.to_bytes(8, "big"), 1)
    signed(
        "payload_non_shortest",
        "The payload carries iat with an 8-byte head: signed as received, valid.",
        wide,
        "valid",
        good,
    )
    sig = signed_bytes(KEY_A, prot_a, payload)
    out.append(
        vector(
            "envelope_non_shortest",
            "The valid token with the payload's length as 59 0048 instead of 58 48: the "
            "envelope is not signed, so its heads must be shortest: malformed.",
            envelope(prot_a, payload, sig, heads=b"\x59\x00\x48"),
            "malformed",
        )
    )
    out.append(
        vector(
            "tag_non_shortest",
            "The valid token with its tag as D8 12 instead of D2: malformed.",
            b"\xd8\x12" + valid[1:],
            "malformed",
        )
    )
    return out


def normalisation_cases(valid: bytes) -> dict[str, Any]:
    """Texts given to a verifier and the verdict each must get (section 6)."""
    text = token_to_text(valid)
    url = f"{BASE_URL}/v/{text}"
    dotless = text.replace("I", "\u0131", 1)
    assert dotless != text
    cases = [
        (text, "valid", "bare token, upper case"),
        (text.lower(), "valid", "bare token, lower case"),
        (text[:40].lower() + text[40:], "valid", "bare token, mixed case"),
        (f" \t\r\n{text}\n\f\v ", "valid", "ASCII whitespace at both ends is dropped"),
        (f"\u3000{text}", "malformed", "U+3000 (ideographic space) is not stripped"),
        (f"{text}\u00a0", "malformed", "U+00A0 (no-break space) is not stripped"),
        (f"{text[:20]} {text[20:]}", "malformed", "whitespace inside is not removed"),
        (f"{text[:20]}\n{text[20:]}", "malformed", "a line break inside is not removed"),
        (dotless, "malformed", "U+0131 (dotless i) is not folded to I: ASCII case only"),
        (text + "=", "malformed", "padding is refused"),
        (text[:-1] + "0", "malformed", "0 is not a base32 digit"),
        ("A" * 1640, "too_large", "more than 1639 base32 characters"),
        ("A" * 1639, "malformed", "1639 characters: decoded, not CBOR"),
        (url, "valid", "link"),
        (qr_url(BASE_URL, text), "valid", "link as in the QR, upper case"),
        (url.lower(), "valid", "link in lower case"),
        (url + "/", "valid", "trailing slash"),
        (url + "///", "valid", "several trailing slashes"),
        (url + "?from=wx#top", "valid", "query and fragment are ignored"),
        (f"{url}?next=/v/AAAA", "valid", "a /v/ in the query is ignored"),
        (f"{BASE_URL}/bdc/v/{text}", "valid", "a base path before /v/"),
        (f"/v/{text}", "valid", "path only"),
        (f"v/{text}", "valid", "relative path"),
        (f"mailto:v/{text}", "valid", "any scheme is cut off; no authority without //"),
        (f"//v/{text}", "malformed", "// starts an authority: here the host is v"),
        (f"https://v/{text}", "malformed", "the host is not a path segment"),
        (f"https://[::1/v/{text}", "valid", "the authority is not parsed, only cut off"),
        (f"{BASE_URL}/x/{text}", "malformed", "second-to-last segment must be v or V"),
        (f"{BASE_URL}/v/", "malformed", "no token"),
        (f"{BASE_URL}/%76/{text}", "malformed", "nothing is percent-decoded"),
        (f"{BASE_URL}/v/%32{text[1:]}", "malformed", "a %-escape in the token is refused"),
        (f"{BASE_URL}/v/{text}\u00e9", "malformed", "non-ASCII in a link is refused"),
        (f"{BASE_URL}/v/{text}#\u6838\u9a8c", "malformed", "non-ASCII anywhere, fragment too"),
        (BASE_URL + "/v/" + "A" * (4096 - len(BASE_URL) - 3), "too_large", "4096 characters"
         " of link: decoded, then too many base32 characters"),
        (BASE_URL + "/v/" + "A" * (4097 - len(BASE_URL) - 3), "too_large", "4097 characters"),
        ("", "malformed", "empty"),
        (" \t ", "malformed", "only whitespace"),
    ]  # fmt: skip
    return {
        "description": "Inputs for the valid vector's token (jwks.json, now below) and the "
        "verdict reason each must get: docs/verification-token.md section 6.",
        "now": NOW,
        "cases": [{"input": i, "reason": r, "why": w} for i, r, w in cases],
    }


def jwks_rule_cases() -> dict[str, Any]:
    """Key sets and how a verifier must read them (section 8): kid -> status, or invalid."""
    a = KeyInfo(KEY_A.kid, KEY_A.public_key, KeyStatus.ACTIVE).to_jwk()
    b = KeyInfo(KEY_B.kid, KEY_B.public_key, KeyStatus.RETIRED).to_jwk()
    d = KeyInfo(KEY_D.kid, KEY_D.public_key, KeyStatus.COMPROMISED).to_jwk()
    kid = {k["kid"]: k for k in (a, b, d)}
    mismatch = {**a, "x": b["x"]}
    no_kid = {k: v for k, v in a.items() if k != "kid"}
    cases: list[tuple[str, Any, Any]] = [
        ("published form", {"keys": [a, b], "compromised_keys": [d]},
         {a["kid"]: "active", b["kid"]: "retired", d["kid"]: "compromised"}),
        ("kid does not match x: the whole set is refused", {"keys": [mismatch, b]}, None),
        ("kid does not match x in compromised_keys: refused too",
         {"keys": [a], "compromised_keys": [{**d, "x": a["x"]}]}, None),
        ("a keys entry without kid: refused, not derived", {"keys": [no_kid, b]}, None),
        ("kid of the wrong length", {"keys": [{**a, "kid": "AAAA"}]}, None),
        ("kid not canonical base64url", {"keys": [{**a, "kid": a["kid"] + "="}]}, None),
        ("a trusted key without x", {"keys": [{k: v for k, v in a.items() if k != "x"}]}, None),
        ("unknown status", {"keys": [{**a, "status": "revoked"}]}, None),
        ("missing status means active", {"keys": [{k: v for k, v in b.items() if k != "status"}]},
         {b["kid"]: "active"}),
        ("compromised_keys needs only kid", {"keys": [a], "compromised_keys": [{"kid": d["kid"]}]},
         {a["kid"]: "active", d["kid"]: "compromised"}),
        ("status compromised inside keys", {"keys": [{**b, "status": "compromised"}]},
         {b["kid"]: "compromised"}),
        ("a compromise notice wins over a keys entry",
         {"keys": [a], "compromised_keys": [{"kid": a["kid"]}]}, {a["kid"]: "compromised"}),
        ("other key types, algorithms, uses and key_ops are ignored",
         {"keys": [a, {**b, "crv": "Ed448"}, {**b, "alg": "ES256"}, {**b, "use": "enc"},
                   {**b, "key_ops": ["sign"]}, {"kty": "EC", "kid": "x"}]},
         {a["kid"]: "active"}),
        ("not a JWK Set", {"key": [a]}, None),
        ("compromised_keys not an array", {"keys": [a], "compromised_keys": {}}, None),
    ]  # fmt: skip
    assert set(kid) == {a["kid"], b["kid"], d["kid"]}
    return {
        "description": "JWK Sets and the key statuses a verifier must read from them (kid -> "
        "status), or null when the whole set must be refused: docs/verification-token.md "
        "section 8.",
        "cases": [{"why": w, "jwks": j, "expected": e} for w, j, e in cases],
    }


def build() -> dict[str, Any]:
    """File name -> JSON content of every vector file."""
    files: dict[str, Any] = {}

    jwks = KeySet(
        [
            KeyInfo(KEY_A.kid, KEY_A.public_key, KeyStatus.ACTIVE, NOW - 30 * 86400),
            KeyInfo(KEY_B.kid, KEY_B.public_key, KeyStatus.RETIRED, NOW - 400 * 86400),
            KeyInfo(KEY_D.kid, KEY_D.public_key, KeyStatus.COMPROMISED, NOW - 800 * 86400),
        ]
    ).to_jwks()
    files["jwks.json"] = jwks

    good = claims("valid")
    valid = sign(good, KEY_A)
    vectors = [
        vector("valid", "Property certificate signed by the active key.", valid, "valid", good),
    ]

    retired = claims("retired", iat=NOW - 500 * 86400)
    vectors.append(
        vector(
            "valid_retired_key",
            "Signed by a key that was retired by rotation: still valid.",
            sign(retired, KEY_B),
            "valid",
            retired,
        )
    )

    proof = claims(
        "housing",
        kind=DocumentKind.HOUSING_PROOF,
        number="FWZM2025123456",
        iat=NOW - 86400,
        exp=NOW + 29 * 86400,
        digest=content_digest({"kind": "housing_proof", "result": "无房", "scope": "家庭"}),
    )
    vectors.append(
        vector(
            "valid_housing_proof",
            "Housing proof with a text number and an exp 29 days ahead.",
            sign(proof, KEY_A),
            "valid",
            proof,
        )
    )

    copy = claims(
        "copy",
        kind=DocumentKind.ELICENSE_COPY,
        number=CertificateNumber(43, 2023, 2, 9_876_543),
        exp=NOW + 86400,
    )
    vectors.append(
        vector(
            "valid_elicense_copy",
            "E-license annotated copy of a registration certificate, valid one more day.",
            sign(copy, KEY_A),
            "valid",
            copy,
        )
    )

    # The payload's last byte is the digest's last byte; it sits just before the
    # signature item (2-byte head 0x58 0x40 + 64 bytes), i.e. at index len - 67.
    vectors.append(
        vector(
            "tampered_payload",
            "The valid token with one bit of the payload (the digest) flipped.",
            flip(valid, len(valid) - 67),
            "bad_signature",
        )
    )
    vectors.append(
        vector(
            "tampered_signature",
            "The valid token with one bit of the signature flipped.",
            flip(valid, len(valid) - 1),
            "bad_signature",
        )
    )
    vectors.append(
        vector(
            "unknown_kid",
            "Signed by a key that is not in jwks.json.",
            sign(claims("unknown"), KEY_C),
            "unknown_key",
        )
    )
    vectors.append(
        vector(
            "wrong_key",
            "Names the active key's kid but is signed by another key.",
            raw_sign1(KEY_C, claims("wrong").to_payload(), header={1: -8, 4: KEY_A.kid}),
            "bad_signature",
        )
    )
    expired = claims("expired", iat=NOW - 40 * 86400, exp=NOW - 10 * 86400)
    vectors.append(
        vector(
            "expired",
            "exp lies before now; the signature is fine, so claims are returned.",
            sign(expired, KEY_A),
            "expired",
            expired,
        )
    )
    future = claims("future", iat=NOW + 3600)
    vectors.append(
        vector(
            "not_yet_valid",
            "iat is one hour after now (beyond the 300 s skew).",
            sign(future, KEY_A),
            "not_yet_valid",
            future,
        )
    )
    skewed = claims("skewed", iat=NOW + 120)
    vectors.append(
        vector(
            "within_skew",
            "iat is 120 s after now: accepted within the 300 s clock skew.",
            sign(skewed, KEY_A),
            "valid",
            skewed,
        )
    )
    vectors.append(
        vector(
            "compromised_key",
            "Correctly signed by a key listed in compromised_keys.",
            sign(claims("compromised"), KEY_D),
            "compromised_key",
        )
    )
    big_payload = cbor2.dumps({1: ISSUER, -9: bytes(1000)})
    vectors.append(
        vector(
            "oversized",
            "A signed COSE_Sign1 of more than 1024 bytes: refused before parsing.",
            raw_sign1(KEY_A, big_payload),
            "too_large",
        )
    )
    vectors.append(
        vector(
            "not_cbor",
            "Bytes that are not CBOR (a stray break code).",
            b"\xff\x00not cbor",
            "malformed",
        )
    )
    vectors.append(
        vector(
            "wrong_tag",
            "The valid token's content under tag 98 (COSE_Sign) instead of 18.",
            raw_sign1(KEY_A, good.to_payload(), tag=98),
            "malformed",
        )
    )
    vectors.append(
        vector(
            "untagged",
            "The valid token's content without the COSE_Sign1 tag.",
            raw_sign1(KEY_A, good.to_payload(), tag=None),
            "malformed",
        )
    )
    vectors.append(
        vector(
            "wrong_algorithm",
            "Protected header says ES256 (-7); the bytes are still an Ed25519 signature.",
            raw_sign1(KEY_A, good.to_payload(), header={1: -7, 4: KEY_A.kid}),
            "malformed",
        )
    )
    vectors.append(
        vector(
            "trailing_bytes",
            "The valid token followed by one extra byte.",
            valid + b"\x00",
            "malformed",
        )
    )
    vectors.append(
        vector(
            "unexpected_claim",
            "Correctly signed payload with an extra, unknown label (-9).",
            raw_sign1(KEY_A, cbor2.dumps({**cbor2.loads(good.to_payload()), -9: 1})),
            "malformed",
        )
    )
    vectors += rule_vectors(good, valid)
    for v in vectors:
        files[f"{v['name']}.json"] = v
    files["normalisation.json"] = normalisation_cases(valid)
    files["jwks_rules.json"] = jwks_rule_cases()

    files["content_digest.json"] = {
        "description": "content_digest() of DIGEST_FIELDS: canonical CBOR and truncated SHA-256.",
        "fields": DIGEST_FIELDS,
        "canonical_cbor_hex": cbor2.dumps(
            {k: v for k, v in DIGEST_FIELDS.items() if v is not None}, canonical=True
        ).hex(),
        "digest_hex": content_digest(DIGEST_FIELDS).hex(),
    }
    return files


def dump(content: Any) -> str:
    return json.dumps(content, ensure_ascii=False, indent=2) + "\n"


def main() -> None:
    for name, content in build().items():
        (HERE / name).write_text(dump(content), encoding="utf-8")
        print(name)


if __name__ == "__main__":
    main()
