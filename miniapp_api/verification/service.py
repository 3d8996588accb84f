"""Answering a verification: token → verdict, masked document, live status.

Plain functions (no ``request``): the views pass in token text, a certificate number and
print serial, or the text read from a QR photo, and get an :class:`Answer` back. The same
answer feeds the JSON API and the server-rendered page.

Verdicts (``Answer.verdict``):

``authentic``         signature valid, document known, certificate valid (or proof/copy in date)
``cancelled``         the certificate (or the certificate behind a copy) was cancelled (注销)
``superseded``        the certificate was replaced by a new one (换证)
``expired``           a proof or copy past its validity (token ``exp`` or record)
``forged``            the signature does not verify, the key is unknown or compromised, or the
                      signed number does not match the record
``unknown_document``  the signature is ours but no such document is on record (or, by number,
                      no certificate has both that number and that print serial)
``malformed``         not a token at all (the API answers 400)

Content changed after issuance (the token's digest no longer matches the record's canonical
fields, e.g. after a correction registration 更正登记): the verdict stays what the live status
says and ``content_changed`` is true, with reason ``content_changed``. The token was genuinely
issued by the registry and the register, not the paper, is authoritative (Civil Code art. 217:
where a certificate and the register differ, the register prevails); the page therefore shows
the current register data and warns that the paper may no longer match it. Calling it
``forged`` would brand a genuine certificate as a fake.

Document kinds are pluggable: :data:`VIEWERS` maps an ``IssuedDocument.kind`` to a function
``(document_id, claims_digest, now) -> KindView | None`` that loads the document and returns
its masked view. Features register their own with :func:`register_viewer`.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from flask import current_app, g, has_request_context
from sqlalchemy import and_, bindparam, create_engine, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased

import verify
from verify import Claims, Reason

from ..db_setup import configure_engine_events
from ..domain import documents
from ..domain.masking import mask_name
from ..domain.validators import normalize_certificate_number
from ..extensions import db
from ..models import (
    AuditEvent,
    Certificate,
    ElectronicLicense,
    Encumbrance,
    HousingProof,
    IssuedDocument,
    LicenseCopy,
    Person,
    PropertyRight,
    RealEstateUnit,
    RightHolder,
)
from ..netutil import client_hash
from .rawsql import RawStatement

VERDICTS = (
    "authentic",
    "cancelled",
    "superseded",
    "expired",
    "forged",
    "unknown_document",
    "malformed",
)
VERDICT_LABELS = {
    "authentic": "真实有效",
    "cancelled": "已注销",
    "superseded": "已换证",
    "expired": "已过期",
    "forged": "无法验证",
    "unknown_document": "无法验证",
    "malformed": "无法验证",
}
KIND_LABELS = {
    "property_certificate": "不动产权证书",
    "registration_certificate": "不动产登记证明",
    "license_copy": "电子证照加注件",
    "housing_proof": "房屋证明",
}
ENCUMBRANCE_LABELS = {
    "mortgage": "抵押",
    "seizure": "查封",
    "objection": "异议登记",
    "advance_notice": "预告登记",
}
# Mortgagees and courts are organisations; objection and advance-notice holders are people.
_PUBLIC_HOLDER_KINDS = {"mortgage", "seizure"}
CO_OWNERSHIP_LABELS = {"sole": "单独所有", "joint": "共同共有", "shares": "按份共有"}
STATUS_LABELS = {"valid": "现势", "cancelled": "已注销", "superseded": "已换证"}
BEIJING = timezone(timedelta(hours=8), "CST")

_FORGED_REASONS = {
    Reason.UNKNOWN_KEY: "unknown_key",
    Reason.BAD_SIGNATURE: "bad_signature",
    Reason.COMPROMISED_KEY: "compromised_key",
}


@dataclass
class KindView:
    """What a kind's viewer returns: live verdict and the masked view of the document."""

    verdict: str
    reason: str
    document: dict[str, Any]
    display: list[tuple[str, str]]
    encumbrances: list[dict[str, Any]] = field(default_factory=list)
    content_changed: bool = False
    number: str | None = None  # the full number on record, compared with the signed one


