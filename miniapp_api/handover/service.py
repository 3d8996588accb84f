"""交房即交证 domain functions: read models for the public and buyers, stage moves for staff.

Plain functions over the models; they never touch `request`. Functions that change data end
with one commit (or a rollback and a Problem), so a failed change leaves nothing behind.
Rules (what may move where, what blocks what) live in `rules.py` and docs/handover.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..database import db
from ..domain import audit
from ..domain.documents import certificate_document, document_url, issue_certificate
from ..domain.masking import mask_contract_number, mask_name
from ..domain.stages import (
    BLOCKER_KINDS,
    PROJECT_STAGE_CODES,
    UNIT_STAGE_CODES,
    next_unit_stage,
    unit_stage_index,
)
from ..errors import Problem
from ..models import (
    Certificate,
    HandoverBlocker,
    HandoverCase,
    HandoverStageEvent,
    HandoverSubscription,
    HousingProject,
    Person,
    ProjectStageEvent,
    PropertyRight,
    RightHolder,
    StaffUser,
    WechatAccount,
)
from . import notifications, rules

MAX_BULK_ITEMS = 500


def utcnow() -> datetime:
    return datetime.now(UTC)


def actor_of(staff: StaffUser) -> str:
    return f"staff:{staff.username}"[:64]


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


def _case_options() -> list[Any]:
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
        "updated_at": case.updated_at,
    }


def _own_cases_query(person: Person) -> Any:
    return (
        select(HandoverCase)
        .options(*_case_options())
        .where((HandoverCase.buyer_id == person.id) | (HandoverCase.co_buyer_id == person.id))
        .order_by(HandoverCase.id)
    )


def _subscribed_ids(account: WechatAccount, case_ids: Sequence[int]) -> set[int]:
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


def buyer_cases(person: Person, account: WechatAccount) -> list[dict[str, Any]]:
    cases = list(db.session.execute(_own_cases_query(person)).unique().scalars())
    blockers = open_blockers(sorted({c.project_id for c in cases}))
    subscribed = _subscribed_ids(account, [c.id for c in cases])
    views = [
        buyer_case_view(c, person, blockers.get(c.project_id, []), c.id in subscribed)
        for c in cases
    ]
    audit.record(
        "handover.view_own",
        object_type="person",
        object_id=person.id,
        detail={"cases": [c.id for c in cases]},
    )
    db.session.commit()
    return views


def own_case(person: Person, case_id: int) -> HandoverCase:
    """The case if `person` is its buyer or co-buyer; 404 otherwise (no existence oracle)."""
    case = (
        db.session.execute(_own_cases_query(person).where(HandoverCase.id == case_id))
        .unique()
        .scalar_one_or_none()
    )
    if case is None:
        raise Problem(404, "case_not_found", "未找到您的购房办理记录")
    return case


def buyer_case(person: Person, account: WechatAccount, case_id: int) -> dict[str, Any]:
    case = own_case(person, case_id)
    blockers = open_blockers([case.project_id]).get(case.project_id, [])
    view = buyer_case_view(case, person, blockers, bool(_subscribed_ids(account, [case.id])))
    audit.record("handover.view_own", object_type="handover_case", object_id=case.id)
    db.session.commit()
    return view


def subscribe(person: Person, account: WechatAccount, case_id: int) -> tuple[dict[str, Any], bool]:
    """Opt in to WeChat messages about an own case. Returns (view, created)."""
    case = own_case(person, case_id)
    existing = db.session.execute(
        select(HandoverSubscription).where(
            HandoverSubscription.case_id == case.id, HandoverSubscription.account_id == account.id
        )
    ).scalar_one_or_none()
    if existing is not None:
        return {"case_id": case.id, "subscribed": True, "since": existing.created_at}, False
    subscription = HandoverSubscription(case_id=case.id, account_id=account.id)
    db.session.add(subscription)
    audit.record("handover.subscribe", object_type="handover_case", object_id=case.id)
    try:
        db.session.commit()
    except IntegrityError:  # the same request twice at once: the other one won
        db.session.rollback()
        return {"case_id": case.id, "subscribed": True, "since": utcnow()}, False
    return {"case_id": case.id, "subscribed": True, "since": subscription.created_at}, True


def unsubscribe(person: Person, account: WechatAccount, case_id: int) -> None:
    case = own_case(person, case_id)
    existing = db.session.execute(
        select(HandoverSubscription).where(
            HandoverSubscription.case_id == case.id, HandoverSubscription.account_id == account.id
        )
    ).scalar_one_or_none()
    if existing is not None:
        db.session.delete(existing)
        audit.record("handover.unsubscribe", object_type="handover_case", object_id=case.id)
        db.session.commit()


# ===============================================================================================
# Staff: lists and views
# ===============================================================================================
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


def list_cases(
    *,
    project_id: int | None,
    stage: str | None,
    contract_number: str | None,
    page: int,
    per_page: int,
) -> dict[str, Any]:
    conditions = []
    if project_id is not None:
        conditions.append(HandoverCase.project_id == project_id)
    if stage:
        conditions.append(HandoverCase.stage == stage)
    if contract_number:
        conditions.append(HandoverCase.contract_number.startswith(contract_number, autoescape=True))
    total = db.session.execute(select(func.count(HandoverCase.id)).where(*conditions)).scalar_one()
    cases = list(
        db.session.execute(
            select(HandoverCase)
            .options(
                joinedload(HandoverCase.project),
                joinedload(HandoverCase.unit),
                joinedload(HandoverCase.buyer),
                joinedload(HandoverCase.co_buyer),
            )
            .where(*conditions)
            .order_by(HandoverCase.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).scalars()
    )
    blockers = open_blockers(sorted({c.project_id for c in cases}))
    items = [staff_case_view(c, blockers.get(c.project_id, [])) for c in cases]
    audit.record(
        "handover.cases.list",
        object_type="handover_case",
        detail={
            "project_id": project_id,
            "stage": stage,
            "contract_filter": bool(contract_number),
            "page": page,
            "returned": len(items),
        },
    )
    db.session.commit()
    return {"page": page, "per_page": per_page, "total": total, "items": items}


def _staff_detail(case_id: int) -> dict[str, Any]:
    case = _load_case(case_id)
    view = staff_case_view(case)
    view["timeline"] = case_timeline(case)
    return view


def staff_case_detail(case_id: int) -> dict[str, Any]:
    view = _staff_detail(case_id)
    audit.record("handover.case.view", object_type="handover_case", object_id=case_id)
    db.session.commit()
    return view


def _load_case(case_id: int) -> HandoverCase:
    case = (
        db.session.execute(
            select(HandoverCase)
            .options(
                *_case_options(),
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


# ===============================================================================================
# Staff: moving cases
# ===============================================================================================
@dataclass
class Move:
    """One requested case move, validated before anything is written."""

    case: HandoverCase
    target: str
    note: str | None
    reason: str | None
    override: bool


def _conflict(entity: str, current: int) -> Problem:
    return Problem(
        409,
        "version_conflict",
        f"该{entity}已被他人修改（当前版本 {current}），请刷新后重试",
        current_version=current,
    )


def check_case_move(
    case: HandoverCase,
    target: str,
    version: int,
    staff: StaffUser,
    reason: str | None,
    blockers: Sequence[HandoverBlocker],
) -> bool:
    """Raise a Problem when `case` may not move to `target`; return True for an admin override."""
    if target not in UNIT_STAGE_CODES:
        raise Problem(422, "unknown_stage", "未知的办理环节")
    if version != case.version:
        raise _conflict("办件", case.version)
    current, wanted = unit_stage_index(case.stage), unit_stage_index(target)
    if wanted == current:
        raise Problem(409, "stage_unchanged", f"该办件已处于“{rules.label(target)}”环节")
    override = wanted != current + 1
    if override:
        if staff.role != "admin":
            raise Problem(
                403,
                "admin_required",
                "办理环节只能按顺序逐步推进；跳过或退回环节需由管理员操作并说明理由",
            )
        if not (reason and reason.strip()):
            raise Problem(422, "reason_required", "跳过或退回办理环节必须填写理由")
    if wanted < current:
        floor = rules.case_floor(case.stage, case.certificate_id is not None)
        if wanted < unit_stage_index(floor):
            raise Problem(
                409,
                "cannot_go_back",
                f"该办件已{rules.label(floor)}，不能退回到“{rules.label(target)}”；"
                "如需变更请办理更正或注销登记",
            )
        return override
    if rules.unit_needs_ready_project(target) and not rules.project_ready(case.project.stage):
        raise Problem(
            409,
            "project_not_ready",
            "该项目尚未完成房屋所有权首次登记，不能办理转移登记及之后的环节",
        )
    blocking = [
        b for b in blockers_for_case(case, blockers) if rules.blocks_unit_stage(b.kind, target)
    ]
    if blocking:
        names = "、".join(sorted({rules.blocker_label(b.kind) for b in blocking}))
        raise Problem(
            409,
            "case_blocked",
            f"存在未解除的阻碍事项（{names}），不能进入“{rules.label(target)}”环节",
            blockers=[b.id for b in blocking],
        )
    return override


def _ensure_right(case: HandoverCase, when: datetime) -> PropertyRight:
    """At 登簿: the buyers' right on the unit (co-buyers 共同共有), unless already there."""
    wanted = [case.buyer_id] + ([case.co_buyer_id] if case.co_buyer_id else [])
    rights = db.session.execute(
        select(PropertyRight)
        .options(selectinload(PropertyRight.holders))
        .where(PropertyRight.unit_id == case.unit_id, PropertyRight.current.is_(True))
    ).scalars()
    for right in rights:
        if sorted(h.person_id for h in right.holders) == sorted(wanted):
            return right
    right = PropertyRight(
        unit_id=case.unit_id,
        co_ownership="joint" if len(wanted) > 1 else "sole",
        registered_at=when,
        current=True,
    )
    right.holders = [
        RightHolder(person_id=person_id, position=position)
        for position, person_id in enumerate(wanted)
    ]
    db.session.add(right)
    db.session.flush()
    return right


