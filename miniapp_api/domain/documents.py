"""Issuing signed documents: the one code path that creates QR tokens.

Every document that carries a verification QR — property certificates (不动产权证书),
registration certificates (不动产登记证明), annotated e-license copies (加注件) and housing
proofs (房屋证明) — is issued through :func:`issue_document`, which computes the content digest
over the document's canonical fields, signs a token with the active key of :func:`keystore`
and adds an :class:`IssuedDocument` row to the session (the caller commits).

The digest covers what the registry vouches for when it prints the document, never live
status (valid/cancelled, encumbrances — those are looked up at verification time) and never
personal data (holders enter as internal person ids and shares, not names or ID numbers), so
the public token cannot be used as an oracle to confirm a guessed name.

``issue_certificate`` is the helper for the handover flow (缮证发证): it creates the
certificate (next official number for the year, unique print serial), its electronic license
and its signed document in one go.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import verify
from verify import DocumentKind

from ..database import db
from ..models import (
    Certificate,
    ElectronicLicense,
    HousingProof,
    IssuedDocument,
    LicenseCopy,
    PropertyRight,
)
from .canonical import (
    canonical_fields,
    certificate_fields,
    copy_fields,
    epoch_seconds,
    proof_fields,
)
from .keys import FixedSigner, current_keyset, forget_keyset, keystore
from .validators import (
    LICENSE_TYPE_PROPERTY,
    LICENSE_TYPE_REGISTRATION,
    format_certificate_number,
    make_license_id,
)

__all__ = [
    "CERTIFICATE_DOCUMENT_KINDS",
    "KIND_CODES",
    "FixedSigner",
    "canonical_fields",
    "certificate_document",
    "certificate_document_kind",
    "certificate_fields",
    "copy_fields",
    "current_keyset",
    "document_url",
    "epoch_seconds",
    "forget_keyset",
    "issue_certificate",
    "issue_document",
    "keystore",
    "latest_document_for_certificate",
    "proof_fields",
    "qr_png",
    "qr_svg",
    "qr_text",
    "showing_token",
]

# Our document kinds (IssuedDocument.kind) and the kind codes carried in the token.
KIND_CODES: dict[str, DocumentKind] = {
    "property_certificate": DocumentKind.PROPERTY,
    "registration_certificate": DocumentKind.REGISTRATION,
    "license_copy": DocumentKind.ELICENSE_COPY,
    "housing_proof": DocumentKind.HOUSING_PROOF,
}
KIND_NAMES: dict[DocumentKind, str] = {code: name for name, code in KIND_CODES.items()}
CERTIFICATE_DOCUMENT_KINDS = {
    "property": "property_certificate",
    "registration": "registration_certificate",
}


def certificate_document_kind(certificate_kind: str) -> str:
    """``property`` → ``property_certificate``, ``registration`` → ``registration_certificate``."""
    return CERTIFICATE_DOCUMENT_KINDS[certificate_kind]


# --- issuing --------------------------------------------------------------------------------
def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def issue_document(
    kind: str,
    *,
    certificate: Certificate | None = None,
    copy: LicenseCopy | None = None,
    proof: HousingProof | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> IssuedDocument:
    """Sign a token for one document and add its :class:`IssuedDocument` (no commit).

    The linked row must have been flushed (it needs its id and, for certificates, its right,
    unit and holders). ``expires_at`` becomes the token's ``exp`` (copies and proofs: their
    valid-until; certificates: none). The number in the token is the certificate number, or
    the copy's/proof's serial (at most 20 UTF-8 bytes).
    """
    if kind not in KIND_CODES:
        raise ValueError(f"unknown document kind {kind!r}")
    fields = canonical_fields(kind, certificate=certificate, copy=copy, proof=proof)
    if certificate is not None:
        number = certificate.number
    elif copy is not None:
        number = copy.serial
    else:
        assert proof is not None
        number = proof.serial
    issued = _now(now)
    iat = epoch_seconds(issued)
    assert iat is not None
    exp = epoch_seconds(expires_at)
    if exp is not None and exp <= iat:
        raise ValueError("expires_at must be later than the issue time")
    document_id = verify.new_document_id()
    digest = verify.content_digest(fields)
    store = keystore()
    signer = store.signer()
    token = verify.issue_token(
        FixedSigner(signer),  # type: ignore[arg-type]
        issuer=current_app.config["REGISTRY_ISSUER_CODE"],
        kind=KIND_CODES[kind],
        document_id=document_id,
        number=number,
        digest=digest,
        iat=iat,
        exp=exp,
    )
    doc = IssuedDocument(
        document_id=document_id,
        kind=kind,
        certificate_id=certificate.id if certificate is not None else None,
        copy_id=copy.id if copy is not None else None,
        proof_id=proof.id if proof is not None else None,
        content_digest=digest,
        token=token,
        kid=signer.kid.hex(),
        issued_at=issued,
        expires_at=expires_at,
    )
    if certificate is not None:
        doc.certificate = certificate
    db.session.add(doc)
    return doc


def showing_token(doc: IssuedDocument, *, iat: int, exp: int) -> str:
    """A short-lived token for a certificate's own signed document (亮证, licenses/showing.py).

    The same claims as the permanent token on the paper — kind, document id, number and
    content digest — signed afresh with the active key, issued at ``iat`` and valid until
    ``exp`` (at most ``verify.SHOWING_MAX_SECONDS`` later); nothing is stored (verification
    finds the certificate's :class:`IssuedDocument` by document id, as for the permanent
    token), and ``verify.is_showing`` tells such a token from the certificate's own.
    """
    if doc.kind not in CERTIFICATE_DOCUMENT_KINDS.values() or doc.certificate is None:
        raise ValueError("only a certificate's document can be shown")
    if not 0 < exp - iat <= verify.SHOWING_MAX_SECONDS:
        raise ValueError("a showing lives more than 0 s and at most SHOWING_MAX_SECONDS")
    return verify.issue_token(
        FixedSigner(keystore().signer()),  # type: ignore[arg-type]
        issuer=current_app.config["REGISTRY_ISSUER_CODE"],
        kind=KIND_CODES[doc.kind],
        document_id=doc.document_id,
        number=doc.certificate.number,
        digest=doc.content_digest,
        iat=iat,
        exp=exp,
    )


def document_url(doc: IssuedDocument | str) -> str:
    """``{PUBLIC_BASE_URL}/v/{TOKEN}`` for a document (or bare token text)."""
    token = doc if isinstance(doc, str) else doc.token
    return verify.token_url(current_app.config["PUBLIC_BASE_URL"], token)


def qr_text(url: str) -> str:
    """What goes into the QR: the URL upper-cased when that is safe (QR alphanumeric mode,
    a smaller code); scheme and host are case-insensitive and ``/V/`` is served."""
    parts = urlsplit(url)
    path = parts.path
    if path.startswith("/v/") and path.count("/") == 2 and not parts.query and not parts.fragment:
        upper = url.upper()
        if not set(upper) - verify.url.QR_ALPHANUMERIC:
            return upper
    return url


def qr_png(url: str, scale: int = 6) -> bytes:
    """PNG of the QR for a verification URL (``scale`` pixels per module)."""
    return verify.qr_png(qr_text(url), scale=scale)


def qr_svg(url: str, scale: int = 4) -> str:
    """SVG text (no XML declaration) of the QR for a verification URL."""
    return verify.qr_svg(qr_text(url), scale=scale)


# --- certificates ---------------------------------------------------------------------------
def _next_certificate_number(kind: str, year: int) -> str:
    cfg = current_app.config
    province, city = cfg["REGISTRY_PROVINCE_ABBR"], cfg["REGISTRY_CITY"]
    prefix = format_certificate_number(province, year, city, kind, 0)[: -len("0000000号")]
    last = db.session.execute(
        select(func.max(Certificate.number)).where(Certificate.number.like(prefix + "%"))
    ).scalar()
    seq = int(last[len(prefix) : len(prefix) + 7]) + 1 if last else 1
    return format_certificate_number(province, year, city, kind, seq)


def _next_print_serial() -> str:
    province_code = current_app.config["REGISTRY_REGION_CODE"][:2]
    last = db.session.execute(
        select(func.max(Certificate.print_serial)).where(
            Certificate.print_serial.like(province_code + "%")
        )
    ).scalar()
    seq = int(last[2:]) + 1 if last else 100000001
    return f"{province_code}{seq:09d}"


def _next_license_sequence() -> int:
    return (db.session.execute(select(func.max(ElectronicLicense.id))).scalar() or 0) + 1


def issue_certificate(
    right: PropertyRight,
    *,
    kind: str = "property",
    rights_holder_org: str | None = None,
    encumbrance_id: int | None = None,
    issued_at: datetime | None = None,
    now: datetime | None = None,
    attempts: int = 5,
) -> Certificate:
    """Create a certificate for ``right`` with its e-license and signed document (no commit).

    The number is the next one for the issue year in the official format
    (``湘(2026)汨罗市不动产权第0000001号``), the print serial the next free one. Each attempt
    runs in a savepoint, so a concurrent issue that took the same number is retried.
    Returns the certificate; ``certificate.license`` is its e-license and
    :func:`certificate_document` its signed document (``document_url`` gives the QR link).
    ``issued_at`` and ``now`` are synonyms (the issue time; default: now).
    """
    if kind not in CERTIFICATE_DOCUMENT_KINDS:
        raise ValueError(f"unknown certificate kind {kind!r}")
    issued = _now(issued_at or now)
    type_code = LICENSE_TYPE_PROPERTY if kind == "property" else LICENSE_TYPE_REGISTRATION
    issuer = current_app.config["REGISTRY_ISSUER_CODE"]
    db.session.flush()
    last_error: IntegrityError | None = None
    for attempt in range(attempts):
        try:
            with db.session.begin_nested():
                cert = Certificate(
                    kind=kind,
                    number=_next_certificate_number(kind, issued.year),
                    print_serial=_next_print_serial(),
                    status="valid",
                    right=right,
                    right_id=right.id,
                    rights_holder_org=rights_holder_org,
                    encumbrance_id=encumbrance_id,
                    issued_at=issued,
                )
                db.session.add(cert)
                db.session.flush()
                lic = ElectronicLicense(
                    certificate_id=cert.id,
                    license_id=make_license_id(
                        type_code, issuer, _next_license_sequence() + attempt
                    ),
                    issued_at=issued,
                )
                lic.certificate = cert
                db.session.add(lic)
                db.session.flush()
                issue_document(certificate_document_kind(kind), certificate=cert, now=issued)
                db.session.flush()
            return cert
        except IntegrityError as exc:  # a concurrent issue took the number/serial; retry
            last_error = exc
    assert last_error is not None
    raise last_error


def latest_document(
    *,
    certificate_id: int | None = None,
    copy: LicenseCopy | None = None,
    proof: HousingProof | None = None,
) -> IssuedDocument | None:
    """The most recently issued signed document of a certificate, copy or proof."""
    if certificate_id is not None:
        condition = IssuedDocument.certificate_id == certificate_id
    elif copy is not None:
        condition = IssuedDocument.copy_id == copy.id
    elif proof is not None:
        condition = IssuedDocument.proof_id == proof.id
    else:
        raise TypeError("latest_document needs a certificate id, a copy or a proof")
    db.session.flush()
    return db.session.execute(
        select(IssuedDocument).where(condition).order_by(IssuedDocument.id.desc()).limit(1)
    ).scalar_one_or_none()


def latest_document_for_certificate(certificate_id: int) -> IssuedDocument | None:
    """The most recently issued signed document of a certificate (None if never issued)."""
    return latest_document(certificate_id=certificate_id)


def certificate_document(certificate: Certificate) -> IssuedDocument | None:
    """The signed document of a certificate (the latest, if it was ever re-issued)."""
    return latest_document(certificate_id=certificate.id)
