"""Answering a verification: token → verdict, masked document, live status.

Plain functions (no ``request``): the views pass in token text, a certificate number and
print serial, or the text read from a QR photo, and get an :class:`Answer` back. The same
answer feeds the JSON API and the server-rendered page.

Verdicts (``Answer.verdict``):

``authentic``         signature valid, document known, certificate valid (or proof/copy in date)
``cancelled``         the certificate (or the certificate behind a copy) was cancelled (注销)
``superseded``        the certificate was replaced by a new one (换证)
``expired``           a proof or copy past its validity (token ``exp`` or record), or a 亮证
                      picture's short-lived QR past its ``exp`` (reason ``showing_expired``)
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

Document kinds (miniapp_api/kinds/) give the masked view of a document; the app registers
them in ``create_app`` and a check looks them up by ``IssuedDocument.kind``. A check reads
and writes its audit row through one connection (:func:`run_check`).
"""

from __future__ import annotations

import hmac
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, create_engine, select
from sqlalchemy.exc import DBAPIError

import verify
from verify import Claims, Reason

from .. import kinds
from ..clock import iso
from ..database import db
from ..db_setup import configure_engine_events
from ..domain import audit, documents
from ..domain.validators import normalize_certificate_number
from ..kinds.base import KindView
from ..kinds.certificate import certificate_view
from ..labels import VERDICT_LABELS
from ..models import Certificate, IssuedDocument
from .tone import tone_of

VERDICTS = (
    "authentic",
    "cancelled",
    "superseded",
    "expired",
    "forged",
    "unknown_document",
    "malformed",
)
_FORGED_REASONS = {
    Reason.UNKNOWN_KEY: "unknown_key",
    Reason.BAD_SIGNATURE: "bad_signature",
    Reason.COMPROMISED_KEY: "compromised_key",
}


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
        return tone_of(self.verdict, self.encumbrances, self.content_changed, self.reason)

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
    verdict = _verified(raw, documents.current_keyset(), now.timestamp())
    reason = verdict.reason
    if reason in (Reason.MALFORMED, Reason.TOO_LARGE) and verdict.claims is None:
        return Answer("malformed", str(reason), now)
    if reason in _FORGED_REASONS:
        return Answer("forged", _FORGED_REASONS[reason], now)
    claims = verdict.claims
    if claims is None:  # pragma: no cover - every reason without claims is answered above;
        # a correctly signed payload that does not parse is `malformed` like any other token
        # that is not of the format (docs/verification-token.md rule 9): 400 malformed_token.
        return Answer("malformed", str(reason), now)
    doc_hex = claims.document_id.hex()
    if reason is Reason.NOT_YET_VALID:
        return Answer("unknown_document", "not_yet_valid", now, document_id=doc_hex)
    kind = documents.KIND_NAMES[claims.kind]
    document_kind = kinds.get(kind)
    view = None
    if document_kind is not None:
        view = document_kind.view(_conn(), claims.document_id, claims.digest, now)
    if view is None:
        return Answer("unknown_document", "not_found", now, document_id=doc_hex, kind=kind)
    if view.number is not None and not _number_matches(claims, view.number):
        return Answer("forged", "number_mismatch", now, document_id=doc_hex, kind=kind)
    result = _answer_from_view(view, now, doc_hex, kind)
    if reason is Reason.EXPIRED and verify.is_showing(claims):
        return _showing_expired(result)
    if reason is Reason.EXPIRED and result.verdict == "authentic":
        result.verdict, result.reason = "expired", "expired"
    return result


def _showing_expired(result: Answer) -> Answer:
    """A 亮证 QR past its ``exp`` (a screenshot forwarded later): ``expired`` with reason
    ``showing_expired`` — the code is stale, the certificate is not called invalid; no
    document data and no live status (ask the holder to show it again)."""
    if result.verdict not in ("authentic", "expired"):
        return result  # cancelled or superseded since: that is the news
    return Answer(
        "expired", "showing_expired", result.as_of, document_id=result.document_id,
        kind=result.kind,
    )  # fmt: skip


# Per-token cache of the signature check (never of an answer): a token's bytes, signature and
# claims never change, so only the time checks are redone. An entry holds the key set it was
# verified under and is used only while that very key set is current: a rotation or a key
# marked compromised (state.json changes → a new KeySet object) re-verifies every token.
_SIGNATURE_CACHE: dict[bytes, tuple[Any, Claims, bytes | None]] = {}
SIGNATURE_CACHE_SIZE = 8192
_SIGNED = (Reason.VALID, Reason.EXPIRED, Reason.NOT_YET_VALID)