def _ensure_certificate(case: HandoverCase, right: PropertyRight, when: datetime) -> Certificate:
    """At 缮证发证: the property certificate, its e-license and signed token (one code path).

    Returns the case's certificate (existing or newly issued); the caller links it to the case.
    """
    if case.certificate is not None:
        return case.certificate
    existing = db.session.execute(
        select(Certificate)
        .where(
            Certificate.right_id == right.id,
            Certificate.kind == "property",
            Certificate.status == "valid",
        )
        .limit(1)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    return issue_certificate(right, kind="property", issued_at=when)


def _apply_move(move: Move, staff: StaffUser, when: datetime) -> dict[str, Any]:
    case = move.case
    before = {"stage": case.stage, "version": case.version}
    index = unit_stage_index(move.target)
    certificate = None
    # Registry acts of the stages reached (also when an admin skips over them). They are written
    # before the case row so the case is updated once (one version step) in the flush below.
    if index > unit_stage_index(case.stage) and index >= unit_stage_index(rules.REGISTERED):
        right = _ensure_right(case, when)
        if index >= unit_stage_index(rules.CERTIFICATE_ISSUED):
            certificate = _ensure_certificate(case, right, when)
    case.stage = move.target
    case.updated_at = when
    if certificate is not None and case.certificate_id != certificate.id:
        case.certificate = certificate
    db.session.add(
        HandoverStageEvent(
            case=case,
            stage=move.target,
            reached_at=when,
            note=move.note or (move.reason if move.override else None),
            actor=actor_of(staff),
        )
    )
    db.session.flush()  # the version check happens here (StaleDataError on a lost race)
    after = {"stage": case.stage, "version": case.version}
    audit.record(
        "handover.case.advance",
        object_type="handover_case",
        object_id=case.id,
        reason=move.reason or move.note,
        detail={
            "before": before,
            "after": {**after, "certificate_id": case.certificate_id},
            "override": move.override,
        },
    )
    notifications.enqueue_case_stage(case, when, move.note)
    return after


def _commit_or_conflict(entity: str, current: int | None = None) -> None:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise _conflict(entity, current or 0) from None
    except IntegrityError:
        db.session.rollback()
        raise Problem(409, "conflict", "数据已被他人同时修改，请刷新后重试") from None


def advance_case(
    case_id: int,
    *,
    stage: str,
    version: int,
    staff: StaffUser,
    note: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    case = _load_case(case_id)
    blockers = open_blockers([case.project_id]).get(case.project_id, [])
    override = check_case_move(case, stage, version, staff, reason or note, blockers)
    move = Move(case, stage, note, reason or (note if override else None), override)
    try:
        _apply_move(move, staff, utcnow())
    except StaleDataError:
        db.session.rollback()
        current = db.session.execute(
            select(HandoverCase.version).where(HandoverCase.id == case_id)
        ).scalar_one()
        raise _conflict("办件", current) from None
    _commit_or_conflict("办件", version + 1)
    return _staff_detail(case_id)


def advance_cases(items: Sequence[dict[str, Any]], staff: StaffUser) -> dict[str, Any]:
    """Move many cases in one transaction: all of them, or none and every failure listed."""
    if len(items) > MAX_BULK_ITEMS:
        raise Problem(422, "too_many_items", f"一次最多提交 {MAX_BULK_ITEMS} 个办件")
    failures: list[dict[str, Any]] = []
    moves: list[Move] = []
    seen: set[int] = set()
    cases = {
        c.id: c
        for c in db.session.execute(
            select(HandoverCase)
            .options(joinedload(HandoverCase.project), joinedload(HandoverCase.unit))
            .where(HandoverCase.id.in_([int(i["id"]) for i in items]))
            .execution_options(populate_existing=True)
        )
        .unique()
        .scalars()
    }
    blockers = open_blockers(sorted({c.project_id for c in cases.values()}))
    for index, item in enumerate(items):
        case_id = int(item["id"])
        try:
            if case_id in seen:
                raise Problem(422, "duplicate_item", "同一批次中该办件出现了多次")
            seen.add(case_id)
            case = cases.get(case_id)
            if case is None:
                raise Problem(404, "case_not_found", "未找到该办件")
            reason = item.get("reason") or item.get("note")
            override = check_case_move(
                case,
                item["stage"],
                item["version"],
                staff,
                reason,
                blockers.get(case.project_id, []),
            )
            moves.append(
                Move(case, item["stage"], item.get("note"), reason if override else None, override)
            )
        except Problem as problem:
            failures.append(_failure(index, case_id, problem))
    if failures:
        db.session.rollback()
        raise _bulk_failed(failures)
    when = utcnow()
    results = []
    for index, move in enumerate(moves):
        try:
            results.append({"id": move.case.id, **_apply_move(move, staff, when)})
        except StaleDataError:
            db.session.rollback()
            raise _bulk_failed(
                [_failure(index, move.case.id, _conflict("办件", move.case.version))]
            ) from None
    audit.record(
        "handover.cases.bulk_advance",
        object_type="handover_case",
        detail={"count": len(results), "ids": [r["id"] for r in results][:100]},
    )
    _commit_or_conflict("办件")
    return {"count": len(results), "items": results}


def _failure(index: int, case_id: int, problem: Problem) -> dict[str, Any]:
    return {
        "index": index,
        "id": case_id,
        "status": problem.status,
        "code": problem.code,
        "detail": problem.detail,
    }


def _bulk_failed(failures: list[dict[str, Any]]) -> Problem:
    conflict_only = all(f["status"] == 409 for f in failures)
    return Problem(
        409 if conflict_only else 422,
        "bulk_advance_failed",
        f"批量推进未执行：{len(failures)} 个办件不符合条件，所有办件均未改动",
        failures=failures,
    )


# ===============================================================================================
# Staff: project stages
# ===============================================================================================
def advance_project(
    project_id: int,
    *,
    stage: str,
    version: int,
    staff: StaffUser,
    note: str | None = None,
    reason: str | None = None,
    skipped: bool = False,
    authority: str | None = None,
) -> dict[str, Any]:
    project = db.session.execute(
        select(HousingProject)
        .options(selectinload(HousingProject.events))
        .where(HousingProject.id == project_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if project is None:
        raise Problem(404, "project_not_found", "未找到该楼盘项目")
    if version != project.version:
        raise _conflict("项目", project.version)
    if stage not in PROJECT_STAGE_CODES:
        raise Problem(422, "unknown_stage", "未知的项目办理环节")
    current = rules.project_stage_index(project.stage)
    wanted = rules.project_stage_index(stage)
    if wanted == current:
        raise Problem(409, "stage_unchanged", f"该项目已处于“{rules.label(stage)}”环节")
    # In order means the next stage. The optional 在建建筑物抵押 may be passed without one:
    # {stage: construction_mortgage, skipped: true}, or straight to the stage after it with
    # skipped: true. Either way it gets no event, and the timeline shows it as skipped.
    passes_optional = (
        wanted == current + 2 and PROJECT_STAGE_CODES[current + 1] in rules.OPTIONAL_PROJECT_STAGES
    )
    if skipped and not (
        (stage in rules.OPTIONAL_PROJECT_STAGES and wanted == current + 1) or passes_optional
    ):
        raise Problem(
            422,
            "not_skippable",
            "只有“在建建筑物抵押”环节可以标记为跳过（项目未设立在建建筑物抵押时）",
        )
    natural = wanted == current + 1 or (skipped and passes_optional)
    override = not natural
    reason = reason or (note if override else None)
    if override:
        if staff.role != "admin":
            raise Problem(
                403,
                "admin_required",
                "项目环节只能按顺序逐步推进（无在建建筑物抵押的可标记跳过）；"
                "跳过或退回环节需由管理员操作并说明理由",
            )
        if not (reason and reason.strip()):
            raise Problem(422, "reason_required", "跳过或退回办理环节必须填写理由")
    if wanted < current:
        # Going back below the first registration is impossible once units were transferred.
        if wanted < rules.project_stage_index(rules.PROJECT_READY_STAGE):
            moved = db.session.execute(
                select(func.count(HandoverCase.id)).where(
                    HandoverCase.project_id == project.id,
                    HandoverCase.stage.in_(
                        UNIT_STAGE_CODES[unit_stage_index(rules.PROJECT_GATE_STAGE) :]
                    ),
                )
            ).scalar_one()
            if moved:
                raise Problem(
                    409,
                    "cannot_go_back",
                    f"已有 {moved} 套房屋受理转移登记，项目不能退回到首次登记之前",
                )
    else:
        blocking = [
            b
            for b in open_blockers([project.id]).get(project.id, [])
            if b.case_id is None and rules.blocks_project_stage(b.kind, stage)
        ]
        if blocking:
            names = "、".join(sorted({rules.blocker_label(b.kind) for b in blocking}))
            raise Problem(
                409,
                "project_blocked",
                f"存在未解除的阻碍事项（{names}），项目不能进入“{rules.label(stage)}”环节",
                blockers=[b.id for b in blocking],
            )
    when = utcnow()
    before = {"stage": project.stage, "version": project.version}
    project.stage = stage
    if not (skipped and stage in rules.OPTIONAL_PROJECT_STAGES):
        db.session.add(
            ProjectStageEvent(
                project=project,
                stage=stage,
                reached_at=when,
                note=note or (reason if override else None),
                actor=actor_of(staff),
            )
        )
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise _conflict("项目", version + 1) from None
    opened = None
    if stage == "construction_mortgage" and not skipped and wanted > current:
        # A registered construction mortgage must be released before the first registration.
        opened = HandoverBlocker(
            project_id=project.id,
            kind="construction_mortgage_unreleased",
            authority=(authority or "在建工程抵押权人").strip()[:100],
            reason="已办理在建建筑物抵押登记，须在房屋所有权首次登记前解除抵押",
            created_at=when,
        )
        db.session.add(opened)
        db.session.flush()
    audit.record(
        "handover.project.advance",
        object_type="housing_project",
        object_id=project.id,
        reason=reason or note,
        detail={
            "before": before,
            "after": {"stage": project.stage, "version": project.version},
            "skipped": skipped,
            "override": override,
            "opened_blocker": opened.id if opened else None,
        },
    )
    notifications.enqueue_project_stage(project, when, skipped, note)
    if opened is not None:
        notifications.enqueue_blocker(opened, False, when)
    _commit_or_conflict("项目", version + 1)
    return project_detail(project_id)


# ===============================================================================================
# Staff: blockers
# ===============================================================================================
def list_blockers(project_id: int, include_resolved: bool) -> list[dict[str, Any]]:
    get_project(project_id)
    query = select(HandoverBlocker).where(HandoverBlocker.project_id == project_id)
    if not include_resolved:
        query = query.where(HandoverBlocker.resolved_at.is_(None))
    rows = db.session.execute(query.order_by(HandoverBlocker.id)).scalars()
    return [blocker_view(b) for b in rows]


def add_blocker(
    project_id: int,
    *,
    kind: str,
    authority: str,
    reason: str,
    staff: StaffUser,
    case_id: int | None = None,
) -> dict[str, Any]:
    project = get_project(project_id)
    if kind not in BLOCKER_KINDS:
        raise Problem(422, "unknown_blocker_kind", "未知的阻碍事项类型")
    if case_id is not None:
        case = db.session.get(HandoverCase, case_id)
        if case is None or case.project_id != project.id:
            raise Problem(
                422,
                "case_not_in_project",
                "该办件不属于此项目",
                errors={"case_id": ["该办件不属于此项目"]},
            )
    when = utcnow()
    blocker = HandoverBlocker(
        project_id=project.id,
        case_id=case_id,
        kind=kind,
        authority=authority.strip(),
        reason=reason.strip(),
        created_at=when,
    )
    db.session.add(blocker)
    db.session.flush()
    audit.record(
        "handover.blocker.add",
        object_type="handover_blocker",
        object_id=blocker.id,
        reason=blocker.reason,
        detail={
            "before": None,
            "after": {
                "project_id": project.id,
                "case_id": case_id,
                "kind": kind,
                "authority": blocker.authority,
                "open": True,
            },
        },
    )
    notifications.enqueue_blocker(blocker, False, when)
    db.session.commit()
    return blocker_view(blocker)


def resolve_blocker(blocker_id: int, *, resolution: str, staff: StaffUser) -> dict[str, Any]:
    blocker = db.session.get(HandoverBlocker, blocker_id)
    if blocker is None:
        raise Problem(404, "blocker_not_found", "未找到该阻碍事项")
    if blocker.resolved_at is not None:
        raise Problem(409, "already_resolved", "该阻碍事项已解除")
    when = utcnow()
    # Compare-and-set so two clerks resolving at once cannot both succeed.
    result = db.session.execute(
        update(HandoverBlocker)
        .where(HandoverBlocker.id == blocker.id, HandoverBlocker.resolved_at.is_(None))
        .values(resolved_at=when, resolution=resolution.strip())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Problem(409, "already_resolved", "该阻碍事项已解除")
    db.session.refresh(blocker)
    audit.record(
        "handover.blocker.resolve",
        object_type="handover_blocker",
        object_id=blocker.id,
        reason=blocker.resolution,
        detail={
            "before": {"open": True, "kind": blocker.kind},
            "after": {"open": False, "kind": blocker.kind},
        },
    )
    notifications.enqueue_blocker(blocker, True, when)
    db.session.commit()
    return blocker_view(blocker)
