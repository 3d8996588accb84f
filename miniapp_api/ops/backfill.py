"""Operations backfill: sign a QR token for every certificate that has none.

Run by ``flask --app wsgi issue-documents`` after a registry import, by ``seed-demo`` and by
``make run`` on a database seeded before tokens existed. Bulk Core inserts, at the speed of
Ed25519 signing; produces exactly what :func:`miniapp_api.domain.documents.issue_document`
would (same canonical fields, key, claims).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import insert, select

import verify

from ..database import db
from ..domain.canonical import certificate_fields, epoch_seconds
from ..domain.documents import KIND_CODES, certificate_document_kind
from ..domain.keys import FixedSigner, keystore
from ..models import Certificate, IssuedDocument, PropertyRight, RealEstateUnit, RightHolder


def _chunked_ids(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def issue_missing_certificate_documents(
    *, chunk: int = 5000, now: datetime | None = None, progress: Any = None
) -> int:
    """Sign a token for every certificate that has none; bulk Core inserts (no commit).

    Produces exactly what :func:`issue_document` would (same canonical fields, key, claims),
    at the speed of Ed25519 signing. Returns the number of documents issued.
    """
    cfg = current_app.config
    issuer = cfg["REGISTRY_ISSUER_CODE"]
    store = keystore()
    fixed = FixedSigner(store.signer())
    kid_hex = fixed.signer().kid.hex()
    issued = now if now is not None else datetime.now(UTC)
    iat = epoch_seconds(issued)
    have = select(IssuedDocument.certificate_id).where(IssuedDocument.certificate_id.is_not(None))
    ids = list(
        db.session.execute(
            select(Certificate.id).where(Certificate.id.not_in(have)).order_by(Certificate.id)
        ).scalars()
    )
    cert = Certificate.__table__.c
    unit = RealEstateUnit.__table__.c
    right = PropertyRight.__table__.c
    holder = RightHolder.__table__.c
    total = 0
    for batch in _chunked_ids(ids, chunk):
        rows = db.session.execute(
            select(
                cert.id,
                cert.kind,
                cert.number,
                cert.print_serial,
                cert.issued_at,
                cert.rights_holder_org,
                cert.encumbrance_id,
                cert.right_id,
                right.co_ownership,
                unit.unit_number,
                unit.location,
                unit.use,
                unit.area_m2,
                unit.right_type,
                unit.right_nature,
                unit.land_term,
            )
            .join(PropertyRight.__table__, right.id == cert.right_id)
            .join(RealEstateUnit.__table__, unit.id == right.unit_id)
            .where(cert.id.in_(batch))
        ).all()
        right_ids = sorted({r.right_id for r in rows})
        holders: dict[int, list[tuple[int, int, str | None]]] = {}
        for h in db.session.execute(
            select(holder.right_id, holder.position, holder.person_id, holder.share).where(
                holder.right_id.in_(right_ids)
            )
        ):
            holders.setdefault(h.right_id, []).append((h.position or 0, h.person_id, h.share))
        docs = []
        for r in rows:
            hs = [(pid, share) for _, pid, share in sorted(holders.get(r.right_id, []))]
            fields = certificate_fields(
                kind=r.kind,
                number=r.number,
                print_serial=r.print_serial,
                issued_at=r.issued_at,
                unit_number=r.unit_number,
                location=r.location,
                use=r.use,
                area_m2=r.area_m2,
                right_type=r.right_type,
                right_nature=r.right_nature,
                land_term=r.land_term,
                co_ownership=r.co_ownership,
                holders=hs,
                rights_holder_org=r.rights_holder_org,
                encumbrance_id=r.encumbrance_id,
            )
            document_id = verify.new_document_id()
            digest = verify.content_digest(fields)
            token = verify.issue_token(
                fixed,  # type: ignore[arg-type]
                issuer=issuer,
                kind=KIND_CODES[certificate_document_kind(r.kind)],
                document_id=document_id,
                number=r.number,
                digest=digest,
                iat=iat,
            )
            docs.append(
                {
                    "document_id": document_id,
                    "kind": certificate_document_kind(r.kind),
                    "certificate_id": r.id,
                    "copy_id": None,
                    "proof_id": None,
                    "content_digest": digest,
                    "token": token,
                    "kid": kid_hex,
                    "issued_at": issued,
                    "expires_at": None,
                }
            )
        if docs:
            db.session.execute(insert(IssuedDocument), docs)
        total += len(docs)
        if progress is not None:
            progress(total, len(ids))
    return total
