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
    for v in vectors:
        files[f"{v['name']}.json"] = v

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
