"""交房即交证 blockers (阻碍事项): staff list, add and resolve them; buyers are told."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from .. import unit_of_work
from ..database import db
from ..domain import audit
from ..domain.stages import (
    BLOCKER_KINDS,
)
from ..errors import Problem
from ..models import (
    HandoverBlocker,
    HandoverCase,
    StaffUser,
)
from . import notifications
from .read_models import blocker_view, get_project, utcnow


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
    unit_of_work.done()
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
    unit_of_work.done()
    return blocker_view(blocker)