@dataclass
class Answer:
    verdict: str
    reason: str
    as_of: datetime
    document: dict[str, Any] | None = None
    encumbrances: list[dict[str, Any]] = field(default_factory=list)
    display: list[tuple[str, str]] = field(default_factory=list)
    content_changed: bool = False
    document_id: str | None = None  # hex, for the audit log
    kind: str | None = None

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABELS[self.verdict]

    @property
    def tone(self) -> dict[str, str]:
        """Three states (green / amber / red) with icon and words: see tone.py."""
        from .tone import tone_of

        return tone_of(self.verdict, self.encumbrances, self.content_changed)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "verdict": self.verdict,
            "verdict_label": self.verdict_label,
            "reason": self.reason,
            "content_changed": self.content_changed,
            "encumbrances": self.encumbrances,
            "as_of": iso(self.as_of),
            **self.tone,
            "display": [{"label": label, "value": value} for label, value in self.display],
        }
        if self.document is not None:
            body["document"] = self.document
        return body


Viewer = Callable[[bytes | None, bytes | None, datetime], KindView | None]
VIEWERS: dict[str, Viewer] = {}


def register_viewer(kind: str) -> Callable[[Viewer], Viewer]:
    """Register (or replace) the viewer of a document kind."""

    def decorate(func: Viewer) -> Viewer:
        VIEWERS[kind] = func
        return func

    return decorate


# --- formatting ------------------------------------------------------------------------------
def iso(value: datetime) -> str:
    v = value.astimezone(UTC)  # f-strings: strftime is several times slower on the hot path
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}Z"


def day(value: datetime | None) -> str | None:
    """A date as printed on Chinese documents, in Beijing time."""
    if value is None:
        return None
    local = value.astimezone(BEIJING)
    return f"{local.year:04d}-{local.month:02d}-{local.day:02d}"


