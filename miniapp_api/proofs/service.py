"""Housing proofs (有房/无房证明): domain functions (no request).

A proof is a snapshot of the register at its query time point (查询时点): the people covered
(the applicant; for scope ``family`` also the spouse and minor children recorded in the
register) and every current right any of them holds, each unit once. The snapshot is stored in
``HousingProof.result`` and signed (kind ``housing_proof``, ``exp`` = valid-until), so the
document renders identically for as long as it exists.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..domain import audit
from ..domain import documents as signed_documents
from ..domain.masking import mask_name
from ..domain.properties import (
    CO_OWNERSHIP_LABELS,
    china_today,
    current_rights,
    family_of,
    format_area,
    property_certificate,
    sorted_holders,
)
from ..errors import Problem
from ..extensions import db
from ..licenses import rendering_glue
from ..licenses.purposes import is_common, proof_valid_days
from ..licenses.service import new_public_id, new_serial
from ..models import HousingProof, IssuedDocument, Person

SCOPES = ("personal", "family")
NOT_FOUND = "未找到该房屋证明"
NO_CERTIFICATE = "尚未发证"


def _now(now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)).replace(microsecond=0)


def snapshot(person: Person, scope: str, at: datetime) -> dict[str, Any]:
    """People covered and units found at ``at`` (JSON-ready, as printed on the proof)."""
    members = family_of(person, china_today(at)) if scope == "family" else []
    people = [person, *(member for _, member in members)]
    units = []
    for right in current_rights(p.id for p in people):
        cert = property_certificate(right)
        unit = right.unit
        units.append(
            {
                "unit_number": unit.unit_number,
                "location": unit.location,
                "area_m2": format_area(unit.area_m2),
                "use": unit.use,
                "certificate_number": cert.number if cert else NO_CERTIFICATE,
                "co_ownership": CO_OWNERSHIP_LABELS.get(right.co_ownership, right.co_ownership),
                "holders": [h.person.name for h in sorted_holders(right)],
            }
        )
    return {
        "applicant": {"name": person.name, "id_masked": person.id_number_masked},
        "members": [
            {"relation": relation, "name": member.name, "id_masked": member.id_number_masked}
            for relation, member in members
        ],
        "units": units,
    }


def issue_proof(
    person: Person, scope: str, purpose: str, *, now: datetime | None = None
) -> HousingProof:
    """Query the register, store the snapshot, sign it (commits)."""
    if scope not in SCOPES:
        raise Problem(422, "validation_failed", "查询范围只能是个人或家庭")
    at = _now(now)
    result = snapshot(person, scope, at)
    proof = HousingProof(
        public_id=new_public_id(),
        serial=new_serial("FW", HousingProof, at),
        person_id=person.id,
        scope=scope,
        purpose=purpose,
        queried_at=at,
        has_property=bool(result["units"]),
        result=result,
        issued_at=at,
        valid_until=at + timedelta(days=proof_valid_days(purpose)),
    )
    proof.person = person
    rendering_glue.check_printable(rendering_glue.proof_document(proof, "HTTPS://X/V/" + "A" * 80))
    db.session.add(proof)
    db.session.flush()
    signed_documents.issue_document(
        "housing_proof", proof=proof, expires_at=proof.valid_until, now=at
    )
    audit.record(
        "housing_proof.issue",
        object_type="housing_proof",
        object_id=proof.public_id,
        detail={
            "scope": scope,
            "has_property": proof.has_property,
            "units": len(result["units"]),
            "members": len(result["members"]),
            "common_purpose": is_common(purpose),
        },
    )
    db.session.commit()
    return proof


def list_proofs(person: Person) -> list[HousingProof]:
    proofs = list(
        db.session.execute(
            select(HousingProof)
            .where(HousingProof.person_id == person.id)
            .order_by(HousingProof.issued_at.desc(), HousingProof.id.desc())
        ).scalars()
    )
    audit.record(
        "housing_proofs.list",
        object_type="person",
        object_id=person.id,
        detail={"count": len(proofs)},
    )
    return proofs


def get_proof(person: Person, public_id: str) -> HousingProof:
    """The person's own proof; 404 otherwise (as if it did not exist)."""
    proof = db.session.execute(
        select(HousingProof).where(
            HousingProof.public_id == public_id, HousingProof.person_id == person.id
        )
    ).scalar_one_or_none()
    if proof is None:
        audit.record(
            "housing_proof.view", object_type="housing_proof", object_id=public_id[:64],
            result="not_found",
        )  # fmt: skip
        db.session.commit()
        raise Problem(404, "not_found", NOT_FOUND)
    return proof


