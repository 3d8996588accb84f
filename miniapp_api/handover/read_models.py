"""交房即交证 read models: project facts and timelines, the buyer's and the staff's views of
a case, open blockers. Plain functions over the models; they write nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..database import db
from ..domain.documents import certificate_document, document_url
from ..domain.masking import mask_contract_number, mask_name
from ..domain.stages import (
    PROJECT_STAGE_CODES,
    UNIT_STAGE_CODES,
    next_unit_stage,
    unit_stage_index,
)
from ..errors import Problem
from ..labels import APPLICATION_STATUS_LABELS
from ..models import (
    Application,
    Certificate,
    HandoverBlocker,
    HandoverCase,
    HandoverSubscription,
    HousingProject,
    Person,
    WechatAccount,
)
from . import rules


def utcnow() -> datetime:
    return datetime.now(UTC)


# ===============================================================================================
# Blockers and project facts
# ===============================================================================================
def open_blockers(project_ids: Sequence[int]) -> dict[int, list[HandoverBlocker]]:
    """Open blockers (project-level and case-level) per project id."""
    found: dict[int, list[HandoverBlocker]] = defaultdict(list)
    if not project_ids:
        return found
    rows = db.session.execute(
        select(HandoverBlocker)
        .where(HandoverBlocker.project_id.in_(project_ids), HandoverBlocker.resolved_at.is_(None))
        .order_by(HandoverBlocker.created_at, HandoverBlocker.id)
    ).scalars()
    for blocker in rows:
        found[blocker.project_id].append(blocker)
    return found


def blockers_for_case(case: HandoverCase, blockers: Sequence[HandoverBlocker]) -> list[Any]:
    return [b for b in blockers if b.case_id is None or b.case_id == case.id]


def blocker_view(blocker: HandoverBlocker, *, with_case: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": blocker.id,
        "kind": blocker.kind,
        "label": rules.blocker_label(blocker.kind),
        "scope": "case" if blocker.case_id else "project",
        "authority": blocker.authority,
        "reason": blocker.reason,
        "since": blocker.created_at,
        "resolved_at": blocker.resolved_at,
        "resolution": blocker.resolution,
    }
    if with_case:
        view["case_id"] = blocker.case_id
        view["project_id"] = blocker.project_id
    return view


def _stage_counts(project_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {
        pid: dict.fromkeys(UNIT_STAGE_CODES, 0) for pid in project_ids
    }
    if not project_ids:
        return counts
    rows = db.session.execute(
        select(HandoverCase.project_id, HandoverCase.stage, func.count(HandoverCase.id))
        .where(HandoverCase.project_id.in_(project_ids))
        .group_by(HandoverCase.project_id, HandoverCase.stage)
    ).all()
    for project_id, stage, count in rows:
        counts[project_id][stage] = count
    return counts


def _timeline(codes: Sequence[str], events: Iterable[Any], current: int) -> list[dict[str, Any]]:
    """Stages in order, each reached (time and note of its latest event), skipped, or pending."""
    latest = {event.stage: event for event in events}
    timeline = []
    for index, code in enumerate(codes):
        event = latest.get(code) if index <= current else None
        if index > current:
            status = "pending"
        elif event is None:
            status = "skipped"
        else:
            status = "reached"
        timeline.append(
            {
                "stage": code,
                "label": rules.label(code),
                "status": status,
                "reached": index <= current,
                "current": index == current,
                "reached_at": event.reached_at if event else None,
                "note": event.note if event else None,
            }
        )
    return timeline


def project_timeline(project: HousingProject) -> list[dict[str, Any]]:
    """The four project stages, each reached (with time and note), skipped, or pending."""
    timeline = _timeline(
        PROJECT_STAGE_CODES, project.events, rules.project_stage_index(project.stage)
    )
    for entry in timeline:
        del entry["current"]
        entry["optional"] = entry["stage"] in rules.OPTIONAL_PROJECT_STAGES
    return timeline


def _project_view(
    project: HousingProject,
    counts: dict[str, int],
    blockers: list[HandoverBlocker],
    with_timeline: bool,
) -> dict[str, Any]:
    total = sum(counts.values())
    handed = counts.get(rules.HANDED_OVER, 0)
    case_level: dict[str, int] = defaultdict(int)
    for blocker in blockers:
        if blocker.case_id is not None:
            case_level[blocker.kind] += 1
    view: dict[str, Any] = {
        "id": project.id,
        "name": project.name,
        "developer": project.developer,
        "location": project.location,
        "version": project.version,
        "stage": project.stage,
        "stage_label": rules.label(project.stage),
        "next_stage": rules.next_project_stage(project.stage),
        "ready_for_transfer": rules.project_ready(project.stage),
        "planned_handover_on": project.planned_handover_on,
        "units_total": total,
        "unit_stage_counts": [
            {"stage": code, "label": rules.label(code), "count": counts.get(code, 0)}
            for code in UNIT_STAGE_CODES
        ],
        "handed_over_units": handed,
        # The project has delivered 交房即交证 once a buyer received keys and deed together.
        "handover_reached": handed > 0,
        "all_handed_over": total > 0 and handed == total,
        # Public view: project-wide blockers in full (they concern the developer, not a buyer);
        # blockers of single cases only as counts per kind, without any case or buyer detail.
        "open_blockers": [blocker_view(b, with_case=False) for b in blockers if b.case_id is None],
        "open_case_blockers": [
            {"kind": kind, "label": rules.blocker_label(kind), "count": count}
            for kind, count in sorted(case_level.items())
        ],
    }
    if with_timeline:
        view["timeline"] = project_timeline(project)
    return view


def list_projects() -> list[dict[str, Any]]:
    projects = list(
        db.session.execute(
            select(HousingProject)
            .options(selectinload(HousingProject.events))
            .order_by(HousingProject.id)
        ).scalars()
    )
    ids = [p.id for p in projects]
    counts = _stage_counts(ids)
    blockers = open_blockers(ids)
    return [_project_view(p, counts[p.id], blockers.get(p.id, []), False) for p in projects]


def get_project(project_id: int) -> HousingProject:
    project = db.session.get(HousingProject, project_id)
    if project is None:
        raise Problem(404, "project_not_found", "未找到该楼盘项目")
    return project


def project_detail(project_id: int) -> dict[str, Any]:
    project = get_project(project_id)
    counts = _stage_counts([project.id])
    blockers = open_blockers([project.id])
    return _project_view(project, counts[project.id], blockers.get(project.id, []), True)


# ===============================================================================================
# Case timelines and the buyer's view
# ===============================================================================================
def case_timeline(case: HandoverCase) -> list[dict[str, Any]]:
    """All seven unit stages in order: reached (time, note), skipped by an admin, or pending."""
    return _timeline(UNIT_STAGE_CODES, case.events, unit_stage_index(case.stage))


def next_step(case: HandoverCase, blockers: Sequence[HandoverBlocker]) -> dict[str, Any] | None:
    project_is_ready = rules.project_ready(case.project.stage)
    step = rules.guidance(case.stage, case.has_loan, project_is_ready)
    if step is None:
        return None
    following = str(step["stage"])
    waiting: list[str] = []
    if rules.unit_needs_ready_project(following) and not project_is_ready:
        waiting.append(
            "开发企业尚未完成房屋所有权首次登记（项目当前进度："
            f"{rules.label(case.project.stage) or '未开始'}）"
        )
    blocking = [b for b in blockers if rules.blocks_unit_stage(b.kind, following)]
    for blocker in blocking:
        waiting.append(f"{rules.blocker_label(blocker.kind)}（{blocker.authority}）")
    step["blocked"] = bool(waiting)
    step["waiting_for"] = waiting
    if waiting:
        step["guidance"] = (
            str(step["guidance"])
            + "目前需等待以下事项处理完毕："
            + "；".join(waiting)
            + "。处理完成后将继续办理。"
        )
    return step


def _certificate_links(case: HandoverCase) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    certificate = case.certificate
    if certificate is None:
        return None, None
    document = certificate_document(certificate)
    verification_url = document_url(document) if document is not None else None
    cert_view = {
        "id": certificate.id,
        "number": certificate.number,
        "status": certificate.status,
        "issued_at": certificate.issued_at,
        "verification_url": verification_url,
    }
    license_view = None
    license_row = certificate.license
    if license_row is not None:
        license_view = {
            "id": license_row.id,
            "license_id": license_row.license_id,
            "issued_at": license_row.issued_at,
            "path": f"/api/v1/me/licenses/{license_row.id}",
        }
    return cert_view, license_view


def case_options() -> list[Any]:
    return [
        joinedload(HandoverCase.project),
        joinedload(HandoverCase.unit),
        selectinload(HandoverCase.events),
        joinedload(HandoverCase.certificate).joinedload(Certificate.license),
    ]


def buyer_case_view(
    case: HandoverCase, person: Person, blockers: Sequence[HandoverBlocker], subscribed: bool
) -> dict[str, Any]:
    mine = blockers_for_case(case, blockers)
    certificate, e_license = _certificate_links(case)
    step = next_step(case, mine)
    unit = case.unit
    return {
        "id": case.id,
        "role": "buyer" if case.buyer_id == person.id else "co_buyer",
        "project": {
            "id": case.project.id,
            "name": case.project.name,
            "developer": case.project.developer,
            "stage": case.project.stage,
            "stage_label": rules.label(case.project.stage),
            "ready_for_transfer": rules.project_ready(case.project.stage),
        },
        "building": unit.building,
        "room": unit.room,
        "location": unit.location,
        "area_m2": unit.area_m2,
        "contract_number": mask_contract_number(case.contract_number),
        "has_loan": case.has_loan,
        "stage": case.stage,
        "stage_label": rules.label(case.stage),
        "timeline": case_timeline(case),
        "next_step": step,
        "done_message": rules.DONE_TEXT if step is None else None,
        "blockers": [
            {
                **blocker_view(b, with_case=False),
                "blocks_next_step": bool(step)
                and rules.blocks_unit_stage(b.kind, str(step["stage"])),
            }
            for b in mine
        ],
        "certificate": certificate,
        "e_license": e_license,
        "subscribed": subscribed,
        "application": linked_application(case),
        "updated_at": case.updated_at,
    }


def linked_application(case: HandoverCase) -> dict[str, Any] | None:
    """The developer's latest transfer application of the unit (follow.py moves the case)."""
    app = db.session.execute(
        select(Application)
        .where(Application.handover_case_id == case.id, Application.status != "withdrawn")
        .order_by(Application.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if app is None:
        return None
    return {
        "id": app.id,
        "number": app.number,
        "status": app.status,
        "status_label": APPLICATION_STATUS_LABELS[app.status],
        "acceptance_number": app.acceptance_number,
        "promised_date": app.promised_date,
    }


def own_cases_query(person: Person) -> Any:
    return (
        select(HandoverCase)
        .options(*case_options())
        .where((HandoverCase.buyer_id == person.id) | (HandoverCase.co_buyer_id == person.id))
        .order_by(HandoverCase.id)
    )


def subscribed_ids(account: WechatAccount, case_ids: Sequence[int]) -> set[int]:
    if not case_ids:
        return set()
    return set(
        db.session.execute(
            select(HandoverSubscription.case_id).where(
                HandoverSubscription.account_id == account.id,
                HandoverSubscription.case_id.in_(case_ids),
            )
        ).scalars()
    )


def staff_case_view(case: HandoverCase, blockers: Sequence[HandoverBlocker] | None = None) -> dict:
    if blockers is None:
        blockers = open_blockers([case.project_id]).get(case.project_id, [])
    mine = blockers_for_case(case, blockers)
    following = next_unit_stage(case.stage)
    return {
        "id": case.id,
        "project_id": case.project_id,
        "project_name": case.project.name,
        "unit_id": case.unit_id,
        "unit_number": case.unit.unit_number,
        "building": case.unit.building,
        "room": case.unit.room,
        "contract_number": case.contract_number,
        "buyer_name": mask_name(case.buyer.name),
        "co_buyer_name": mask_name(case.co_buyer.name) if case.co_buyer else None,
        "has_loan": case.has_loan,
        "stage": case.stage,
        "stage_label": rules.label(case.stage),
        "next_stage": following,
        "next_stage_label": rules.label(following),
        "version": case.version,
        "certificate_id": case.certificate_id,
        "open_blockers": [blocker_view(b) for b in mine],
        "updated_at": case.updated_at,
    }


def staff_detail(case_id: int) -> dict[str, Any]:
    case = load_case(case_id)
    view = staff_case_view(case)
    view["timeline"] = case_timeline(case)
    return view


def load_case(case_id: int) -> HandoverCase:
    case = (
        db.session.execute(
            select(HandoverCase)
            .options(
                *case_options(),
                joinedload(HandoverCase.buyer),
                joinedload(HandoverCase.co_buyer),
            )
            .where(HandoverCase.id == case_id)
            .execution_options(populate_existing=True)
        )
        .unique()
        .scalar_one_or_none()
    )
    if case is None:
        raise Problem(404, "case_not_found", "未找到该办件")
    return case
