"""verify: claims, compact numbers, content digest, signing/verification round trips, URLs."""

from __future__ import annotations

import hashlib
import random
import unicodedata

import cbor2
import pytest

from verify import (
    DOCUMENT_ID_LENGTH,
    CertificateNumber,
    Claims,
    DocumentKind,
    Ed25519Signer,
    KeySet,
    MalformedToken,
    Reason,
    TokenTooLarge,
    Verdict,
    check_token,
    compact_number,
    content_digest,
    digest_matches,
    extract_token,
    format_number,
    new_document_id,
    qr_url,
    sign,
    text_to_token,
    token_from_url,
    token_to_text,
    token_url,
    verify,
)
from verify.cose import sig_structure

NOW = 1_767_225_600
ISSUER = "12430100MB1C23456X"
BASE = "https://bdc.example.gov.cn"
SIGNER = Ed25519Signer.from_seed(hashlib.sha256(b"test_verify_core: test key").digest())
OTHER = Ed25519Signer.from_seed(hashlib.sha256(b"test_verify_core: other key").digest())
KEYS = KeySet([SIGNER.key_info()])


def make_claims(**changes: object) -> Claims:
    values: dict[str, object] = {
        "iss": ISSUER,
        "iat": NOW - 3600,
        "kind": DocumentKind.PROPERTY,
        "document_id": bytes(range(12)),
        "number": CertificateNumber(43, 2022, 1, 1234),
        "digest": bytes(16),
        "exp": None,
    }
    values.update(changes)
    return Claims(**values)  # type: ignore[arg-type]


def raw_sign1(payload: bytes, header: object = None, unprotected: object = None) -> bytes:
    protected = cbor2.dumps(header if header is not None else {1: -8, 4: SIGNER.kid})
    signature = SIGNER.sign(sig_structure(protected, payload))
    body = [protected, {} if unprotected is None else unprotected, payload, signature]
    return cbor2.dumps(cbor2.CBORTag(18, body))


# --- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "number", "exp"),
    [
        (DocumentKind.PROPERTY, "湘(2022)长沙市不动产权第0001234号", None),
        (DocumentKind.REGISTRATION, "湘（2023）长沙市不动产证明第0765432号", None),
        (DocumentKind.ELICENSE_COPY, "湘(2022)长沙市不动产权第0001234号", NOW + 86400),
        (DocumentKind.HOUSING_PROOF, "FWZM2025123456", NOW + 30 * 86400),
    ],
)
def test_round_trip_every_kind(kind: DocumentKind, number: str, exp: int | None) -> None:
    claims = make_claims(kind=kind, number=compact_number(number), exp=exp)
    token = sign(claims, SIGNER)
    url = qr_url(BASE, token)
    for form in (token, token_to_text(token), token_to_text(token).lower(), url,
                 token_url(BASE, token), url.replace("/V/", "/v/")):  # fmt: skip
        verdict = verify(form, KEYS, now=NOW)
        assert verdict == Verdict(Reason.VALID, claims, SIGNER.kid)
        assert verdict.ok
    assert check_token(url, KEYS, NOW).claims == claims


def test_verdict_to_dict_is_json_ready() -> None:
    token = sign(make_claims(), SIGNER)
    out = verify(token, KEYS, now=NOW).to_dict()
    assert out["ok"] is True and out["reason"] == "valid"
    assert out["claims"]["number"] == "湘(2022)…不动产权第0001234号"
    assert out["claims"]["document_id"] == bytes(range(12)).hex()


def test_time_rules_and_skew() -> None:
    token = sign(make_claims(iat=NOW, exp=NOW + 100), SIGNER)
    assert verify(token, KEYS, now=NOW + 99).reason is Reason.VALID
    expired = verify(token, KEYS, now=NOW + 100)
    assert expired.reason is Reason.EXPIRED and expired.claims is not None
    assert verify(token, KEYS, now=NOW - 300).reason is Reason.VALID
    early = verify(token, KEYS, now=NOW - 301)
    assert early.reason is Reason.NOT_YET_VALID and early.claims is not None
    assert verify(token, KEYS, now=NOW - 301, skew=600).reason is Reason.VALID
    assert verify(token, KEYS, now=NOW - 1, skew=0).reason is Reason.NOT_YET_VALID


def test_unknown_key_and_bad_signature_carry_no_claims() -> None:
    token = sign(make_claims(), OTHER)
    verdict = verify(token, KEYS, now=NOW)
    assert verdict.reason is Reason.UNKNOWN_KEY and verdict.claims is None
    assert verdict.kid == OTHER.kid
    tampered = bytearray(sign(make_claims(), SIGNER))
    tampered[30] ^= 0x40
    verdict = verify(bytes(tampered), KEYS, now=NOW)
    assert not verdict.ok and verdict.claims is None


