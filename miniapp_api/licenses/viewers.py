"""The verification page's view of annotated copies and housing proofs.

The verification feature (miniapp_api/verification/service.py) dispatches on
``IssuedDocument.kind`` through ``VIEWERS``; this module registers the viewers of the two kinds
this feature issues, built on :func:`masked_view_for_copy` and :func:`masked_view_for_proof`
(masked names, validity, purpose, result, units with location, area, use and certificate
number). Importing it (licenses/views.py does) is what wires them in.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from sqlalchemy import select

import verify

from ..database import db
from ..domain import documents
from ..models import HousingProof, IssuedDocument, LicenseCopy
from ..verification.service import KindView, active_encumbrances, day, day_zh, register_viewer
from ..verification.service import iso as iso_time
from . import service
from .service import masked_view_for_copy


def _linked_id(document_id: bytes, kind: str) -> int | None:
    column = IssuedDocument.copy_id if kind == "license_copy" else IssuedDocument.proof_id
    return db.session.execute(
        select(column).where(IssuedDocument.document_id == document_id, IssuedDocument.kind == kind)
    ).scalar()


def _changed(digest: bytes | None, fields: dict[str, Any]) -> bool:
    return digest is not None and not hmac.compare_digest(digest, verify.content_digest(fields))


@register_viewer("license_copy")
def license_copy_viewer(
    document_id: bytes | None, digest: bytes | None, now: datetime
) -> KindView | None:
    if document_id is None:
        return None
    copy_pk = _linked_id(document_id, "license_copy")
    if copy_pk is None:
        return None
    copy = db.session.execute(
        service.copy_query().where(LicenseCopy.id == copy_pk)
    ).scalar_one_or_none()
    if copy is None:
        return None
    view = masked_view_for_copy(copy, now)
    cert = view["certificate"]
    if view["status"] == "expired":
        verdict = reason = "expired"
    elif cert["status"] in ("cancelled", "superseded"):
        verdict = reason = cert["status"]
    else:
        verdict, reason = "authentic", "valid"
    unit = view["units"][0]
    document = {
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
    display = [
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
    return KindView(
        verdict,
        reason,
        document,
        display,
        active_encumbrances(copy.license.certificate.right.unit_id),
        _changed(digest, documents.copy_fields(copy)),
        number=copy.serial,
    )


@register_viewer("housing_proof")
def housing_proof_viewer(
    document_id: bytes | None, digest: bytes | None, now: datetime
) -> KindView | None:
    if document_id is None:
        return None
    proof_pk = _linked_id(document_id, "housing_proof")
    if proof_pk is None:
        return None
    proof = db.session.get(HousingProof, proof_pk)
    if proof is None:
        return None
    from ..proofs.service import masked_view_for_proof  # proofs imports licenses: lazy

    view = masked_view_for_proof(proof, now)
    verdict, reason = (
        ("expired", "expired") if view["status"] == "expired" else ("authentic", "valid")
    )
    document = {
        "kind": "housing_proof",
        "kind_label": view["kind_label"],
        "number": view["serial"],
        "scope": view["scope"],
        "purpose": view["purpose"],
        "applicant": view["applicant"],
        "members": view["members"],
        "result": view["result"],
        "result_label": view["result_label"],
        "unit_count": len(view["units"]),
        "units": view["units"],
        "queried_at": iso_time(view["queried_at"]),
        "issued_on": day(view["issued_at"]),
        "valid_until": day(view["valid_until"]),
        "validity": view["status"],
    }
    display = [
        ("文件类型", view["kind_label"]),
        ("证明编号", view["serial"]),
        ("有效状态", view["status_label"]),
        ("查询范围", view["scope_label"]),
        ("申请人", view["applicant"]),
    ]
    for member in view["members"]:
        display.append((member["relation"], member["name"]))
    display += [
        ("事由", view["purpose"]),
        ("查询结果", view["result_text"]),
        ("查询时点", day_zh(view["queried_at"])),
        ("有效期至", day_zh(view["valid_until"])),
    ]
    for index, unit in enumerate(view["units"], 1):
        display.append(
            (
                f"不动产{index}",
                f"{unit['location']}，{unit['area_m2']} 平方米，{unit['use']}，"
                f"{unit['certificate_number']}，权利人 {'、'.join(unit['holders'])}",
            )
        )
    return KindView(
        verdict,
        reason,
        document,
        display,
        [],
        _changed(digest, documents.proof_fields(proof)),
        number=proof.serial,
    )