def proof_by_public_id(public_id: str) -> HousingProof | None:
    return db.session.execute(
        select(HousingProof)
        .options(joinedload(HousingProof.person))
        .where(HousingProof.public_id == public_id)
    ).scalar_one_or_none()


def document_of(proof: HousingProof) -> IssuedDocument:
    doc = signed_documents.latest_document(proof=proof)
    if doc is None:  # every housing proof is issued with its token in the same transaction
        raise RuntimeError(f"housing proof {proof.id} has no signed document")
    return doc


def verification_url(proof: HousingProof) -> str:
    return signed_documents.document_url(document_of(proof))


def proof_dict(proof: HousingProof, *, links: dict[str, Any] | None = None) -> dict[str, Any]:
    result = proof.result or {}
    base = f"/api/v1/me/housing-proofs/{proof.public_id}"
    return {
        "id": proof.public_id,
        "serial": proof.serial,
        "scope": proof.scope,
        "scope_label": rendering_glue.PROOF_SCOPES[proof.scope],
        "purpose": proof.purpose,
        "watermark": rendering_glue.watermark(proof.purpose),
        "queried_at": proof.queried_at,
        "issued_at": proof.issued_at,
        "valid_until": proof.valid_until,
        "expired": datetime.now(UTC) >= proof.valid_until,
        "has_property": proof.has_property,
        "result_label": "有房" if proof.has_property else "无房",
        "result_text": result_text(proof),
        "applicant": result.get("applicant"),
        "members": result.get("members", []),
        "units": result.get("units", []),
        "verification_url": verification_url(proof),
        "png_url": base + ".png",
        "pdf_url": base + ".pdf",
        "download_links": links,
    }


def result_text(proof: HousingProof) -> str:
    units = (proof.result or {}).get("units", [])
    if units:
        return f"有房：在本登记机构登记的不动产共{len(units)}处"
    return "无房：在本登记机构未查询到不动产登记记录"


def render_proof(proof: HousingProof, fmt: str) -> bytes:
    url = signed_documents.qr_text(verification_url(proof))
    return rendering_glue.render(rendering_glue.proof_document(proof, url), fmt)


def proof_filename(proof: HousingProof, fmt: str, *, ascii_only: bool = False) -> str:
    if ascii_only:
        return f"housing-proof-{proof.serial}.{fmt}"
    return f"房屋证明_{proof.serial}.{fmt}"


# --- the public, masked view for /v/{TOKEN} (verification) -----------------------------------
def masked_view_for_proof(proof: HousingProof, now: datetime | None = None) -> dict[str, Any]:
    """What a third party scanning the proof's QR may see: validity, purpose, result, masked
    names (applicant, family, holders) and the units as issued (location, area, use, number).
    """
    now = now or datetime.now(UTC)
    result = proof.result or {}
    expired = now >= proof.valid_until
    applicant = result.get("applicant", {})
    return {
        "kind": "housing_proof",
        "kind_label": "房屋证明",
        "serial": proof.serial,
        "valid": not expired,
        "status": "expired" if expired else "valid",
        "status_label": "已过有效期" if expired else "在有效期内",
        "purpose": proof.purpose,
        "scope": proof.scope,
        "scope_label": rendering_glue.PROOF_SCOPES[proof.scope],
        "queried_at": proof.queried_at,
        "issued_at": proof.issued_at,
        "valid_until": proof.valid_until,
        "result": "has_property" if proof.has_property else "no_property",
        "result_label": "有房" if proof.has_property else "无房",
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