# --- strict structure ----------------------------------------------------------------------


def test_too_large_is_decided_before_parsing() -> None:
    assert verify(b"\xd2" + bytes(1024), KEYS, now=NOW).reason is Reason.TOO_LARGE
    assert verify("A" * 1640, KEYS, now=NOW).reason is Reason.TOO_LARGE
    assert verify(BASE + "/v/" + "A" * 1640, KEYS, now=NOW).reason is Reason.TOO_LARGE
    assert verify("x" * 5000, KEYS, now=NOW).reason is Reason.TOO_LARGE
    with pytest.raises(TokenTooLarge):
        text_to_token("A" * 1640)


PAYLOAD = make_claims().to_payload()


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        (b"", "truncated"),
        (b"\xd2", "truncated"),
        (b"\xd2\x9f\xff", "indefinite"),  # indefinite-length array
        (raw_sign1(PAYLOAD)[:-1], "past the end"),
        (raw_sign1(PAYLOAD, header={1: -8}), "exactly alg"),
        (raw_sign1(PAYLOAD, header={1: -8, 4: SIGNER.kid, 2: [1]}), "nesting"),
        (raw_sign1(PAYLOAD, header={1: -8, 4: SIGNER.kid, 3: 0}), "exactly alg"),
        (raw_sign1(PAYLOAD, header={1: -8, 4: SIGNER.kid[:4]}), "kid must be"),
        (raw_sign1(PAYLOAD, header={1: "EdDSA", 4: SIGNER.kid}), "wrong_algorithm"),
        (raw_sign1(PAYLOAD, header=[-8, SIGNER.kid]), "exactly alg"),
        (raw_sign1(PAYLOAD, unprotected={4: SIGNER.kid}), "unprotected"),
        (raw_sign1(PAYLOAD, unprotected=[]), "unprotected"),
        (cbor2.dumps(cbor2.CBORTag(18, [b"", {}, PAYLOAD, bytes(64)])), "protected header"),
        (cbor2.dumps(cbor2.CBORTag(18, [b"\xa0", {}, None, bytes(64)])), "simple values"),
        (cbor2.dumps(cbor2.CBORTag(18, [b"\xa0", {}, PAYLOAD, bytes(63)])), "64 bytes"),
        (cbor2.dumps(cbor2.CBORTag(18, [b"\xa0", {}, PAYLOAD])), "array of 4"),
        (cbor2.dumps(cbor2.CBORTag(18, {1: 2})), "array of 4"),
        (cbor2.dumps(cbor2.CBORTag(18, [b"\xa0", {}, PAYLOAD, 1.5])), "floats"),
        (cbor2.dumps(cbor2.CBORTag(18, [cbor2.CBORTag(24, b"\xa0"), {}, b"", b""])), "tag"),
        (cbor2.dumps(cbor2.CBORTag(18, [[[[1]]], {}, b"", b""])), "nesting"),
        (cbor2.dumps(cbor2.CBORTag(18, [b"", {b"k": 1}, b"", b""])), "map keys"),
        (bytes.fromhex("d28441a1a0405840") + bytes(64), "protected header: container count"),
        # duplicate key in the protected header: {1: -8, 1: -8}
        (cbor2.dumps(cbor2.CBORTag(18, [bytes.fromhex("a2012701 27"), {}, b"", bytes(64)])), ""),
        (bytes.fromhex("d84080"), "wrong_tag: expected tag 18"),
        (raw_sign1(PAYLOAD) + b"\x00", "trailing"),
        (bytes.fromhex("8440a040"), "container count"),
        (bytes.fromhex("8440a0405840") + bytes(64), "wrong_tag: untagged"),
    ],
)
def test_malformed_structures(token: bytes, detail: str) -> None:
    verdict = verify(token, KEYS, now=NOW)
    assert verdict.reason is Reason.MALFORMED, verdict
    assert detail in verdict.detail
    assert verdict.claims is None