def day_zh(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(BEIJING)
    return f"{local.year}年{local.month:02d}月{local.day:02d}日"


def time_zh(value: datetime) -> str:
    local = value.astimezone(BEIJING)
    return f"{day_zh(value)} {local.hour:02d}:{local.minute:02d}:{local.second:02d}（北京时间）"


def _area_text(value: Any) -> str:
    return f"{value:.2f}" if value is not None else ""


def _now() -> datetime:
    return datetime.now(UTC)


# --- tokens ------------------------------------------------------------------------------------
def token_bytes(text: str) -> bytes:
    """Token bytes from a URL or token text (verify's decoder; raises verify.TokenError)."""
    return verify.token_from_url(text)


def is_malformed(text: str) -> bool:
    """True when ``text`` cannot even be decoded as a token (a 400 for the API)."""
    try:
        token_bytes(text)
    except verify.TokenError:
        return True
    return False


def check_token(text: str, *, now: datetime | None = None) -> Answer:
    """Verify token text (or a verification URL) and answer with the live status."""
    now = now or _now()
    try:
        raw = token_bytes(text)
    except verify.TokenError as exc:
        return Answer("malformed", exc.reason, now)
    verdict = verify.verify(raw, documents.current_keyset(), now=now.timestamp())
    reason = verdict.reason
    if reason in (Reason.MALFORMED, Reason.TOO_LARGE) and verdict.claims is None:
        return Answer("malformed", str(reason), now)
    if reason in _FORGED_REASONS:
        return Answer("forged", _FORGED_REASONS[reason], now)
    claims = verdict.claims
    if claims is None or reason is Reason.MALFORMED:  # signed by us yet unreadable: never issued
        return Answer("forged", "malformed_payload", now)
    doc_hex = claims.document_id.hex()
    if reason is Reason.NOT_YET_VALID:
        return Answer("unknown_document", "not_yet_valid", now, document_id=doc_hex)
    kind = documents.KIND_NAMES[claims.kind]
    viewer = VIEWERS.get(kind)
    view = viewer(claims.document_id, claims.digest, now) if viewer else None
    if view is None:
        return Answer("unknown_document", "not_found", now, document_id=doc_hex, kind=kind)
    if view.number is not None and not _number_matches(claims, view.number):
        return Answer("forged", "number_mismatch", now, document_id=doc_hex, kind=kind)
    result = _answer_from_view(view, now, doc_hex, kind)
    if reason is Reason.EXPIRED and result.verdict == "authentic":
        result.verdict, result.reason = "expired", "expired"
    return result


def _number_matches(claims: Claims, number: str) -> bool:
    try:
        return verify.compact_number(number) == claims.number
    except ValueError:
        return False


def _answer_from_view(view: KindView, now: datetime, doc_hex: str | None, kind: str) -> Answer:
    reason = view.reason
    if view.content_changed and view.verdict == "authentic":
        reason = "content_changed"
    return Answer(
        view.verdict,
        reason,
        now,
        document=view.document,
        encumbrances=view.encumbrances,
        display=view.display,
        content_changed=view.content_changed,
        document_id=doc_hex,
        kind=kind,
    )


# --- by number -------------------------------------------------------------------------------
_DUMMY_SERIAL = "00000000000"


def check_by_number(number: str, print_serial: str, *, now: datetime | None = None) -> Answer:
    """Answer for a certificate typed from the paper; both fields must match.

    A miss costs one indexed query whichever field was wrong, and always answers the same
    ``unknown_document`` / ``no_match`` without saying which field failed.
    """
    now = now or _now()
    number = normalize_certificate_number(number)
    serial = print_serial.strip()
    row = _conn().execute(_BY_NUMBER, {"number": number}).first()
    expected = row.print_serial if row is not None else _DUMMY_SERIAL
    matched = hmac.compare_digest(expected.encode(), serial.encode()) and row is not None
    if not matched:
        return Answer("unknown_document", "no_match", now)
    assert row is not None
    kind = documents.certificate_document_kind(row.kind)
    view = certificate_view(None, None, now, certificate_id=row.id)
    if view is None:  # pragma: no cover - the row was just read
        return Answer("unknown_document", "no_match", now)
    return _answer_from_view(view, now, None, kind)


# --- certificates ------------------------------------------------------------------------------
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
_BY_NUMBER = select(_cert.id, _cert.kind, _cert.print_serial).where(
    _cert.number == bindparam("number")
)
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


_CHECK_CONNECTION: ContextVar[Any] = ContextVar("verification_connection", default=None)
_ENGINE_KEY = "verification_engine"


def check_engine() -> Any:
    """The engine public checks run on: a small pool of its own, autocommit (a check is one
    read and one insert, each its own transaction — no BEGIN/COMMIT round trips), no
    pre-ping (a connection broken by a database restart is retried once, :func:`run_check`),
    no reset on return (there is never an open transaction).

    On PostgreSQL its sessions run with ``synchronous_commit = off``: a database crash can
    lose the last fraction of a second of *public check* audit rows (never corrupt them).
    Every other write — staff changes and their audit events — keeps going through the normal,
    fully synchronous engine.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    entry = app.extensions.get(_ENGINE_KEY)
    if entry is None:
        base = db.engine
        options: dict[str, Any] = {
            "isolation_level": "AUTOCOMMIT",
            "pool_pre_ping": False,
            "pool_reset_on_return": None,
        }
        if base.dialect.name == "postgresql":
            engine = create_engine(
                base.url,
                pool_size=4,
                max_overflow=8,
                connect_args={"options": "-c synchronous_commit=off"},
                **options,
            )
            entry = (engine, True)
        elif base.url.database and base.url.database != ":memory:":
            engine = create_engine(base.url, **options)
            configure_engine_events(engine)  # the same pragmas (WAL, busy timeout, FKs)
            entry = (engine, True)
        else:  # an in-memory database exists once, in the main engine
            entry = (base.execution_options(isolation_level="AUTOCOMMIT"), False)
        app.extensions[_ENGINE_KEY] = entry
    return entry[0]


def dispose_check_engine(app: Any) -> None:
    """Close the check engine's pooled connections (app shutdown, tests)."""
    entry = app.extensions.pop(_ENGINE_KEY, None)
    if entry is not None and entry[1]:  # not a mere option view of the main engine
        entry[0].dispose()


@contextmanager
def check_connection() -> Iterator[Any]:
    """One pooled connection for a whole check — the reads and the audit row. Core statements
    on a plain connection skip the ORM session's per-statement and per-request overhead on
    this hot path."""
    with check_engine().connect() as conn:
        token = _CHECK_CONNECTION.set(conn)
        try:
            yield conn
        finally:
            _CHECK_CONNECTION.reset(token)


def run_check(channel: str, check: Callable[..., Answer], *args: Any) -> Answer:
    """Run a check and write its audit row on one connection; retry once on a connection
    that turned out to be broken (database restarted since it was pooled)."""
    for attempt in (1, 2):
        try:
            with check_connection():
                result = check(*args)
                record_check(result, channel)
            return result
        except DBAPIError as exc:
            if attempt == 2 or not exc.connection_invalidated:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _conn() -> Any:
    """The check's connection (see :func:`check_connection`), else the session's."""
    conn = _CHECK_CONNECTION.get()
    return conn if conn is not None else db.session.connection()


def active_encumbrances(unit_id: int, conn: Any = None) -> list[dict[str, Any]]:
    """Active encumbrances of a unit, public view: kind, label, start date (holder only for
    mortgagees and courts, which are organisations)."""
    rows = (conn or _conn()).execute(_ACTIVE_ENCUMBRANCES, {"unit_id": unit_id})
    return [_encumbrance_item(e.kind, e.holder, e.started_at) for e in rows]


def _encumbrance_item(kind: str, holder: str, started_at: datetime) -> dict[str, Any]:
    item: dict[str, Any] = {
        "kind": kind,
        "label": ENCUMBRANCE_LABELS.get(kind, kind),
        "started_on": day(started_at),
    }
    if kind in _PUBLIC_HOLDER_KINDS:
        item["holder"] = holder
    return item


@register_viewer("property_certificate")
@register_viewer("registration_certificate")
def certificate_view(
    document_id: bytes | None,
    digest: bytes | None,
    now: datetime,
    *,
    certificate_id: int | None = None,
) -> KindView | None:
    """Masked view of a certificate found by its document id (or, by number, its id)."""
    conn = _conn()
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
    content_changed = False
    if digest is not None:
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
            holders=[(h.person_id, h.share) for h in holders],
            rights_holder_org=row.rights_holder_org,
            encumbrance_id=row.encumbrance_id,
        )
        content_changed = not hmac.compare_digest(digest, verify.content_digest(fields))
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
        "status_label": STATUS_LABELS.get(row.status, row.status),
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
        encumbrances=[_encumbrance_item(k, h, at) for at, _, k, h in encumbrances],
        content_changed=content_changed,
        number=row.number,
    )


