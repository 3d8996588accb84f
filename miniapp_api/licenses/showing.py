"""亮证 — "show my certificate": the holder's e-license as a picture, in one tap.

POST /api/v1/me/licenses/{id}/show answers a short-lived signed link (the download-link code,
kind ``license_view``) to a PNG of the e-license: the same layout as an annotated copy, with
「仅供查看」 and the time of showing across it instead of a purpose. Its QR is not the
certificate's permanent link but a freshly signed token for the same certificate (same
document id, kind, number and digest) that expires ``2 × refresh`` seconds after the showing
(:func:`~miniapp_api.domain.documents.showing_token`): scanned from the holder's screen it
verifies as the certificate does; a screenshot forwarded later verifies as 「亮证码已过期」.
The app fetches a new picture every ``LICENSE_SHOW_REFRESH_SECONDS`` (60), so the picture on
the screen is never older than that and its QR is always in date. Nothing is stored: no copy,
no purpose to invent, no row per picture. Every showing is audited.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, ClassVar, cast

from flask import current_app
from marshmallow import Schema, fields

import verify

from .. import downloads, rendering
from ..clock import CHINA_TZ
from ..database import db
from ..domain import audit
from ..domain import documents as signed_documents
from ..domain.properties import active_encumbrances, encumbrance_note, license_of
from ..errors import Problem
from ..kinds import DocumentKind, printing
from ..models import ElectronicLicense, LicenseCopy
from . import service

REFRESH_SECONDS = 60  # default of the LICENSE_SHOW_REFRESH_SECONDS setting
KIND = "license_view"


class ShowLinkSchema(Schema):
    png = fields.String(metadata={"description": "亮证图片的短时链接（无需登录头，可长按保存）"})
    expires_at = fields.Integer(metadata={"description": "链接失效时间（Unix 秒）"})
    refresh_seconds = fields.Integer(metadata={"description": "客户端刷新间隔（秒）"})
    qr_expires_at = fields.Integer(
        metadata={
            "description": "图片中亮证二维码的失效时间（Unix 秒），过期后核验为「亮证码已过期」"
        }
    )
    shown_at = fields.DateTime(metadata={"description": "亮证时间（印在图片上）"})


def refresh_seconds() -> int:
    """How often the app fetches a new picture (``LICENSE_SHOW_REFRESH_SECONDS``)."""
    seconds = int(current_app.config.get("LICENSE_SHOW_REFRESH_SECONDS", REFRESH_SECONDS))
    return min(max(1, seconds), verify.SHOWING_MAX_SECONDS // 2)


def qr_lifetime() -> int:
    """Seconds a showing's QR verifies: twice the refresh interval, so the QR on the screen
    is always in date until the next picture replaces it (120 s by default)."""
    return 2 * refresh_seconds()


def view_id(license_pk: int, second: int) -> str:
    """The signed link's document id: the license and the second it was shown."""
    return f"{license_pk}s{second}"


def parse_view_id(value: str) -> tuple[int, int]:
    """``(license id, Unix second shown)``; a showing is rendered from these alone."""
    license_pk, _, second = value.partition("s")
    return int(license_pk), int(second)


def show_link(
    lic: ElectronicLicense, account_id: int, *, now: float | None = None
) -> dict[str, Any]:
    """A fresh showing link for the holder's license (409 when it cannot be shown)."""
    refusal = service.copy_refusal(lic)
    if refusal is not None:
        raise Problem(
            409, refusal[0], refusal[1].replace("制作加注件", "亮证"),
            certificate_status=lic.certificate.status,
        )  # fmt: skip
    second = int(now if now is not None else time.time())
    signed, expires = downloads.sign_link(
        KIND, view_id(lic.id, second), "png", account_id, now=second
    )
    audit.record("license.show", object_type="electronic_license", object_id=lic.id)
    return {
        "png": downloads.link_url(signed),
        "expires_at": expires,
        "refresh_seconds": refresh_seconds(),
        "qr_expires_at": second + qr_lifetime(),
        "shown_at": datetime.fromtimestamp(second, UTC),
    }


