"""Annotated e-license copies (加注件) as a document kind.

A copy is an e-license stamped for one purpose; its record is ``LicenseCopy``, addressed by
its random ``public_id``, and its token (kind ``license_copy``) expires with the copy.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import joinedload

from .. import rendering
from ..clock import day, day_zh
from ..domain import documents
from ..domain.masking import mask_name
from ..domain.properties import active_encumbrances, encumbrance_dict, format_area, sorted_holders
from ..labels import (
    CERTIFICATE_STATUS_LABELS,
    CO_OWNERSHIP_LABELS,
    DOCUMENT_KIND_LABELS,
    VALIDITY_LABELS,
)
from ..models import (
    Certificate,
    ElectronicLicense,
    LicenseCopy,
    PropertyRight,
    RightHolder,
)
from . import printing
from .base import IssuedRecordKind
from .certificate import active_encumbrances as live_encumbrances


def copy_query() -> Any:
    """LicenseCopy with its license, certificate, right, unit and holders loaded."""
    right = (
        joinedload(LicenseCopy.license)
        .joinedload(ElectronicLicense.certificate)
        .joinedload(Certificate.right)
    )
    return select(LicenseCopy).options(
        right.joinedload(PropertyRight.unit),
        right.selectinload(PropertyRight.holders).joinedload(RightHolder.person),
    )


def masked_view(copy: LicenseCopy, now: datetime | None = None) -> dict[str, Any]:
    """What a third party scanning the copy's QR may see: no full names, no ID numbers.

    Validity of the copy itself (valid until / expired), its purpose, the certificate's live
    status and encumbrances in force, holders' names masked, and the unit facts to compare
    with the paper (location, area, use, certificate number).
    """
    now = now or datetime.now(UTC)
    lic = copy.license
    cert = lic.certificate
    right = cert.right
    unit = right.unit
    expired = now >= copy.valid_until
    certificate_current = cert.status == "valid" and right.current
    status = "expired" if expired else "valid"
    return {
        "kind": "license_copy",
        "kind_label": DOCUMENT_KIND_LABELS["license_copy"],
        "serial": copy.serial,
        "valid": not expired and certificate_current,
        "status": status,
        "status_label": VALIDITY_LABELS[status],
        "purpose": copy.purpose,
        "watermark": printing.watermark(copy.purpose),
        "made_at": copy.created_at,
        "valid_until": copy.valid_until,
        "maker": mask_name(copy.person.name) if copy.person else None,
        "license_id": lic.license_id,
        "certificate": {
            "number": cert.number,
            "status": cert.status,
            "status_label": CERTIFICATE_STATUS_LABELS.get(cert.status, cert.status),
        },
        "co_ownership_label": CO_OWNERSHIP_LABELS.get(right.co_ownership, right.co_ownership),
        "holders": [mask_name(h.person.name) for h in sorted_holders(right)],
        "units": [
            {
                "location": unit.location,
                "area_m2": format_area(unit.area_m2),
                "use": unit.use,
                "certificate_number": cert.number,
            }
        ],
        "notes_at_copy": list(copy.notes or []),
        "encumbrances_now": [
            {"kind": e["kind"], "kind_label": e["kind_label"], "started_at": e["started_at"]}
            for e in (encumbrance_dict(x) for x in active_encumbrances(unit, now))
        ],
        "as_of": now,
    }


def _display(view: dict[str, Any]) -> list[tuple[str, str]]:
    cert, unit = view["certificate"], view["units"][0]
    return [
        ("文件类型", view["kind_label"]),
        ("加注件编号", view["serial"]),
        ("有效状态", view["status_label"]),
        ("事由", f"{view['purpose']}（{view['watermark']}）"),
        ("证书号", cert["number"]),
        ("证书状态", cert["status_label"]),
        ("权利人", "、".join(view["holders"])),
        ("共有情况", view["co_ownership_label"]),
        ("坐落", unit["location"]),
        ("面积", f"{unit['area_m2']} 平方米"),
        ("用途", unit["use"]),
        ("制作时间", day_zh(view["made_at"])),
        ("有效期至", day_zh(view["valid_until"])),
    ]


def _document(view: dict[str, Any]) -> dict[str, Any]:
    cert, unit = view["certificate"], view["units"][0]
    return {
        "kind": "license_copy",
        "kind_label": view["kind_label"],
        "number": view["serial"],
        "certificate_number": cert["number"],
        "certificate_status": cert["status"],
        "purpose": view["purpose"],
        "holder": view["maker"] or "",
        "holders": view["holders"],
        "maker": view["maker"] or "",
        "location": unit["location"],
        "area_m2": unit["area_m2"],
        "use": unit["use"],
        "issued_on": day(view["made_at"]),
        "valid_until": day(view["valid_until"]),
        "validity": view["status"],
    }


class LicenseCopyKind(IssuedRecordKind):
    def query(self) -> Any:
        return copy_query()

    def canonical_fields(self, record: LicenseCopy) -> dict[str, str | int | None]:
        return documents.copy_fields(record)

    def printable_document(self, record: LicenseCopy, url: str) -> rendering.LicenseDocument:
        return printing.license_document(record, url)

    def masked_view(self, record: LicenseCopy, now: datetime | None = None) -> dict[str, Any]:
        return masked_view(record, now)

    def verdict(self, view: dict[str, Any]) -> tuple[str, str]:
        """Expired; else the certificate's live status (cancelled, superseded); else valid."""
        status = view["certificate"]["status"]
        if view["status"] != "expired" and status in ("cancelled", "superseded"):
            return status, status
        return super().verdict(view)

    def answer_fields(self, view: dict[str, Any]) -> dict[str, Any]:
        return _document(view)

    def display(self, view: dict[str, Any]) -> list[tuple[str, str]]:
        return _display(view)

    def live_encumbrances(self, conn: Connection, record: LicenseCopy) -> list[dict[str, Any]]:
        return live_encumbrances(conn, record.license.certificate.right.unit_id)


LICENSE_COPY = LicenseCopyKind(
    "license_copy",
    LicenseCopy,
    "copy",
    file_title="不动产权证书加注件",
    ascii_title="license-copy",
)