# --- e-license copies and housing proofs (default viewers; their feature may replace them) ---
def _document_row(document_id: bytes, kind: str) -> Any:
    return db.session.execute(
        select(_doc.copy_id, _doc.proof_id, _doc.expires_at).where(
            _doc.document_id == document_id, _doc.kind == kind
        )
    ).first()


def _validity(valid_until: datetime | None, now: datetime) -> tuple[str, str]:
    if valid_until is not None and now >= valid_until:
        return "expired", "expired"
    return "authentic", "valid"


@register_viewer("license_copy")
def license_copy_view(document_id: bytes | None, digest: bytes | None, now: datetime) -> Any:
    """Annotated e-license copy (加注件): validity, purpose, the certificate's status."""
    if document_id is None:
        return None
    ref = _document_row(document_id, "license_copy")
    if ref is None or ref.copy_id is None:
        return None
    copy = db.session.get(LicenseCopy, ref.copy_id)
    if copy is None:
        return None
    lic: ElectronicLicense = copy.license
    cert = lic.certificate
    content_changed = digest is not None and not hmac.compare_digest(
        digest, verify.content_digest(documents.copy_fields(copy))
    )
    verdict, reason = _validity(copy.valid_until, now)
    if verdict == "authentic" and cert.status in ("cancelled", "superseded"):
        verdict = reason = cert.status
    holder = mask_name(copy.person.name) if copy.person else ""
    document = {
        "kind": "license_copy",
        "kind_label": KIND_LABELS["license_copy"],
        "number": copy.serial,
        "certificate_number": cert.number,
        "certificate_status": cert.status,
        "purpose": copy.purpose,
        "holder": holder,
        "maker": copy.maker,
        "issued_on": day(copy.created_at),
        "valid_until": day(copy.valid_until),
        "validity": "expired" if verdict == "expired" else "valid",
        "location": cert.right.unit.location,
    }
    display = [
        ("文件类型", KIND_LABELS["license_copy"]),
        ("加注件编号", copy.serial),
        ("证书号", cert.number),
        ("坐落", cert.right.unit.location),
        ("申请人", holder),
        ("用途", f"仅供办理{copy.purpose}使用"),
        ("制作时间", day_zh(copy.created_at)),
        ("有效期至", day_zh(copy.valid_until)),
    ]
    return KindView(
        verdict,
        reason,
        document,
        display,
        active_encumbrances(cert.right.unit_id),
        content_changed,
        number=copy.serial,
    )


