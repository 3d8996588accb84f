"""The document kind interface and the registry create_app fills.

A *document kind* is everything the service knows about one kind of signed document
(``IssuedDocument.kind``): how to load a record by its public id, whose it is, the canonical
fields its token's digest covers, the masked view a third party sees when checking it (with
the server-made ``display`` rows every channel shows), its file name and its renderer.

Verification, header-free download links and the features' own endpoints all go through this
interface; adding a kind is one new module in this package plus its registration in
``create_app``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

import verify

from .. import rendering
from ..database import db
from ..domain import audit, documents
from ..errors import Problem
from ..labels import DOCUMENT_KIND_LABELS
from ..models import IssuedDocument
from . import printing

EXTENSION = "document_kinds"


@dataclass
class KindView:
    """A document as a check sees it: live verdict, masked fields and display rows."""

    verdict: str
    reason: str
    document: dict[str, Any]
    display: list[tuple[str, str]]
    encumbrances: list[dict[str, Any]] = field(default_factory=list)
    content_changed: bool = False
    number: str | None = None  # the full number on record, compared with the signed one


class DocumentKind:
    """One kind of signed document. Subclasses set ``name`` and ``label`` and implement the
    methods; kinds that citizens cannot download (certificates) leave ``printable`` false."""

    name: ClassVar[str]
    label: ClassVar[str]
    printable: ClassVar[bool] = False

    # --- loading and ownership -----------------------------------------------------------
    def load(self, public_id: str) -> Any | None:
        """The record with this public id (``None`` when there is none)."""
        raise NotImplementedError

    def owned_by(self, record: Any, person_id: int | None) -> bool:
        """True when ``person_id`` may download ``record``."""
        raise NotImplementedError

    # --- content -------------------------------------------------------------------------
    def canonical_fields(self, record: Any) -> dict[str, str | int | None]:
        """The fields the token's content digest is computed over."""
        raise NotImplementedError

    def view(
        self, conn: Connection, document_id: bytes, digest: bytes | None, now: datetime
    ) -> KindView | None:
        """The masked view of the document with this id, read on ``conn`` (the check's one
        connection); ``None`` when it is not on record."""
        raise NotImplementedError

    # --- files ---------------------------------------------------------------------------
    def filename(self, record: Any, fmt: str, *, ascii_only: bool = False) -> str:
        raise NotImplementedError

    def render(self, record: Any, fmt: str) -> bytes:
        """PNG or PDF bytes (problems instead of renderer exceptions)."""
        raise NotImplementedError


# A long URL in the QR: a record whose page lays out with it prints with any real one.
_PLACEHOLDER_URL = "HTTPS://X/V/" + "A" * 80