@pytest.mark.parametrize(
    "payload",
    [
        cbor2.dumps({**cbor2.loads(PAYLOAD), 5: NOW}),  # unknown label (nbf)
        cbor2.dumps({k: v for k, v in cbor2.loads(PAYLOAD).items() if k != 7}),  # no id
        cbor2.dumps({**cbor2.loads(PAYLOAD), -1: 9}),  # unknown kind
        cbor2.dumps({**cbor2.loads(PAYLOAD), -1: "property"}),  # kind as text
        cbor2.dumps({**cbor2.loads(PAYLOAD), 7: bytes(8)}),  # short id
        cbor2.dumps({**cbor2.loads(PAYLOAD), -3: bytes(32)}),  # long digest
        cbor2.dumps({**cbor2.loads(PAYLOAD), -2: [43, 2022, 1]}),  # short number
        cbor2.dumps({**cbor2.loads(PAYLOAD), -2: [99, 2022, 1, 1]}),  # unknown province
        cbor2.dumps({**cbor2.loads(PAYLOAD), -2: "x" * 21}),  # number text too long
        cbor2.dumps({**cbor2.loads(PAYLOAD), 1: "short"}),  # bad issuer
        cbor2.dumps({**cbor2.loads(PAYLOAD), 6: -5}),  # negative iat
        cbor2.dumps({**cbor2.loads(PAYLOAD), 4: NOW - 7200}),  # exp before iat
        cbor2.dumps({**cbor2.loads(PAYLOAD), 6: cbor2.CBORTag(1, NOW)}),  # tagged time
        cbor2.dumps({**cbor2.loads(PAYLOAD), 6: float(NOW)}),  # float time
        cbor2.dumps({**cbor2.loads(PAYLOAD), -2: [[43], 2022, 1, 1]}),  # nesting
        cbor2.dumps([1, 2]),  # not a map
        PAYLOAD + b"\x00",  # trailing byte
    ],
)
def test_signed_but_malformed_payload(payload: bytes) -> None:
    verdict = verify(raw_sign1(payload), KEYS, now=NOW)
    assert verdict.reason is Reason.MALFORMED, verdict
    assert verdict.detail.startswith("payload:")
    assert verdict.claims is None


def test_non_canonical_payload_encoding_is_accepted() -> None:
    # The signature covers the bytes as sent; key order is not a validity rule.
    reordered = dict(reversed(list(cbor2.loads(PAYLOAD).items())))
    payload = cbor2.dumps(reordered)
    assert payload != PAYLOAD
    assert verify(raw_sign1(payload), KEYS, now=NOW).claims == make_claims()


def test_verify_never_raises_on_mutations() -> None:
    rng = random.Random(1234)
    good = sign(make_claims(exp=NOW + 10), SIGNER)
    reasons = set()
    for _ in range(400):
        data = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            op = rng.random()
            pos = rng.randrange(len(data))
            if op < 0.6:
                data[pos] = rng.randrange(256)
            elif op < 0.8:
                del data[pos]
            else:
                data.insert(pos, rng.randrange(256))
        verdict = verify(bytes(data), KEYS, now=NOW)
        assert isinstance(verdict, Verdict)
        assert not verdict.ok or bytes(data) == good
        reasons.add(verdict.reason)
    for _ in range(200):
        blob = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300)))
        assert not verify(blob, KEYS, now=NOW).ok
        assert not verify(blob.decode("latin-1"), KEYS, now=NOW).ok
    assert {Reason.MALFORMED, Reason.BAD_SIGNATURE} <= reasons


# --- claims and numbers --------------------------------------------------------------------


def test_compact_number_forms() -> None:
    assert compact_number("湘(2022)长沙市不动产权第0001234号") == (43, 2022, 1, 1234)
    assert compact_number(" 粤（2019）深圳市不动产证明第0100000号 ") == (44, 2019, 2, 100000)
    assert compact_number("黔(2020)贵阳市不动产权第9999999号").format("贵阳市") == (
        "黔(2020)贵阳市不动产权第9999999号"
    )
    # Not the national pattern: kept as text (NFC), bounded.
    assert compact_number("FWZM2025123456") == "FWZM2025123456"
    assert compact_number("长证2022-123") == "长证2022-123"
    with pytest.raises(ValueError, match="UTF-8 bytes"):  # unknown province: stays text
        compact_number("X(2022)长沙市不动产权第0001234号")
    with pytest.raises(ValueError, match="UTF-8 bytes"):
        compact_number("湘(2022)长沙市房权证第0001234号")  # 26 bytes of text
    with pytest.raises(ValueError):
        compact_number("")
    assert format_number(CertificateNumber(43, 2022, 2, 7)) == "湘(2022)…不动产证明第0000007号"
    assert format_number("FWZM1") == "FWZM1"


