"""verify: key ids, key sets / JWKS, the file key store, rotation and compromise."""

from __future__ import annotations

import hashlib
import json
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import verify
from verify import (
    CertificateNumber,
    Claims,
    DocumentKind,
    Ed25519Signer,
    FileKeyStore,
    KeyInfo,
    KeySet,
    KeyStatus,
    KeyStore,
    NoActiveKeyError,
    Reason,
    check_token,
    derive_kid,
    issue_token,
    sign,
)
from verify.keys import b64url_decode, b64url_encode

NOW = 1_767_225_600
ISSUER = "12430100MB1C23456X"


def issue(store: KeyStore, doc: int = 1, **changes: object) -> str:
    args: dict[str, object] = {
        "issuer": ISSUER,
        "kind": "property",
        "document_id": doc.to_bytes(12, "big"),
        "number": "湘(2022)长沙市不动产权第0001234号",
        "digest": bytes(16),
        "iat": NOW,
    }
    args.update(changes)
    return issue_token(store, **args)  # type: ignore[arg-type]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_derive_kid() -> None:
    signer = Ed25519Signer.from_seed(bytes(32))
    assert signer.kid == hashlib.sha256(signer.public_key).digest()[:8]
    assert derive_kid(signer.public_key) == signer.kid
    with pytest.raises(ValueError):
        derive_kid(bytes(31))


def test_b64url() -> None:
    assert b64url_encode(b"\xfb\xff") == "-_8"
    assert b64url_decode("-_8") == b"\xfb\xff"
    for bad in ("-_8=", "-_9", "a", "+/8"):
        with pytest.raises(ValueError):
            b64url_decode(bad)