@register_viewer("housing_proof")
def housing_proof_view(document_id: bytes | None, digest: bytes | None, now: datetime) -> Any:
    """Housing proof (房屋证明): validity, purpose, result, masked applicant."""
    if document_id is None:
        return None
    ref = _document_row(document_id, "housing_proof")
    if ref is None or ref.proof_id is None:
        return None
    proof = db.session.get(HousingProof, ref.proof_id)
    if proof is None:
        return None
    content_changed = digest is not None and not hmac.compare_digest(
        digest, verify.content_digest(documents.proof_fields(proof))
    )
    verdict, reason = _validity(proof.valid_until, now)
    applicant = mask_name(proof.person.name) if proof.person else ""
    result_label = "有房" if proof.has_property else "无房"
    units = (proof.result or {}).get("units") if isinstance(proof.result, dict) else None
    document = {
        "kind": "housing_proof",
        "kind_label": KIND_LABELS["housing_proof"],
        "number": proof.serial,
        "scope": proof.scope,
        "purpose": proof.purpose,
        "applicant": applicant,
        "result": "has_property" if proof.has_property else "no_property",
        "result_label": result_label,
        "unit_count": len(units) if isinstance(units, list) else None,
        "queried_at": iso(proof.queried_at),
        "issued_on": day(proof.issued_at),
        "valid_until": day(proof.valid_until),
        "validity": "expired" if verdict == "expired" else "valid",
    }
    display = [
        ("文件类型", KIND_LABELS["housing_proof"]),
        ("证明编号", proof.serial),
        ("查询范围", "家庭" if proof.scope == "family" else "个人"),
        ("申请人", applicant),
        ("事由", proof.purpose),
        ("查询结果", result_label),
        ("查询时点", time_zh(proof.queried_at)),
        ("有效期至", day_zh(proof.valid_until)),
    ]
    return KindView(verdict, reason, document, display, [], content_changed, number=proof.serial)


# --- what a page says about a verdict ---------------------------------------------------------
VERDICT_TEXT = {
    "authentic": "该证书/证明由本登记中心签发，当前有效。请核对下列信息与纸质件是否一致。",
    "cancelled": "该证书/证明已被注销，不能作为权属凭证使用。",
    "superseded": "该证书已换发新证，旧证不再有效，请以新证为准。",
    "expired": "该证明已超过有效期，请申请人重新开具。",
    "forged": "无法验证该二维码的真实性，它可能被篡改或伪造。请勿以此作为凭证。",
    "unknown_document": "无法验证：本登记中心没有与之对应的证书或证明记录。",
    "malformed": "无法验证：链接不完整或已损坏，请重新扫描纸质件上的二维码。",
}


# --- audit -----------------------------------------------------------------------------------
_AUDIT_COLUMNS = (
    "at",
    "action",
    "result",
    "actor_kind",
    "actor_id",
    "object_type",
    "object_id",
    "client_hash",
    "request_id",
    "reason",
    "detail",
)
_AUDIT_INSERT = RawStatement(
    insert(AuditEvent.__table__).values({name: bindparam(name) for name in _AUDIT_COLUMNS})
)


def record_check(answer: Answer, channel: str) -> None:
    """One audit event per check: verdict, document id, channel; the client address only as
    a keyed hash. Nothing about the person checking.

    The same row ``audit.record`` writes, as a single Core insert on the check's connection
    (autocommit; see :func:`check_engine` for the durability trade-off on PostgreSQL).
    """
    request_id = None
    client = None
    actor_kind, actor_id = "public", None
    if has_request_context():
        request_id = g.get("request_id")
        client = client_hash()
        actor_kind, actor_id = g.get("actor", ("public", None))
    _AUDIT_INSERT.run(
        _conn(),
        {
            "at": _now(),
            "action": "verification.check",
            "result": answer.verdict,
            "actor_kind": actor_kind or "public",
            "actor_id": None if actor_id is None else str(actor_id),
            "object_type": "issued_document" if answer.document_id else None,
            "object_id": answer.document_id,
            "client_hash": client,
            "request_id": request_id,
            "reason": None,
            "detail": {"channel": channel, "reason": answer.reason, "kind": answer.kind},
        },
    )