def _verified(raw: bytes, keyset: Any, now: float) -> verify.Verdict:
    hit = _SIGNATURE_CACHE.get(raw)
    if hit is None or hit[0] is not keyset:
        verdict = verify.verify(raw, keyset, now=now)
        if verdict.reason in _SIGNED and verdict.claims is not None:
            if len(_SIGNATURE_CACHE) >= SIGNATURE_CACHE_SIZE:  # oldest entry out (FIFO)
                _SIGNATURE_CACHE.pop(next(iter(_SIGNATURE_CACHE)), None)
            _SIGNATURE_CACHE[raw] = (keyset, verdict.claims, verdict.kid)
        return verdict
    _, claims, kid = hit
    # the same time checks, in the same order, as verify.verify
    if claims.iat > now + verify.DEFAULT_SKEW:
        return verify.Verdict(Reason.NOT_YET_VALID, claims, kid, detail="iat is in the future")
    if claims.exp is not None and now >= claims.exp:
        return verify.Verdict(Reason.EXPIRED, claims, kid, detail="now >= exp")
    return verify.Verdict(Reason.VALID, claims, kid)


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
    view = certificate_view(_conn(), None, None, certificate_id=row.id)
    if view is None:  # pragma: no cover - the row was just read
        return Answer("unknown_document", "no_match", now)
    # The audit row names the certificate's document, as a QR check does (monthly digest).
    doc = _conn().execute(_LATEST_DOCUMENT, {"certificate_id": row.id}).scalar()
    return _answer_from_view(view, now, doc.hex() if doc else None, kind)


_LATEST_DOCUMENT = (
    select(IssuedDocument.document_id)
    .where(IssuedDocument.certificate_id == bindparam("certificate_id"))
    .order_by(IssuedDocument.id.desc())
    .limit(1)
)
_BY_NUMBER = select(Certificate.id, Certificate.kind, Certificate.print_serial).where(
    Certificate.number == bindparam("number")
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
    return _check_engine_entry()[0]


def _check_engine_entry() -> tuple[Any, bool]:
    """(engine, whether it is the check's own engine rather than the main one's view)."""
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
    return entry


def dispose_check_engine(app: Any) -> None:
    """Close the check engine's pooled connections (app shutdown, tests)."""
    entry = app.extensions.pop(_ENGINE_KEY, None)
    if entry is not None and entry[1]:  # not a mere option view of the main engine
        _HELD.release(entry[0])
        entry[0].dispose()


class _HeldConnection:
    """The check connection a process's main thread keeps between requests (issue #17):
    a gunicorn sync worker serves every request on its main thread, so checking a
    connection out of the pool and back in on every check (≈ 25 µs) is saved. Other threads
    (a threaded development server) check one out per check, as before. A connection that
    failed is dropped (the retry in :func:`on_check_connection` gets a fresh one); one
    inherited across a fork or from another engine is never used."""

    def __init__(self) -> None:
        self.engine: Any = None
        self.conn: Any = None
        self.pid = 0

    def get(self, engine: Any) -> Any:
        conn = self.conn
        if (
            conn is None
            or self.engine is not engine
            or self.pid != os.getpid()
            or conn.closed
            or conn.invalidated
        ):
            self.drop()
            conn = engine.connect()
            self.engine, self.conn, self.pid = engine, conn, os.getpid()
        return conn

    def drop(self) -> None:
        conn, self.conn, self.engine = self.conn, None, None
        if conn is not None and self.pid == os.getpid():
            with suppress(Exception):  # a dead connection may fail to close; no matter
                conn.close()

    def release(self, engine: Any) -> None:
        if self.engine is engine:
            self.drop()


_HELD = _HeldConnection()


@contextmanager
def check_connection() -> Iterator[Any]:
    """One connection for a whole check — the reads and the audit row. Core statements on a
    plain connection skip the ORM session's per-statement and per-request overhead on this
    hot path. The main thread keeps its connection (:class:`_HeldConnection`)."""
    engine, own = _check_engine_entry()
    held = own and threading.current_thread() is threading.main_thread()
    conn = _HELD.get(engine) if held else engine.connect()
    token = _CHECK_CONNECTION.set(conn)
    try:
        yield conn
    except BaseException:
        if held:
            _HELD.drop()  # whatever state the failure left it in, the next check starts afresh
        raise
    finally:
        _CHECK_CONNECTION.reset(token)
        if not held:
            conn.close()


def run_check(
    channel: str, check: Callable[..., Answer], *args: Any, actor: audit.Actor = audit.PUBLIC
) -> Answer:
    """Run a check and write its audit row on one connection; retry once on a connection
    that turned out to be broken (database restarted since it was pooled)."""

    def checked() -> Answer:
        result = check(*args)
        record_check(_conn(), result, channel, actor)
        return result

    return on_check_connection(checked)


def on_check_connection(work: Callable[..., Any], *args: Any) -> Any:
    """``work(*args)`` on one check connection, retried once on a fresh connection when the
    first turned out to be dead (a terminated backend, a database restart or failover: the
    raw statements translate the driver's error, see ``rawsql``, and the pool replaces every
    connection it handed out before). A database that stays down raises its ``DBAPIError``
    (answered 503 ``database_unavailable``)."""
    for attempt in (1, 2):
        try:
            with check_connection():
                return work(*args)
        except DBAPIError as exc:
            if attempt == 2 or not exc.connection_invalidated:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _conn() -> Any:
    """The check's connection (see :func:`check_connection`), else the session's."""
    conn = _CHECK_CONNECTION.get()
    return conn if conn is not None else db.session.connection()


# --- audit -----------------------------------------------------------------------------------
def record_check(
    conn: Any, answer: Answer, channel: str, actor: audit.Actor = audit.PUBLIC
) -> None:
    """The check's audit row (domain/audit.py), on the check's connection."""
    audit.record_check(
        conn,
        channel=channel,
        verdict=answer.verdict,
        reason=answer.reason,
        kind=answer.kind,
        document_id=answer.document_id,
        actor=actor,
        at=_now(),
    )
