"""COSE_Sign1 (RFC 9052) with EdDSA/Ed25519: signing and verdict-returning verification."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature

from ._cbor import CBORStructureError, decode_strict, decode_tagged, encode_canonical
from .claims import Claims
from .errors import MalformedToken, TokenError, TokenTooLarge
from .keys import KID_LENGTH, KeySet, KeyStatus, Signer, b64url_encode
from .url import MAX_TOKEN_BYTES, extract_token, text_to_token

__all__ = [
    "COSE_SIGN1_TAG",
    "DEFAULT_SKEW",
    "Reason",
    "Verdict",
    "parse_envelope",
    "sig_structure",
    "sign",
    "verify",
]

COSE_SIGN1_TAG = 18
ALG_EDDSA = -8
HEADER_ALG = 1
HEADER_KID = 4
SIGNATURE_LENGTH = 64
DEFAULT_SKEW = 300  # seconds of clock difference tolerated for iat


class Reason(StrEnum):
    """Fixed set of verdict reasons. Only ``valid`` means the token is good."""

    VALID = "valid"
    MALFORMED = "malformed"  # also wrong tag / wrong algorithm, see Verdict.detail
    TOO_LARGE = "too_large"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    COMPROMISED_KEY = "compromised_key"


@dataclass(frozen=True)
class Verdict:
    """Outcome of :func:`verify`.

    ``claims`` is set only when the signature checked out under a trusted key:
    for ``valid``, ``expired`` and ``not_yet_valid``. ``detail`` is a short
    English diagnostic (e.g. ``wrong_tag: ...``, ``wrong_algorithm: ...``) for logs,
    not for display to citizens.
    """

    reason: Reason
    claims: Claims | None = None
    kid: bytes | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.reason is Reason.VALID

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reason": str(self.reason),
            "detail": self.detail,
            "kid": b64url_encode(self.kid) if self.kid is not None else None,
            "claims": self.claims.to_dict() if self.claims is not None else None,
        }


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """``["Signature1", protected, external_aad = h'', payload]`` (RFC 9052 section 4.4)."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def sign(claims: Claims, signer: Signer) -> bytes:
    """Sign ``claims``; return the tagged COSE_Sign1 bytes."""
    kid = signer.kid
    if len(kid) != KID_LENGTH:
        raise ValueError(f"kid must be {KID_LENGTH} bytes")
    protected = encode_canonical({HEADER_ALG: ALG_EDDSA, HEADER_KID: kid})
    payload = claims.to_payload()
    signature = signer.sign(sig_structure(protected, payload))
    if len(signature) != SIGNATURE_LENGTH:
        raise ValueError("an Ed25519 signature has 64 bytes")
    token = cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))
    if len(token) > MAX_TOKEN_BYTES:  # cannot happen with valid claims
        raise ValueError("token exceeds the size bound")
    return token


@dataclass(frozen=True)
class Envelope:
    protected: bytes
    payload: bytes
    signature: bytes
    kid: bytes


def parse_envelope(token: bytes) -> Envelope:
    """Check the COSE_Sign1 structure strictly; raise :class:`TokenError`."""
    if len(token) > MAX_TOKEN_BYTES:
        raise TokenTooLarge(f"token longer than {MAX_TOKEN_BYTES} bytes")
    try:
        # Envelope heads are not signed: only shortest forms, so that a signature has exactly
        # one token encoding (the signed protected header and payload may use any form).
        tag, body = decode_tagged(token, max_depth=2, shortest=True)
    except CBORStructureError as exc:
        raise MalformedToken(str(exc)) from exc
    if tag is None:
        raise MalformedToken(f"wrong_tag: untagged, expected tag {COSE_SIGN1_TAG} (COSE_Sign1)")
    if tag != COSE_SIGN1_TAG:
        raise MalformedToken(f"wrong_tag: expected tag {COSE_SIGN1_TAG} (COSE_Sign1), got {tag}")
    if not isinstance(body, list) or len(body) != 4:
        raise MalformedToken("COSE_Sign1 must be an array of 4 items")
    protected, unprotected, payload, signature = body
    if not isinstance(protected, bytes) or not isinstance(payload, bytes):
        raise MalformedToken("protected header and payload must be byte strings")
    if unprotected != {}:
        raise MalformedToken("unprotected header must be an empty map")
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_LENGTH:
        raise MalformedToken("signature must be 64 bytes")
    try:
        header = decode_strict(protected, max_depth=1)
    except CBORStructureError as exc:
        raise MalformedToken(f"protected header: {exc}") from exc
    if not isinstance(header, dict) or set(header) != {HEADER_ALG, HEADER_KID}:
        raise MalformedToken("protected header must be a map of exactly alg (1) and kid (4)")
    if header[HEADER_ALG] != ALG_EDDSA:
        raise MalformedToken(f"wrong_algorithm: expected EdDSA (-8), got {header[HEADER_ALG]!r}")
    kid = header[HEADER_KID]
    if not isinstance(kid, bytes) or len(kid) != KID_LENGTH:
        raise MalformedToken(f"kid must be {KID_LENGTH} bytes")
    return Envelope(protected, payload, signature, kid)


def _to_bytes(token: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(token, str):
        return text_to_token(extract_token(token))
    if len(token) > MAX_TOKEN_BYTES:
        raise TokenTooLarge(f"token longer than {MAX_TOKEN_BYTES} bytes")
    return bytes(token)


def verify(
    token: bytes | str,
    keyset: KeySet,
    *,
    now: int | float | None = None,
    skew: int = DEFAULT_SKEW,
) -> Verdict:
    """Verify a token (COSE bytes, base32 text or a verification URL).

    Never raises for bad input; every failure is a :class:`Verdict`. Order of
    checks: size, structure, key lookup, compromised key, signature, payload,
    ``iat`` (with ``skew``), ``exp`` (expired when ``now >= exp``).
    """
    if now is None:
        now = time.time()
    try:
        envelope = parse_envelope(_to_bytes(token))
    except TokenError as exc:
        return Verdict(Reason(exc.reason), detail=str(exc))
    kid = envelope.kid
    info = keyset.get(kid)
    if info is None:
        return Verdict(Reason.UNKNOWN_KEY, kid=kid, detail="kid not in the key set")
    if info.status is KeyStatus.COMPROMISED:
        # A signature by a compromised key proves nothing, so it is not even checked.
        return Verdict(Reason.COMPROMISED_KEY, kid=kid, detail="key marked compromised")
    public_key = keyset.public_key(kid)
    if public_key is None:  # pragma: no cover - KeySet keeps keys for trusted kids
        return Verdict(Reason.UNKNOWN_KEY, kid=kid, detail="no public key")
    try:
        public_key.verify(envelope.signature, sig_structure(envelope.protected, envelope.payload))
    except InvalidSignature:
        return Verdict(Reason.BAD_SIGNATURE, kid=kid, detail="Ed25519 signature does not verify")
    try:
        claims = Claims.from_payload(envelope.payload)
    except MalformedToken as exc:
        return Verdict(Reason.MALFORMED, kid=kid, detail=str(exc))
    if claims.iat > now + skew:
        return Verdict(Reason.NOT_YET_VALID, claims, kid, detail="iat is in the future")
    if claims.exp is not None and now >= claims.exp:
        return Verdict(Reason.EXPIRED, claims, kid, detail="now >= exp")
    return Verdict(Reason.VALID, claims, kid)
