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

from .. import unit_of_work
from ..clock import china_today, utcnow_seconds
from ..database import db
from ..domain import audit
from ..domain.numbering import new_public_id, new_serial
from ..domain.properties import (
    current_rights,
    family_of,
    format_area,
    property_certificate,
    sorted_holders,
)
from ..domain.purposes import is_common, proof_valid_days
from ..downloads import links_for
from ..errors import Problem
from ..kinds import HOUSING_PROOF
from ..kinds.housing_proof import result_text
from ..labels import CO_OWNERSHIP_LABELS, PROOF_RESULT_LABELS, PROOF_SCOPE_LABELS, proof_result
from ..models import HousingProof, Person

SCOPES = ("personal", "family")
NOT_FOUND = "未找到该房屋证明"
NO_CERTIFICATE = "尚未发证"


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
    at = utcnow_seconds(now)
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
    HOUSING_PROOF.issue(
        proof,
        now=at,
        detail={
            "scope": scope,
            "has_property": proof.has_property,
            "units": len(result["units"]),
            "members": len(result["members"]),
            "common_purpose": is_common(purpose),
        },
    )
    unit_of_work.done()
    return proof


def list_proofs(person: Person) -> list[HousingProof]:
    query = (
        select(HousingProof)
        .where(HousingProof.person_id == person.id)
        .order_by(HousingProof.issued_at.desc(), HousingProof.id.desc())
    )
    proofs = list(db.session.execute(query).scalars())
    return audit.listed(proofs, "housing_proofs.list", object_type="person", object_id=person.id)


def get_proof(person: Person, public_id: str) -> HousingProof:
    """The person's own proof; 404 otherwise (as if it did not exist)."""
    proof: HousingProof = HOUSING_PROOF.own(person.id, public_id, NOT_FOUND)
    return proof


def view_proof(person: Person, public_id: str) -> HousingProof:
    proof = get_proof(person, public_id)
    audit.record("housing_proof.view", object_type="housing_proof", object_id=proof.public_id)
    return proof


def proof_dict(proof: HousingProof, *, account_id: int | None = None) -> dict[str, Any]:
    """The proof as answered to its applicant (with header-free links for ``account_id``)."""
    links = links_for(HOUSING_PROOF.name, proof.public_id, account_id) if account_id else None
    result = proof.result or {}
    base = f"/api/v1/me/housing-proofs/{proof.public_id}"
    return {
        "id": proof.public_id,
        "serial": proof.serial,
        "scope": proof.scope,
        "scope_label": PROOF_SCOPE_LABELS[proof.scope],
        "purpose": proof.purpose,
        "queried_at": proof.queried_at,
        "issued_at": proof.issued_at,
        "valid_until": proof.valid_until,
        "expired": datetime.now(UTC) >= proof.valid_until,
        "has_property": proof.has_property,
        "result_label": PROOF_RESULT_LABELS[proof_result(proof.has_property)],
        "result_text": result_text(proof),
        "applicant": result.get("applicant"),
        "members": result.get("members", []),
        "units": result.get("units", []),
        "verification_url": HOUSING_PROOF.verification_url(proof),
        "png_url": base + ".png",
        "pdf_url": base + ".pdf",
        "download_links": links,
    }