def test_file_store_permissions_and_persistence(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    store = FileKeyStore(directory)
    with pytest.raises(NoActiveKeyError):
        store.signer()
    kid = store.rotate()
    assert mode(directory) == 0o700
    pem = directory / f"{kid.hex()}.pem"
    assert mode(pem) == 0o600
    assert pem.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert mode(directory / "state.json") == 0o600
    assert not list(directory.glob(".tmp-*"))
    # A second store on the same directory (another worker) signs with the same key.
    again = FileKeyStore(directory)
    assert again.signer().kid == kid == store.signer().kid
    token = issue(again)
    assert check_token(token, store.keyset(), NOW).ok


def test_ensure_active_creates_one_key_across_workers(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    with ThreadPoolExecutor(max_workers=8) as pool:
        kids = list(pool.map(lambda _: FileKeyStore(directory).ensure_active(), range(8)))
    assert len(set(kids)) == 1
    assert [k.kid for k in FileKeyStore(directory).public_keys()] == kids[:1]
    assert FileKeyStore(directory).ensure_active() == kids[0]


def test_existing_directory_is_tightened(tmp_path: Path) -> None:
    directory = tmp_path / "loose"
    directory.mkdir(mode=0o755)
    FileKeyStore(directory)
    assert mode(directory) == 0o700


def test_rotation_keeps_old_tokens_valid(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys")
    first = store.rotate()
    old_token = issue(store, doc=1)
    second = store.rotate()
    assert second != first and store.signer().kid == second
    new_token = issue(store, doc=2)
    statuses = {k.kid: k.status for k in store.public_keys()}
    assert statuses == {first: KeyStatus.RETIRED, second: KeyStatus.ACTIVE}
    # The verifier side only sees the published JWKS.
    keyset = KeySet.from_jwks(json.loads(json.dumps(store.jwks())))
    assert check_token(old_token, keyset, NOW).ok
    assert check_token(new_token, keyset, NOW).ok
    assert check_token(old_token, keyset, NOW).kid == first


def test_compromised_key_tokens_fail(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys")
    bad = store.rotate()
    leaked = issue(store, doc=1)
    good = store.rotate()
    fine = issue(store, doc=2)
    store.mark_compromised(bad)
    jwks = json.loads(json.dumps(store.jwks()))
    # A generic JOSE consumer reading only "keys" never trusts the compromised key.
    assert [b64url_decode(k["kid"]) for k in jwks["keys"]] == [good]
    assert [b64url_decode(k["kid"]) for k in jwks["compromised_keys"]] == [bad]
    assert jwks["compromised_keys"][0]["status"] == "compromised"
    keyset = KeySet.from_jwks(jwks)
    verdict = check_token(leaked, keyset, NOW)
    assert verdict.reason is Reason.COMPROMISED_KEY and verdict.claims is None
    assert check_token(fine, keyset, NOW).ok
    # Server side, straight from the store.
    assert check_token(leaked, store.keyset(), NOW).reason is Reason.COMPROMISED_KEY
    with pytest.raises(KeyError):
        store.mark_compromised(b"\x00" * 8)


def test_compromising_the_active_key_stops_signing(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys")
    kid = store.rotate()
    store.mark_compromised(kid)
    with pytest.raises(NoActiveKeyError):
        issue(store)
    store.rotate()
    assert check_token(issue(store), store.keyset(), NOW).ok
    # Rotation never revives a compromised key.
    assert {k.kid: k.status for k in store.public_keys()}[kid] is KeyStatus.COMPROMISED


def test_compromised_key_file_gone_still_published(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys")
    kid = store.rotate()
    store.rotate()
    store.mark_compromised(kid)
    (tmp_path / "keys" / f"{kid.hex()}.pem").unlink()
    entry = store.jwks()["compromised_keys"][0]
    assert "x" not in entry and b64url_decode(entry["kid"]) == kid
    assert KeySet.from_jwks(store.jwks()).get(kid).status is KeyStatus.COMPROMISED  # type: ignore[union-attr]


def test_jwks_has_no_private_material(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys")
    store.rotate()
    (entry,) = store.jwks()["keys"]
    assert set(entry) == {"kty", "crv", "kid", "x", "alg", "use", "status", "created"}
    assert (entry["kty"], entry["crv"], entry["alg"], entry["use"]) == (
        "OKP",
        "Ed25519",
        "EdDSA",
        "sig",
    )
    assert len(b64url_decode(entry["x"])) == 32


def test_issue_token_checks_series(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys")
    store.rotate()
    with pytest.raises(ValueError, match="series"):
        issue(store, kind="registration")  # a 不动产权 number on a 登记证明
    text = issue(store, kind=DocumentKind.REGISTRATION, number=CertificateNumber(43, 2022, 2, 1))
    assert check_token(text, store.keyset(), NOW).claims.number.series == 2  # type: ignore[union-attr]
    text = issue(store, kind=3, number="湘(2022)长沙市不动产证明第0000001号", exp=NOW + 60)
    assert check_token(text, store.keyset(), NOW).ok


A = Ed25519Signer.from_seed(hashlib.sha256(b"test_verify_keys A").digest())
B = Ed25519Signer.from_seed(hashlib.sha256(b"test_verify_keys B").digest())


def test_from_jwks_rules() -> None:
    plain = {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": b64url_encode(A.kid),
                       "x": b64url_encode(A.public_key)}]}  # fmt: skip
    keyset = KeySet.from_jwks(plain)
    assert keyset.get(A.kid) == KeyInfo(A.kid, A.public_key, KeyStatus.ACTIVE)
    # Other key types and uses are skipped, not fatal.
    mixed = {"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "r1"},
                      {**plain["keys"][0], "use": "enc"},
                      {**plain["keys"][0], "key_ops": ["encrypt"]},
                      {"kty": "OKP", "crv": "X25519", "kid": "x", "x": "AA"}]}  # fmt: skip
    assert len(KeySet.from_jwks(mixed)) == 0
    flagged = {"keys": [{**plain["keys"][0], "status": "compromised"}]}
    assert KeySet.from_jwks(flagged).get(A.kid).status is KeyStatus.COMPROMISED  # type: ignore[union-attr]
    # A compromise notice wins over a "keys" entry for the same kid, in any order.
    both = {"keys": plain["keys"], "compromised_keys": [{"kid": b64url_encode(A.kid)}]}
    both_keyset = KeySet.from_jwks(both)
    assert both_keyset.get(A.kid).status is KeyStatus.COMPROMISED  # type: ignore[union-attr]
    token = sign(
        Claims(ISSUER, NOW, DocumentKind.PROPERTY, bytes(12), "N1", bytes(16)),
        A,
    )
    assert verify.verify(token, both_keyset, now=NOW).reason is Reason.COMPROMISED_KEY
    assert verify.verify(token, KeySet(), now=NOW).reason is Reason.UNKNOWN_KEY


@pytest.mark.parametrize(
    "jwks",
    [
        [],
        {"keys": {}},
        {"keys": ["x"]},
        {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": b64url_encode(A.kid),
                   "x": b64url_encode(B.public_key)}]},  # kid does not match x
        {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": b64url_encode(A.kid)}]},  # no x
        {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "AAAA",
                   "x": b64url_encode(A.public_key)}]},  # short kid
        {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": b64url_encode(A.kid),
                   "x": b64url_encode(A.public_key), "status": "maybe"}]},
        {"keys": [], "compromised_keys": {}},
    ],
)  # fmt: skip
def test_from_jwks_refuses_bad_sets(jwks: object) -> None:
    with pytest.raises(ValueError):
        KeySet.from_jwks(jwks)  # type: ignore[arg-type]


def test_keyset_round_trip() -> None:
    keyset = KeySet([A.key_info(), B.key_info(KeyStatus.RETIRED)])
    again = KeySet.from_jwks(keyset.to_jwks())
    assert list(again) == list(keyset)
    assert A.kid in again and len(again) == 2
