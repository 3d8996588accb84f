"""Housing proofs (房屋证明, 有房/无房) as a document kind.

A proof is a snapshot of the register stored in ``HousingProof.result`` and signed as issued
(kind ``housing_proof``, expiring with the proof); addressed by its random ``public_id``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import rendering
from ..clock import day, day_zh, iso
from ..domain import documents
from ..domain.masking import mask_name
from ..labels import (
    DOCUMENT_KIND_LABELS,
    PROOF_RESULT_LABELS,
    PROOF_SCOPE_LABELS,
    VALIDITY_LABELS,
    proof_result,
)
from ..models import HousingProof
from . import printing
from .base import IssuedRecordKind


def result_text(proof: HousingProof) -> str:
    units = (proof.result or {}).get("units", [])
    if units:
        return f"有房：在本登记机构登记的不动产共{len(units)}处"
    return "无房：在本登记机构未查询到不动产登记记录"


def masked_view(proof: HousingProof, now: datetime | None = None) -> dict[str, Any]:
    """What a third party scanning the proof's QR may see: validity, purpose, result, masked
    names (applicant, family, holders) and the units as issued (location, area, use, number).
    """
    now = now or datetime.now(UTC)
    result = proof.result or {}
    expired = now >= proof.valid_until
    applicant = result.get("applicant", {})
    status = "expired" if expired else "valid"
    outcome = proof_result(proof.has_property)
    return {
        "kind": "housing_proof",
        "kind_label": DOCUMENT_KIND_LABELS["housing_proof"],
        "serial": proof.serial,
        "valid": not expired,
        "status": status,
        "status_label": VALIDITY_LABELS[status],
        "purpose": proof.purpose,
        "scope": proof.scope,
        "scope_label": PROOF_SCOPE_LABELS[proof.scope],
        "queried_at": proof.queried_at,
        "issued_at": proof.issued_at,
        "valid_until": proof.valid_until,
        "result": outcome,
        "result_label": PROOF_RESULT_LABELS[outcome],
        "result_text": result_text(proof),
        "applicant": mask_name(applicant.get("name", "")),
        "applicant_id_masked": applicant.get("id_masked"),
        "members": [
            {"relation": m["relation"], "name": mask_name(m["name"])}
            for m in result.get("members", [])
        ],
        "units": [
            {
                "location": u["location"],
                "area_m2": u["area_m2"],
                "use": u["use"],
                "certificate_number": u["certificate_number"],
                "holders": [mask_name(name) for name in u.get("holders", [])],
            }
            for u in result.get("units", [])
        ],
        "as_of": now,
    }


def _display(view: dict[str, Any]) -> list[tuple[str, str]]:
    display = [
        ("文件类型", view["kind_label"]),
        ("证明编号", view["serial"]),
        ("有效状态", view["status_label"]),
        ("查询范围", view["scope_label"]),
        ("申请人", view["applicant"]),
    ]
    display += [(member["relation"], member["name"]) for member in view["members"]]
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
    return display


def _document(view: dict[str, Any]) -> dict[str, Any]:
    return {
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
        "queried_at": iso(view["queried_at"]),
        "issued_on": day(view["issued_at"]),
        "valid_until": day(view["valid_until"]),
        "validity": view["status"],
    }


class HousingProofKind(IssuedRecordKind):
    def query(self) -> Any:
        return select(HousingProof).options(joinedload(HousingProof.person))

    def canonical_fields(self, record: HousingProof) -> dict[str, str | int | None]:
        return documents.proof_fields(record)

    def printable_document(self, record: HousingProof, url: str) -> rendering.ProofDocument:
        return printing.proof_document(record, url)

    def masked_view(self, record: HousingProof, now: datetime | None = None) -> dict[str, Any]:
        return masked_view(record, now)

    def answer_fields(self, view: dict[str, Any]) -> dict[str, Any]:
        return _document(view)

    def display(self, view: dict[str, Any]) -> list[tuple[str, str]]:
        return _display(view)


HOUSING_PROOF = HousingProofKind(
    "housing_proof", HousingProof, "proof", file_title="房屋证明", ascii_title="housing-proof"
)