def showing_qr(lic: ElectronicLicense, second: int) -> str:
    """The QR text of a showing at ``second``: a short-lived token for the certificate's own
    document (``exp`` = ``second`` + :func:`qr_lifetime`), or ``""`` when it has none."""
    doc = signed_documents.certificate_document(lic.certificate)
    if doc is None:
        return ""
    token = signed_documents.showing_token(doc, iat=second, exp=second + qr_lifetime())
    return signed_documents.qr_text(signed_documents.document_url(token))


def view_document(lic: ElectronicLicense, shown_at: datetime) -> rendering.LicenseDocument:
    """The license laid out as a copy would be, annotated as a showing (nothing stored)."""
    cert = lic.certificate
    url = showing_qr(lic, int(shown_at.timestamp()))
    stand_in = SimpleNamespace(
        license=lic,
        notes=[encumbrance_note(e) for e in active_encumbrances(cert.right.unit, shown_at)],
        maker="权利人本人亮证",
        created_at=shown_at,
        purpose="亮证，仅供查看",
        valid_until=shown_at + timedelta(seconds=qr_lifetime()),
        serial="LZ" + shown_at.astimezone(CHINA_TZ).strftime("%Y%m%d%H%M"),
    )
    return printing.license_document(cast(LicenseCopy, stand_in), url or "-")


def render_view(lic: ElectronicLicense, second: int) -> bytes:
    """PNG of the showing: 「仅供查看 MM-DD HH:MM:SS」 across the page instead of a purpose."""
    from ..rendering import get_fonts
    from ..rendering import png as render_png
    from ..rendering.components import watermark
    from ..rendering.layout import QRCode

    shown_at = datetime.fromtimestamp(second, UTC)
    page = rendering.license_page(view_document(lic, shown_at))
    fonts = get_fonts()
    keep_out = [
        (op.x - 4.0, op.y - 4.0, op.size + 8.0, op.size + 8.0)
        for op in page.ops
        if isinstance(op, QRCode)
    ]
    stamp = "仅供查看 " + shown_at.astimezone(CHINA_TZ).strftime("%m-%d %H:%M:%S")
    page.ops[0] = watermark(page, stamp, fonts, keep_out, opacity=0.3)
    dpi = rendering.DEFAULT_DPI
    return render_png.encode_png(render_png.render_page(page, fonts, dpi), dpi)


@dataclass
class Showing:
    """One showing link's record: the license and the second it was shown."""

    public_id: str
    license: ElectronicLicense
    second: int


class LicenseViewKind(DocumentKind):
    """The ``license_view`` links of 亮证: loaded by view id, owned by the license's holders,
    rendered as a PNG (nothing stored; the QR is a short-lived token for the certificate's
    own document, signed when the picture is rendered).
    Registered with the document kinds in create_app, for header-free links only."""

    name: ClassVar[str] = KIND
    label: ClassVar[str] = "亮证"
    printable: ClassVar[bool] = True

    def load(self, public_id: str) -> Showing | None:
        try:
            license_pk, second = parse_view_id(public_id)
        except ValueError:
            return None
        lic = db.session.get(ElectronicLicense, license_pk)
        return Showing(public_id, lic, second) if lic is not None else None

    def owned_by(self, record: Showing, person_id: int | None) -> bool:
        return person_id is not None and license_of(person_id, record.license.id) is not None

    def filename(self, record: Showing, fmt: str, *, ascii_only: bool = False) -> str:
        if ascii_only:
            return f"license-view-{record.license.id}.{fmt}"
        return f"亮证_{record.license.certificate.number}.{fmt}"

    def render(self, record: Showing, fmt: str) -> bytes:
        return render_view(record.license, record.second)


LICENSE_VIEW = LicenseViewKind()
