"""verify: the committed test vectors, and interoperability with pycose (independent COSE)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import cbor2
import pytest
from pycose.algorithms import EdDSA
from pycose.headers import KID, Algorithm
from pycose.keys import CoseKey, OKPKey
from pycose.keys.curves import Ed25519
from pycose.messages import Sign1Message

from verify import (
    Claims,
    DocumentKind,
    Ed25519Signer,
    KeySet,
    Reason,
    compact_number,
    content_digest,
    sign,
    token_to_text,
    verify,
)
from verify.keys import b64url_decode, b64url_encode

VECTORS = Path(__file__).parent / "vectors"
REQUIRED = {
    "valid": "valid",
    "tampered_payload": "bad_signature",
    "tampered_signature": "bad_signature",
    "unknown_kid": "unknown_key",
    "wrong_key": "bad_signature",
    "expired": "expired",
    "not_yet_valid": "not_yet_valid",
    "oversized": "too_large",
    "not_cbor": "malformed",
    "wrong_tag": "malformed",
    "wrong_algorithm": "malformed",
    "compromised_key": "compromised_key",
}


def load(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def make_vectors() -> ModuleType:
    module = sys.modules.get("make_vectors")
    if module is None:
        spec = importlib.util.spec_from_file_location("make_vectors", VECTORS / "make_vectors.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["make_vectors"] = module
        spec.loader.exec_module(module)
    return module


# Files that are not token vectors: the key set, the digest, input texts and key-set rules.
NOT_TOKENS = ("jwks.json", "content_digest.json", "normalisation.json", "jwks_rules.json")
VECTOR_FILES = sorted(p.name for p in VECTORS.glob("*.json") if p.name not in NOT_TOKENS)
KEYSET = KeySet.from_jwks(load("jwks.json"))


def test_required_vectors_exist() -> None:
    for name, reason in REQUIRED.items():
        assert load(f"{name}.json")["expected"]["reason"] == reason


@pytest.mark.parametrize("name", VECTOR_FILES)
def test_vector(name: str) -> None:
    vector = load(name)
    expected = vector["expected"]
    forms: list[str | bytes] = [vector["token"], bytes.fromhex(vector["token_hex"])]
    if vector["url"]:
        forms += [vector["url"], vector["url"].lower()]
    for form in forms:
        verdict = verify(form, KEYSET, now=vector["now"])
        assert verdict.reason == expected["reason"], (name, verdict.detail)
        assert verdict.ok is expected["ok"]
        got = verdict.claims.to_dict() if verdict.claims is not None else None
        assert got == expected["claims"]


NORMALISATION = load("normalisation.json")


@pytest.mark.parametrize(
    "case", NORMALISATION["cases"], ids=[c["why"] for c in NORMALISATION["cases"]]
)
def test_input_normalisation(case: dict[str, str]) -> None:
    verdict = verify(case["input"], KEYSET, now=NORMALISATION["now"])
    assert verdict.reason == case["reason"], verdict.detail


JWKS_RULES = load("jwks_rules.json")


@pytest.mark.parametrize("case", JWKS_RULES["cases"], ids=[c["why"] for c in JWKS_RULES["cases"]])
def test_jwks_rules(case: dict[str, Any]) -> None:
    if case["expected"] is None:
        with pytest.raises(ValueError):
            KeySet.from_jwks(case["jwks"])
        return
    keyset = KeySet.from_jwks(case["jwks"])
    got = {b64url_encode(info.kid): str(info.status) for info in keyset}
    assert got == case["expected"]


def test_vectors_are_reproducible() -> None:
    """make_vectors.py regenerates exactly the committed files (fixed seeds, Ed25519)."""
    module = make_vectors()
    built = module.build()
    on_disk = {p.name for p in VECTORS.glob("*.json")}
    assert set(built) == on_disk
    for name, content in built.items():
        assert module.dump(content) == (VECTORS / name).read_text(encoding="utf-8"), name


def test_content_digest_vector() -> None:
    vector = load("content_digest.json")
    assert content_digest(vector["fields"]).hex() == vector["digest_hex"]
    assert bytes.fromhex(vector["canonical_cbor_hex"])[0] == 0xA7  # 7 non-null fields


def test_jwks_vector_is_public_only() -> None:
    jwks = load("jwks.json")
    for entry in jwks["keys"] + jwks["compromised_keys"]:
        assert "d" not in entry


# --- pycose: an independent COSE implementation --------------------------------------------


def public_cose_key(kid: bytes) -> OKPKey:
    """The jwks.json entry for ``kid`` as a pycose key."""
    info = KEYSET.get(kid)
    assert info is not None
    key = CoseKey.from_dict({1: 1, -1: 6, -2: info.public_key})  # kty OKP, crv Ed25519, x
    assert isinstance(key, OKPKey)
    return key


def private_cose_key(name: str) -> OKPKey:
    """A named TEST key of make_vectors.py as a pycose signing key."""
    seed = make_vectors().test_seed(name)
    return OKPKey(crv=Ed25519, d=seed, x=Ed25519Signer.from_seed(seed).public_key)


def pycose_decode(token: bytes) -> Sign1Message:
    # pycose 1.1's Sign1Message.decode() expects cbor2 < 6, which returns tag contents
    # frozen (tuple/frozendict); so strip the tag ourselves and let pycose parse the rest.
    assert token[0] == 0xD2  # tag 18
    return Sign1Message.from_cose_obj(cbor2.loads(token[1:]), True)


def test_pycose_verifies_our_tokens() -> None:
    for name in ("valid", "valid_housing_proof", "valid_elicense_copy", "valid_retired_key"):
        token = bytes.fromhex(load(f"{name}.json")["token_hex"])
        msg = pycose_decode(token)
        assert msg.phdr == {Algorithm: EdDSA, KID: msg.phdr[KID]}
        assert msg.uhdr == {}
        msg.key = public_cose_key(msg.phdr[KID])
        assert msg.verify_signature(), name
        assert (
            Claims.from_payload(msg.payload).to_dict() == load(f"{name}.json")["expected"]["claims"]
        )
    for name in ("tampered_payload", "tampered_signature"):
        msg = pycose_decode(bytes.fromhex(load(f"{name}.json")["token_hex"]))
        msg.key = public_cose_key(msg.phdr[KID])
        assert not msg.verify_signature(), name


def test_pycose_verifies_freshly_signed_tokens() -> None:
    module = make_vectors()
    claims = module.claims("fresh", kind=DocumentKind.HOUSING_PROOF, number="HP-1")
    token = sign(claims, module.KEY_A)
    msg = pycose_decode(token)
    msg.key = public_cose_key(module.KEY_A.kid)
    assert msg.verify_signature()


def test_our_verifier_accepts_pycose_tokens() -> None:
    module = make_vectors()
    now = module.NOW
    claims = Claims(
        iss=module.ISSUER,
        iat=now - 60,
        kind=DocumentKind.REGISTRATION,
        document_id=bytes.fromhex("00112233445566778899aabb"),
        number=compact_number("湘(2024)长沙市不动产证明第0000042号"),
        digest=content_digest({"number": "湘(2024)长沙市不动产证明第0000042号"}),
        exp=now + 3600,
    )
    kid = module.KEY_A.kid
    msg = Sign1Message(phdr={Algorithm: EdDSA, KID: kid}, payload=claims.to_payload())
    msg.key = private_cose_key("C")
    # First with the wrong private key: our verifier must refuse it.
    forged = msg.encode()
    assert verify(forged, KEYSET, now=now).reason is Reason.BAD_SIGNATURE
    msg = Sign1Message(phdr={Algorithm: EdDSA, KID: kid}, payload=claims.to_payload())
    msg.key = private_cose_key("A")
    token = msg.encode()
    verdict = verify(token_to_text(token), KEYSET, now=now)
    assert verdict.reason is Reason.VALID, verdict.detail
    assert verdict.claims == claims
    assert b64url_decode(load("jwks.json")["keys"][0]["kid"]) == kid
