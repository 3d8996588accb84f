"""亮证 — "show my certificate": the holder's e-license as a picture, in one tap.

POST /api/v1/me/licenses/{id}/show answers a short-lived signed link (the download-link code,
kind ``license_view``) to a PNG of the e-license: the same layout as an annotated copy, with
「仅供查看」 and the time of showing across it instead of a purpose, and the certificate's own
verification QR. The app fetches a new one every 60 seconds, so the picture on the screen —
its time, its link — is never older than a minute; a screenshot or a forwarded link goes
stale. Nothing is stored: no copy, no purpose to invent. Every showing is audited.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from flask import g
from marshmallow import Schema, fields

from .. import downloads, rendering
from ..auth.guards import BEARER, citizen_required
from ..domain import audit
from ..domain import documents as signed_documents
from ..domain.properties import CHINA_TZ, active_encumbrances, encumbrance_note
from ..errors import Problem
from ..extensions import db, limiter
from ..models import ElectronicLicense, LicenseCopy
from . import bp, rendering_glue, service

REFRESH_SECONDS = 60
KIND = "license_view"


class ShowLinkSchema(Schema):
    png = fields.String(metadata={"description": "亮证图片的短时链接（无需登录头，可长按保存）"})
    expires_at = fields.Integer(metadata={"description": "链接失效时间（Unix 秒）"})
    refresh_seconds = fields.Integer(metadata={"description": "客户端刷新间隔（秒）"})
    shown_at = fields.DateTime(metadata={"description": "亮证时间（印在图片上）"})


def view_id(license_pk: int, minute: int) -> str:
    """The signed link's document id: the license and the minute it shows."""
    return f"{license_pk}m{minute}"


def parse_view_id(value: str) -> tuple[int, int]:
    license_pk, _, minute = value.partition("m")
    return int(license_pk), int(minute)


@bp.post("/me/licenses/<int:license_id>/show")
@citizen_required
@limiter.limit("20 per minute", key_func=downloads.account_key)
@bp.response(200, ShowLinkSchema)
@bp.alt_response(404, description="不存在或不属于本人")
@bp.alt_response(409, description="证书已注销或已换证，不能亮证")
@bp.doc(
    summary="亮证",
    description="本人电子证照的图片（带“仅供查看”水印、亮证时间和证书核验二维码）的短时链接；"
    "请每 60 秒重新获取一次。不生成加注件，不需要事由。",
    security=BEARER,
)
def show_license(license_id: int) -> dict[str, Any]:
    lic = service.get_license(g.person, license_id)
    refusal = service.copy_refusal(lic)
    if refusal is not None:
        raise Problem(
            409, refusal[0], refusal[1].replace("制作加注件", "亮证"),
            certificate_status=lic.certificate.status,
        )  # fmt: skip
    minute = int(time.time()) // 60
    signed, expires = downloads.sign_link(KIND, view_id(lic.id, minute), "png", g.account.id)
    audit.record("license.show", object_type="electronic_license", object_id=lic.id)
    db.session.commit()
    return {
        "png": downloads.link_url(signed),
        "expires_at": expires,
        "refresh_seconds": REFRESH_SECONDS,
        "shown_at": datetime.fromtimestamp(minute * 60, UTC),
    }


def view_document(lic: ElectronicLicense, shown_at: datetime) -> rendering.LicenseDocument:
    """The license laid out as a copy would be, annotated as a showing (nothing stored)."""
    cert = lic.certificate
    doc = signed_documents.certificate_document(cert)
    url = signed_documents.qr_text(signed_documents.document_url(doc)) if doc else ""
    stand_in = SimpleNamespace(
        license=lic,
        notes=[encumbrance_note(e) for e in active_encumbrances(cert.right.unit, shown_at)],
        maker="权利人本人亮证",
        created_at=shown_at,
        purpose="亮证，仅供查看",
        valid_until=shown_at + timedelta(seconds=REFRESH_SECONDS),
        serial="LZ" + shown_at.astimezone(CHINA_TZ).strftime("%Y%m%d%H%M"),
    )
    return rendering_glue.license_document(cast(LicenseCopy, stand_in), url or "-")


def render_view(lic: ElectronicLicense, minute: int) -> bytes:
    """PNG of the showing: 「仅供查看 HH:MM」 across the page instead of a purpose."""
    from ..rendering import get_fonts
    from ..rendering import png as render_png
    from ..rendering.components import watermark
    from ..rendering.layout import QRCode

    shown_at = datetime.fromtimestamp(minute * 60, UTC)
    page = rendering.license_page(view_document(lic, shown_at))
    fonts = get_fonts()
    keep_out = [
        (op.x - 4.0, op.y - 4.0, op.size + 8.0, op.size + 8.0)
        for op in page.ops
        if isinstance(op, QRCode)
    ]
    stamp = "仅供查看 " + shown_at.astimezone(CHINA_TZ).strftime("%m-%d %H:%M")
    page.ops[0] = watermark(page, stamp, fonts, keep_out, opacity=0.3)
    dpi = rendering.DEFAULT_DPI
    return render_png.encode_png(render_png.render_page(page, fonts, dpi), dpi)


def license_for_view(public_id: str, person_id: int | None) -> tuple[ElectronicLicense, int] | None:
    """The license and minute of a showing link, if the linked account holds it."""
    try:
        license_pk, minute = parse_view_id(public_id)
    except ValueError:
        return None
    if person_id is None:
        return None
    from ..domain.properties import license_of

    lic = license_of(person_id, license_pk)
    return (lic, minute) if lic is not None else None