class IssuedRecordKind(DocumentKind):
    """A kind whose records citizens make and download (copies, proofs): a table with
    ``public_id``, ``serial`` and ``valid_until``, linked from ``IssuedDocument.<record>_id``,
    printed through :mod:`miniapp_api.kinds.printing`."""

    printable: ClassVar[bool] = True

    def __init__(
        self, name: str, model: Any, record_field: str, *, file_title: str, ascii_title: str
    ) -> None:
        self.name = name  # type: ignore[misc]
        self.label = DOCUMENT_KIND_LABELS[name]  # type: ignore[misc]
        self.model = model
        self.record_field = record_field  # "copy" | "proof": the IssuedDocument relation
        self.file_title = file_title  # Chinese file-name stem
        self.ascii_title = ascii_title  # ASCII fallback stem

    def query(self) -> Any:
        """SELECT of the record with what its view and document need loaded."""
        return select(self.model)

    def printable_document(
        self, record: Any, url: str
    ) -> rendering.LicenseDocument | rendering.ProofDocument:
        raise NotImplementedError

    def masked_view(self, record: Any, now: datetime | None = None) -> dict[str, Any]:
        """What a third party may see of the record (masked names, validity, facts)."""
        raise NotImplementedError

    def verdict(self, view: dict[str, Any]) -> tuple[str, str]:
        """(verdict, reason) of a masked view: expired, else valid."""
        expired = view["status"] == "expired"
        return ("expired", "expired") if expired else ("authentic", "valid")

    def answer_fields(self, view: dict[str, Any]) -> dict[str, Any]:
        """The ``document`` object of the JSON answer."""
        raise NotImplementedError

    def display(self, view: dict[str, Any]) -> list[tuple[str, str]]:
        """The rows every channel shows, in order."""
        raise NotImplementedError

    def live_encumbrances(self, conn: Connection, record: Any) -> list[dict[str, Any]]:
        return []

    def kind_view(
        self, conn: Connection, record: Any, digest: bytes | None, now: datetime
    ) -> KindView:
        view = self.masked_view(record, now)
        verdict, reason = self.verdict(view)
        return KindView(
            verdict,
            reason,
            self.answer_fields(view),
            self.display(view),
            self.live_encumbrances(conn, record),
            content_changed(digest, self.canonical_fields(record)),
            number=record.serial,
        )

    def load(self, public_id: str) -> Any | None:
        return db.session.execute(
            self.query().where(self.model.public_id == public_id)
        ).scalar_one_or_none()

    def owned_by(self, record: Any, person_id: int | None) -> bool:
        return person_id is not None and record.person_id == person_id

    def own(self, person_id: int, public_id: str, not_found: str, *where: Any) -> Any:
        """The person's own record; else a 404 exactly as for an id that does not exist
        (audited as a ``<kind>.view`` refused with ``not_found``)."""
        record = db.session.execute(
            self.query().where(
                self.model.public_id == public_id, self.model.person_id == person_id, *where
            )
        ).scalar_one_or_none()
        if record is None:
            raise audit.refuse(
                Problem(404, "not_found", not_found), f"{self.name}.view", result="not_found",
                object_type=self.name, object_id=public_id[:64],
            )  # fmt: skip
        return record

    def view(
        self, conn: Connection, document_id: bytes, digest: bytes | None, now: datetime
    ) -> KindView | None:
        link = getattr(IssuedDocument, f"{self.record_field}_id")
        with session_on(conn) as session:
            record = session.execute(
                self.query()
                .join(IssuedDocument, link == self.model.id)
                .where(IssuedDocument.document_id == document_id, IssuedDocument.kind == self.name)
            ).scalar_one_or_none()
            return None if record is None else self.kind_view(conn, record, digest, now)

    def document_of(self, record: Any) -> IssuedDocument:
        doc = documents.latest_document(**{self.record_field: record})
        if doc is None:  # every record is issued with its token in the same transaction
            raise RuntimeError(f"{self.name} {record.id} has no signed document")
        return doc

    def verification_url(self, record: Any) -> str:
        return documents.document_url(self.document_of(record))

    def filename(self, record: Any, fmt: str, *, ascii_only: bool = False) -> str:
        if ascii_only:
            return f"{self.ascii_title}-{record.serial}.{fmt}"
        return f"{self.file_title}_{record.serial}.{fmt}"

    def render(self, record: Any, fmt: str) -> bytes:
        url = documents.qr_text(self.verification_url(record))
        return printing.render(self.printable_document(record, url), fmt)

    def issue(self, record: Any, *, now: datetime, detail: dict[str, Any]) -> None:
        """Check the record prints (a 422 before anything is written), add it, sign its token
        and audit the issue. Flushes; the request edge commits."""
        printing.check_printable(self.printable_document(record, _PLACEHOLDER_URL))
        db.session.add(record)
        db.session.flush()
        documents.issue_document(
            self.name, expires_at=record.valid_until, now=now, **{self.record_field: record}
        )
        audit.record(
            f"{self.name}.issue", object_type=self.name, object_id=record.public_id, detail=detail
        )


def init_app(app: Flask, kinds: Iterable[DocumentKind]) -> None:
    """Register the app's document kinds (create_app)."""
    app.extensions[EXTENSION] = {kind.name: kind for kind in kinds}


def get(name: str) -> DocumentKind | None:
    registry: dict[str, DocumentKind] = current_app.extensions[EXTENSION]
    return registry.get(name)


def content_changed(digest: bytes | None, fields: dict[str, Any]) -> bool:
    """True when a signed digest no longer matches the record's canonical fields."""
    return digest is not None and not hmac.compare_digest(digest, verify.content_digest(fields))


@contextmanager
def session_on(conn: Connection) -> Iterator[Session]:
    """An ORM session on the check's connection, so a check reads through one connection;
    the request's own session when that is where the connection comes from."""
    current = db.session()
    if current.in_transaction() and current.connection() is conn:
        yield current
        return
    session = Session(bind=conn, expire_on_commit=False, autoflush=False)
    try:
        yield session
    finally:
        session.close()
