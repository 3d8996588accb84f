"""Signed verification tokens for registry documents (COSE_Sign1 / Ed25519 in a QR link).

Independent of the web application: a bank or any third party can vendor this
package alone. Only ``cbor2`` and ``cryptography`` are needed for signing and
verification; ``segno``, ``Pillow`` and ``zxing-cpp`` only for QR images.
See ``verify/README.md`` and ``docs/verification-token.md``.
"""

from __future__ import annotations

from .claims import (
    DIGEST_LENGTH,
    DOCUMENT_ID_LENGTH,
    MAX_NUMBER_TEXT_BYTES,
    SHOWING_MAX_SECONDS,
    CertificateNumber,
    Claims,
    DocumentKind,
    compact_number,
    content_digest,
    digest_matches,
    format_number,
    is_showing,
    new_document_id,
)
from .cose import DEFAULT_SKEW, Reason, Verdict, sign, verify
from .errors import MalformedToken, NoActiveKeyError, TokenError, TokenTooLarge
from .keys import (
    Ed25519Signer,
    FileKeyStore,
    KeyInfo,
    KeySet,
    KeyStatus,
    KeyStore,
    Signer,
    derive_kid,
)
from .qr import QR_MAX_VERSION, make_qr, qr_png, qr_svg, read_qr
from .url import (
    MAX_TOKEN_BYTES,
    extract_token,
    qr_url,
    text_to_token,
    token_from_url,
    token_to_text,
    token_url,
)

__all__ = [
    "DEFAULT_SKEW",
    "DIGEST_LENGTH",
    "DOCUMENT_ID_LENGTH",
    "MAX_NUMBER_TEXT_BYTES",
    "MAX_TOKEN_BYTES",
    "QR_MAX_VERSION",
    "SHOWING_MAX_SECONDS",
    "CertificateNumber",
    "Claims",
    "DocumentKind",
    "Ed25519Signer",
    "FileKeyStore",
    "KeyInfo",
    "KeySet",
    "KeyStatus",
    "KeyStore",
    "MalformedToken",
    "NoActiveKeyError",
    "Reason",
    "Signer",
    "TokenError",
    "TokenTooLarge",
    "Verdict",
    "check_token",
    "compact_number",
    "content_digest",
    "derive_kid",
    "digest_matches",
    "extract_token",
    "format_number",
    "is_showing",
    "issue_token",
    "make_qr",
    "new_document_id",
    "qr_png",
    "qr_svg",
    "qr_url",
    "read_qr",
    "sign",
    "text_to_token",
    "token_from_url",
    "token_to_text",
    "token_url",
    "verify",
]


def issue_token(
    store: KeyStore,
    *,
    issuer: str,
    kind: DocumentKind | int | str,
    document_id: bytes,
    number: str | CertificateNumber,
    digest: bytes,
    iat: int,
    exp: int | None = None,
) -> str:
    """Sign with the store's active key; return the base32 token text.

    ``number`` is the printed number (compacted here) or an already compact
    :class:`CertificateNumber`. Raises ``ValueError`` for invalid claims and
    :class:`NoActiveKeyError` when the store has no active key.
    """
    compact = number if isinstance(number, CertificateNumber) else compact_number(number)
    claims = Claims(
        iss=issuer,
        iat=iat,
        kind=DocumentKind.parse(kind),
        document_id=document_id,
        number=compact,
        digest=digest,
        exp=exp,
    )
    _check_series(claims)
    return token_to_text(sign(claims, store.signer()))


def _check_series(claims: Claims) -> None:
    number = claims.number
    if not isinstance(number, CertificateNumber):
        return
    expected = {DocumentKind.PROPERTY: 1, DocumentKind.REGISTRATION: 2}.get(claims.kind)
    if expected is not None and number.series != expected:
        raise ValueError(f"a {claims.kind.code_name} number must be of series {expected}")


def check_token(text: str | bytes, keyset: KeySet, now: int | float) -> Verdict:
    """Verify a verification URL, token text or token bytes at time ``now``."""
    return verify(text, keyset, now=now)