def test_claims_validation() -> None:
    with pytest.raises(ValueError, match="iss"):
        make_claims(iss="12430100mb1c23456x")
    with pytest.raises(ValueError, match="document_id"):
        make_claims(document_id=bytes(16))
    with pytest.raises(ValueError, match="digest"):
        make_claims(digest=bytes(32))
    with pytest.raises(ValueError, match="exp"):
        make_claims(exp=NOW - 3600)
    with pytest.raises(ValueError):
        make_claims(kind=9)
    with pytest.raises(ValueError, match="province"):
        make_claims(number=(10, 2022, 1, 1))
    with pytest.raises(ValueError):
        make_claims(number=b"bytes")
    assert make_claims(kind="housing_proof").kind is DocumentKind.HOUSING_PROOF
    assert make_claims(number=(43, 2022, 1, 5)).number == CertificateNumber(43, 2022, 1, 5)


def test_new_document_id_is_random() -> None:
    ids = {new_document_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == DOCUMENT_ID_LENGTH for i in ids)


def test_kind_codes_are_stable() -> None:
    assert [(k.value, k.code_name) for k in DocumentKind] == [
        (1, "property"),
        (2, "registration"),
        (3, "elicense_copy"),
        (4, "housing_proof"),
    ]
    assert DocumentKind.parse("registration") is DocumentKind.REGISTRATION
    with pytest.raises(ValueError):
        DocumentKind.parse(True)


# --- content digest ------------------------------------------------------------------------


def test_content_digest_canonicalisation() -> None:
    fields = {"number": "湘(2022)长沙市不动产权第0001234号", "area_m2": "89.50", "floor": 12}
    digest = content_digest(fields)
    assert len(digest) == 16
    # Hand-made canonical CBOR: keys sorted by encoded bytes (shorter first), NFC text.
    expected = (
        b"\xa3"
        + b"\x65floor" + b"\x0c"
        + b"\x66number" + b"\x78\x2b" + "湘(2022)长沙市不动产权第0001234号".encode()
        + b"\x67area_m2" + b"\x65" + b"89.50"
    )  # fmt: skip
    assert digest == hashlib.sha256(expected).digest()[:16]
    assert content_digest(dict(reversed(list(fields.items())))) == digest
    assert content_digest({**fields, "annotation": None}) == digest
    decomposed = {k: unicodedata.normalize("NFD", v) if isinstance(v, str) else v
                  for k, v in {**fields, "use": "café"}.items()}  # fmt: skip
    assert content_digest(decomposed) == content_digest({**fields, "use": "café"})
    assert content_digest({**fields, "floor": "12"}) != digest
    for bad in ({"x": True}, {"x": 1.5}, {"": "a"}, {1: "a"}):
        with pytest.raises(TypeError):
            content_digest(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        content_digest({"x": 2**70})
    claims = make_claims(digest=digest)
    assert digest_matches(claims, fields)
    assert not digest_matches(claims, {**fields, "area_m2": "89.51"})


# --- URLs and token text -------------------------------------------------------------------


def test_token_text_and_urls() -> None:
    token = sign(make_claims(), SIGNER)
    text = token_to_text(token)
    assert "=" not in text and text == text.upper()
    assert text_to_token(text.lower()) == token
    assert token_url(BASE + "/", token) == f"{BASE}/v/{text}"
    url = qr_url(BASE, token)
    assert url == f"HTTPS://BDC.EXAMPLE.GOV.CN/V/{text}"
    for form in (url, url.lower(), f"{BASE}/v/{text}/", f"{BASE}/V/{text}?from=wx#top", text,
                 f"  {BASE}/v/{text.lower()}\n", f"https://x.example/bdc/v/{text}"):  # fmt: skip
        assert extract_token(form) == text
        assert token_from_url(form) == token
    with pytest.raises(ValueError):
        qr_url("https://bdc.example.gov.cn/a_b", token)  # '_' is not QR alphanumeric
    with pytest.raises(ValueError):
        token_url("ftp://bdc.example.gov.cn", token)
    for bad in (f"{BASE}/x/{text}", f"{BASE}/v/", f"{BASE}/{text}"):
        with pytest.raises(MalformedToken):
            extract_token(bad)
    for bad in (text + "=", text[:-1] + "1", "A", "", "AB CD"):
        with pytest.raises(MalformedToken):
            text_to_token(bad)


def test_non_canonical_base32_is_refused() -> None:
    # 'AB' and 'AA' both decode to b'\x00' with lax decoders; only 'AA' is canonical.
    assert text_to_token("AA") == b"\x00"
    with pytest.raises(MalformedToken, match="canonical"):
        text_to_token("AB")
