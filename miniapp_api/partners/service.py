"""Partner API keys, bulk verification and developers' read-only handover progress."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from sqlalchemy import select

from .. import unit_of_work
from ..database import db
from ..domain import audit
from ..domain.masking import mask_contract_number
from ..errors import Problem
from ..handover import cases as handover_cases
from ..handover import read_models as handover_read_models
from ..models import PARTNER_KINDS, HousingProject, Partner
from ..verification import service as verification

KEY_PREFIX = "bdcp"
KEY_ID_RE = re.compile(r"[0-9a-f]{12}")  # secrets.token_hex(6), see create_partner
MAX_BATCH = 100


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_partner(
    name: str, kind: str, organisation: str | None = None, service: str | None = None
) -> tuple[Partner, str]:
    """Create a partner; the API key is returned once and only its hash is stored.

    A utility (kind ``utility``) runs exactly one ``service``: water, power or gas."""
    if kind not in PARTNER_KINDS:
        raise ValueError(f"kind must be one of {', '.join(PARTNER_KINDS)}")
    if kind == "developer" and not organisation:
        raise ValueError("a developer partner needs --organisation (the developer's name)")
    if kind == "utility" and service not in ("water", "power", "gas"):
        raise ValueError("a utility partner needs --service water|power|gas")
    if kind != "utility" and service is not None:
        raise ValueError("--service is for utility partners only")
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    partner = Partner(
        name=name,
        kind=kind,
        organisation=organisation,
        service=service,
        key_prefix=prefix,
        key_hash=_hash(key),
    )
    db.session.add(partner)
    audit.record(
        "partner.create", actor_kind="system", object_type="partner", detail={"kind": kind}
    )
    unit_of_work.done()
    return partner, key


def authenticate(key: str | None) -> Partner:
    """The partner holding this API key, or a 401 problem (same answer for every failure)."""
    refused = Problem(401, "api_key_invalid", "合作机构密钥无效或已停用")
    parts = (key or "").split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not KEY_ID_RE.fullmatch(parts[1]):
        raise refused  # e.g. a NUL in the header would otherwise reach the database
    partner = db.session.execute(
        select(Partner).where(Partner.key_prefix == parts[1])
    ).scalar_one_or_none()
    expected = partner.key_hash if partner is not None else _hash("")
    if not hmac.compare_digest(expected, _hash(key or "")) or partner is None:
        raise refused
    if not partner.active:
        raise refused
    return partner


def actor_of(partner: Partner) -> audit.Actor:
    return ("partner", partner.id)


def verify_tokens(partner: Partner, tokens: list[str]) -> list[dict[str, Any]]:
    """One verification answer per token, each audited like a public check (one connection
    for the whole batch)."""
    with verification.check_connection() as conn:
        answers = [verification.check_token(token) for token in tokens]
        for answer in answers:
            verification.record_check(conn, answer, "partner", actor_of(partner))
    return [{"index": index, **answer.to_json()} for index, answer in enumerate(answers)]


def verify_numbers(partner: Partner, items: list[dict[str, str]]) -> list[dict[str, Any]]:
    with verification.check_connection() as conn:
        answers = [
            verification.check_by_number(item["certificate_number"], item["print_serial"])
            for item in items
        ]
        for answer in answers:
            verification.record_check(conn, answer, "partner-number", actor_of(partner))
    return [{"index": index, **answer.to_json()} for index, answer in enumerate(answers)]


def _own_project(partner: Partner, project_id: int) -> HousingProject:
    project = db.session.get(HousingProject, project_id)
    # Another developer's project answers exactly like a missing one.
    if project is None or partner.kind != "developer" or project.developer != partner.organisation:
        raise Problem(404, "project_not_found", "未找到该楼盘项目")
    return project


def own_projects(partner: Partner) -> list[dict[str, Any]]:
    if partner.kind != "developer":
        raise Problem(403, "forbidden", "仅开发企业可查看本企业项目的交房即交证进度")
    projects = [
        p for p in handover_read_models.list_projects() if p["developer"] == partner.organisation
    ]
    audit.record(
        "partner.handover.projects",
        object_type="housing_project",
        detail={"returned": len(projects)},
    )
    unit_of_work.done()
    return projects


def project_cases(partner: Partner, project_id: int, page: int, per_page: int) -> dict[str, Any]:
    """Per-unit progress of one of the partner's own projects; buyers masked."""
    _own_project(partner, project_id)
    listing = handover_cases.list_cases(
        project_id=project_id, stage=None, contract_number=None, page=page, per_page=per_page
    )
    listing["items"] = [
        {
            "id": item["id"],
            "building": item["building"],
            "room": item["room"],
            "unit_number": item["unit_number"],
            "contract_number": mask_contract_number(item["contract_number"]),
            "buyer_name": item["buyer_name"],
            "stage": item["stage"],
            "stage_label": item["stage_label"],
            "next_stage": item["next_stage"],
            "open_blockers": [
                {"kind": b["kind"], "label": b.get("label"), "authority": b.get("authority")}
                for b in item["open_blockers"]
            ],
            "updated_at": item["updated_at"],
        }
        for item in listing["items"]
    ]
    return listing
