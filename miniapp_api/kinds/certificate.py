"""Certificates (不动产权证书, 不动产登记证明) as a document kind.

The masked view is one SQL query — one row per (holder, active encumbrance) — run as a raw
statement on the check's connection: this is the verification hot path. Certificates are not
downloaded by citizens (their e-license copies are), so the kind is not printable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import and_, bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from ..clock import day, day_zh
from ..database import db
from ..domain import documents
from ..domain.masking import mask_name
from ..domain.rawsql import RawStatement
from ..labels import CERTIFICATE_STATUS_LABELS, CO_OWNERSHIP_LABELS, ENCUMBRANCE_LABELS
from ..labels import DOCUMENT_KIND_LABELS as KIND_LABELS
from ..models import (
    Certificate,
    Encumbrance,
    IssuedDocument,
    Person,
    PropertyRight,
    RealEstateUnit,
    RightHolder,
)
from .base import DocumentKind, KindView, content_changed

# Mortgagees and courts are organisations; objection and advance-notice holders are people.
_PUBLIC_HOLDER_KINDS = {"mortgage", "seizure"}


def _area_text(value: Any) -> str:
    return f"{value:.2f}" if value is not None else ""


_cert = Certificate.__table__.c
_unit = RealEstateUnit.__table__.c
_right = PropertyRight.__table__.c
_doc = IssuedDocument.__table__.c
_successor = aliased(Certificate.__table__, name="successor")
_holder = RightHolder.__table__.c
_person = Person.__table__.c
_enc = Encumbrance.__table__.c


def _certificate_query() -> Any:
    return (
        select(
            _cert.id,
            _cert.kind,
            _cert.number,
            _cert.print_serial,
            _cert.status,
            _cert.issued_at,
            _cert.status_changed_at,
            _cert.rights_holder_org,
            _cert.encumbrance_id,
            _cert.right_id,
            _right.co_ownership,
            _right.unit_id,
            _unit.unit_number,
            _unit.location,
            _unit.use,
            _unit.area_m2,
            _unit.right_type,
            _unit.right_nature,
            _unit.land_term,
            _successor.c.number.label("successor_number"),
            _holder.person_id,
            _holder.share,
            _person.name,
            _enc.id.label("enc_id"),
            _enc.kind.label("enc_kind"),
            _enc.holder.label("enc_holder"),
            _enc.started_at.label("enc_started_at"),
        )
        .select_from(Certificate.__table__)
        .join(PropertyRight.__table__, _right.id == _cert.right_id)
        .join(RealEstateUnit.__table__, _unit.id == _right.unit_id)
        .outerjoin(_successor, _successor.c.id == _cert.superseded_by_id)
        .outerjoin(RightHolder.__table__, _holder.right_id == _right.id)
        .outerjoin(Person.__table__, _person.id == _holder.person_id)
        .outerjoin(Encumbrance.__table__, and_(_enc.unit_id == _unit.id, _enc.ended_at.is_(None)))
        .order_by(_holder.position, _holder.person_id, _enc.started_at, _enc.id)
    )


_BY_DOCUMENT = (
    _certificate_query()
    .add_columns(_doc.kind.label("document_kind"))
    .join(IssuedDocument.__table__, _doc.certificate_id == _cert.id)
    .where(_doc.document_id == bindparam("document_id"))
)
_RAW_BY_DOCUMENT = RawStatement(_BY_DOCUMENT)
_BY_ID = _certificate_query().where(_cert.id == bindparam("certificate_id"))
_LATEST_DIGEST = (
    select(_doc.content_digest)
    .where(_doc.certificate_id == bindparam("certificate_id"))
    .order_by(_doc.id.desc())
    .limit(1)
)
_ACTIVE_ENCUMBRANCES = (
    select(_enc.id, _enc.kind, _enc.holder, _enc.started_at)
    .where(and_(_enc.unit_id == bindparam("unit_id"), _enc.ended_at.is_(None)))
    .order_by(_enc.started_at, _enc.id)
)


def active_encumbrances(conn: Connection, unit_id: int) -> list[dict[str, Any]]:
    """Active encumbrances of a unit, public view: kind, label, start date (holder only for
    mortgagees and courts, which are organisations)."""
    rows = conn.execute(_ACTIVE_ENCUMBRANCES, {"unit_id": unit_id})
    return [encumbrance_item(e.kind, e.holder, e.started_at) for e in rows]


def encumbrance_item(kind: str, holder: str, started_at: datetime) -> dict[str, Any]:
    item: dict[str, Any] = {
        "kind": kind,
        "label": ENCUMBRANCE_LABELS.get(kind, kind),
        "started_on": day(started_at),
    }
    if kind in _PUBLIC_HOLDER_KINDS:
        item["holder"] = holder
    return item


# Whether a token's digest still matches the record: a pure function of the digest and the
# record's canonical values, remembered per worker (FIFO, bounded) so that a repeated check of
# an unchanged certificate does not rebuild and hash the canonical CBOR each time. A staff
# change alters the values, so it is a new key: the next scan sees it at once.
_CHANGED: dict[tuple[Any, ...], bool] = {}
CHANGED_MEMO_SIZE = 8192


def _content_changed(digest: bytes, row: Any, holders: list[Any]) -> bool:
    people = tuple((h.person_id, h.share) for h in holders)
    key = (
        digest, row.kind, row.number, row.print_serial, row.issued_at, row.unit_number,
        row.location, row.use, row.area_m2, row.right_type, row.right_nature, row.land_term,
        row.co_ownership, people, row.rights_holder_org, row.encumbrance_id,
    )  # fmt: skip
    changed = _CHANGED.get(key)
    if changed is None:
        fields = documents.certificate_fields(
            kind=row.kind,
            number=row.number,
            print_serial=row.print_serial,
            issued_at=row.issued_at,
            unit_number=row.unit_number,
            location=row.location,
            use=row.use,
            area_m2=row.area_m2,
            right_type=row.right_type,
            right_nature=row.right_nature,
            land_term=row.land_term,
            co_ownership=row.co_ownership,
            holders=list(people),
            rights_holder_org=row.rights_holder_org,
            encumbrance_id=row.encumbrance_id,
        )
        changed = content_changed(digest, fields)
        if len(_CHANGED) >= CHANGED_MEMO_SIZE:
            _CHANGED.pop(next(iter(_CHANGED)), None)
        _CHANGED[key] = changed
    return changed


def certificate_view(
    conn: Connection,
    document_id: bytes | None,
    digest: bytes | None,
    *,
    certificate_id: int | None = None,
) -> KindView | None:
    """Masked view of a certificate found by its document id (or, by number, its id)."""
    if document_id is not None:
        rows = _RAW_BY_DOCUMENT.all(conn, {"document_id": document_id})
    else:
        rows = conn.execute(_BY_ID, {"certificate_id": certificate_id}).all()
        if rows:
            digest = conn.execute(_LATEST_DIGEST, {"certificate_id": rows[0].id}).scalar()
    if not rows:
        return None
    # One query: one row per (holder, active encumbrance), holders in order.
    row = rows[0]
    holders, seen_people, encumbrances, seen_enc = [], set(), [], set()
    for r in rows:
        if r.person_id is not None and r.person_id not in seen_people:
            seen_people.add(r.person_id)
            holders.append(r)
        if r.enc_id is not None and r.enc_id not in seen_enc:
            seen_enc.add(r.enc_id)
            encumbrances.append((r.enc_started_at, r.enc_id, r.enc_kind, r.enc_holder))
    encumbrances.sort()
    changed = digest is not None and _content_changed(digest, row, holders)
    kind = documents.certificate_document_kind(row.kind)
    names = [mask_name(h.name) for h in holders]
    document: dict[str, Any] = {
        "kind": kind,
        "kind_label": KIND_LABELS[kind],
        "number": row.number,
        "location": row.location,
        "area_m2": _area_text(row.area_m2),
        "use": row.use,
        "right_type": row.right_type,
        "co_ownership": row.co_ownership,
        "holders": names,
        "issued_on": day(row.issued_at),
        "status": row.status,
        "status_label": CERTIFICATE_STATUS_LABELS.get(row.status, row.status),
        "status_changed_on": day(row.status_changed_at),
    }
    display = [
        ("证书类型", KIND_LABELS[kind]),
        ("证书号", row.number),
    ]
    if row.kind == "registration":
        document["rights_holder"] = row.rights_holder_org
        document["obligors"] = names
        document.pop("holders")
        display += [
            ("证明权利或事项", "抵押权" if row.encumbrance_id else "登记事项"),
            ("权利人", row.rights_holder_org or ""),
            ("义务人", "、".join(names)),
        ]
    else:
        display += [
            ("权利人", "、".join(names)),
            ("共有情况", CO_OWNERSHIP_LABELS.get(row.co_ownership, row.co_ownership)),
        ]
    display += [
        ("坐落", row.location),
        ("面积", f"{_area_text(row.area_m2)} 平方米"),
        ("用途", row.use),
        ("权利类型", row.right_type),
        ("登簿/发证日期", day_zh(row.issued_at)),
    ]
    if row.status == "superseded":
        verdict = reason = "superseded"
        document["superseded_by"] = row.successor_number
        if row.successor_number:
            display.append(("新证书号", row.successor_number))
    elif row.status == "cancelled":
        verdict = reason = "cancelled"
    else:
        verdict, reason = "authentic", "valid"
    return KindView(
        verdict=verdict,
        reason=reason,
        document=document,
        display=display,
        encumbrances=[encumbrance_item(k, h, at) for at, _, k, h in encumbrances],
        content_changed=changed,
        number=row.number,
    )


class CertificateKind(DocumentKind):
    """``property_certificate`` and ``registration_certificate`` (one class, two names)."""

    printable: ClassVar[bool] = False

    def __init__(self, name: str) -> None:
        self.name = name  # type: ignore[misc]
        self.label = KIND_LABELS[name]  # type: ignore[misc]

    def load(self, public_id: str) -> Certificate | None:
        """A certificate by its number (certificates have no random public id)."""
        return db.session.execute(
            select(Certificate).where(Certificate.number == public_id)
        ).scalar_one_or_none()

    def owned_by(self, record: Certificate, person_id: int | None) -> bool:
        return person_id is not None and any(h.person_id == person_id for h in record.right.holders)

    def canonical_fields(self, record: Certificate) -> dict[str, str | int | None]:
        return documents.canonical_fields(self.name, certificate=record)

    def view(
        self, conn: Connection, document_id: bytes, digest: bytes | None, now: datetime
    ) -> KindView | None:
        return certificate_view(conn, document_id, digest)


PROPERTY_CERTIFICATE = CertificateKind("property_certificate")
