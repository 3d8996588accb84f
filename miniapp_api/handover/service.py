"""交房即交证 stage moves for staff: unit cases one by one or in bulk, project stages.

Plain functions over the models; they never touch `request`. A move is checked completely
before anything is written; the unit and the project share the checks (version, unchanged
stage, override by an admin with a reason, open blockers). Functions that change data flush;
the request edge commits (unit_of_work.py), so a failed change leaves nothing behind.
Rules (what may move where, what blocks what) live in `rules.py` and docs/handover.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from .. import unit_of_work
from ..database import db
from ..domain import audit
from ..domain.documents import issue_certificate
from ..domain.stages import (
    PROJECT_STAGE_CODES,
    UNIT_STAGE_CODES,
    unit_stage_index,
)
from ..errors import Problem
from ..models import (
    Certificate,
    HandoverBlocker,
    HandoverCase,
    HandoverStageEvent,
    HousingProject,
    ProjectStageEvent,
    PropertyRight,
    RightHolder,
    StaffUser,
)
from . import linked, notifications, rules
from .read_models import (
    blockers_for_case,
    load_case,
    open_blockers,
    project_detail,
    staff_detail,
    utcnow,
)

MAX_BULK_ITEMS = 500


def actor_of(staff: StaffUser) -> str:
    return f"staff:{staff.username}"[:64]


# === Staff: moving cases ======================================================================
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


# --- checks shared by unit and project moves ---------------------------------------------------
def _check_version(entity: str, version: int, current_version: int) -> None:
    if version != current_version:
        raise _conflict(entity, current_version)


def _check_changed(subject: str, wanted: int, current: int, target: str) -> None:
    if wanted == current:
        raise Problem(409, "stage_unchanged", f"{subject}已处于“{rules.label(target)}”环节")


def _check_override(staff: StaffUser, reason: str | None, in_order_rule: str) -> None:
    """A move out of order: only an admin, and only with a reason."""
    if staff.role != "admin":
        raise Problem(
            403, "admin_required", f"{in_order_rule}；跳过或退回环节需由管理员操作并说明理由"
        )
    if not (reason and reason.strip()):
        raise Problem(422, "reason_required", "跳过或退回办理环节必须填写理由")


def _check_not_blocked(
    blocking: Sequence[HandoverBlocker], code: str, subject: str, target: str
) -> None:
    if blocking:
        names = "、".join(sorted({rules.blocker_label(b.kind) for b in blocking}))
        raise Problem(
            409,
            code,
            f"存在未解除的阻碍事项（{names}），{subject}不能进入“{rules.label(target)}”环节",
            blockers=[b.id for b in blocking],
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
    _check_version("办件", version, case.version)
    current, wanted = unit_stage_index(case.stage), unit_stage_index(target)
    _check_changed("该办件", wanted, current, target)
    linked.check_manual_move(case, target)  # an open transfer application moves d, e, f
    override = wanted != current + 1
    if override:
        _check_override(staff, reason, "办理环节只能按顺序逐步推进")
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
    _check_not_blocked(blocking, "case_blocked", "", target)
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


def _apply_move(move: Move, actor: str, when: datetime) -> dict[str, Any]:
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
            actor=actor,
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


def _flush_or_conflict(entity: str, current: int | None = None) -> None:
    try:
        unit_of_work.done()
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
    case = load_case(case_id)
    blockers = open_blockers([case.project_id]).get(case.project_id, [])
    override = check_case_move(case, stage, version, staff, reason or note, blockers)
    move = Move(case, stage, note, reason or (note if override else None), override)
    try:
        _apply_move(move, actor_of(staff), utcnow())
    except StaleDataError:
        db.session.rollback()
        current = db.session.execute(
            select(HandoverCase.version).where(HandoverCase.id == case_id)
        ).scalar_one()
        raise _conflict("办件", current) from None
    _flush_or_conflict("办件", version + 1)
    return staff_detail(case_id)


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
            results.append({"id": move.case.id, **_apply_move(move, actor_of(staff), when)})
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
    _flush_or_conflict("办件")
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
def check_project_move(
    project: HousingProject,
    stage: str,
    version: int,
    staff: StaffUser,
    reason: str | None,
    note: str | None,
    skipped: bool,
) -> tuple[bool, str | None]:
    """Raise a Problem when `project` may not move to `stage`; return (override, reason)."""
    _check_version("项目", version, project.version)
    if stage not in PROJECT_STAGE_CODES:
        raise Problem(422, "unknown_stage", "未知的项目办理环节")
    current = rules.project_stage_index(project.stage)
    wanted = rules.project_stage_index(stage)
    _check_changed("该项目", wanted, current, stage)
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
        _check_override(staff, reason, "项目环节只能按顺序逐步推进（无在建建筑物抵押的可标记跳过）")
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
        _check_not_blocked(blocking, "project_blocked", "项目", stage)
    return override, reason


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
    override, reason = check_project_move(project, stage, version, staff, reason, note, skipped)
    current = rules.project_stage_index(project.stage)
    wanted = rules.project_stage_index(stage)
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
    _flush_or_conflict("项目", version + 1)
    return project_detail(project_id)
