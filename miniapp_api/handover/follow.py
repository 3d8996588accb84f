"""交房即交证 and 一窗办事 as one story: a developer's transfer of a unit that has a handover
case (``Application.handover_case_id``) moves the case, in the application's transaction.

- accepted (受理) → the case reaches 转移登记受理 ``transfer_application``;
- registered (登簿) → 登簿 ``registered`` (the application already wrote the buyers' right:
  the case finds it, it does not write a second one);
- certified (缮证) → 缮证发证 ``certificate_issued`` (the case links the certificate the
  application issued).

Earlier stages the case has not reached are passed over (the application's own tracks stand
for 网签备案 and 契税); a case already at or past the stage is left alone. The project gate and
open blockers still hold: they refuse the application's step (409 ``project_not_ready`` /
``case_blocked``), so the application cannot move past what the case may do. While such an
application is open, staff cannot move the case into these stages by hand (409
``case_follows_application``): the application is the one process that moves them.
"""

from __future__ import annotations

from flask import Flask

from ..domain import hooks
from ..domain.stages import unit_stage_index
from ..errors import Problem
from ..models import Application
from . import rules
from .linked import STAGE_OF_STATUS
from .read_models import blockers_for_case, load_case, open_blockers, utcnow
from .service import Move, _apply_move, _check_not_blocked  # one set of move rules


def init_app(app: Flask) -> None:
    """Listen to the application events through the app's ``domain/hooks.py`` registry (the
    names ``applications/hooks.py`` emits), so handover imports nothing of applications
    (which reaches handover through partners: a cycle)."""
    for status in STAGE_OF_STATUS:
        hooks.listen(app, f"application.status.{status}", follow_application)
    hooks.listen(app, "application.view", _link_case)


def _link_case(app: Application, view: dict) -> None:
    if app.handover_case_id is not None:
        view["handover_case_id"] = app.handover_case_id


def follow_application(app: Application, previous: str | None) -> None:
    """Listener: move the application's handover case to the stage of its new status."""
    target = STAGE_OF_STATUS.get(app.status)
    if target is None or app.kind != "transfer" or app.handover_case_id is None:
        return
    case = load_case(app.handover_case_id)
    if unit_stage_index(case.stage) >= unit_stage_index(target):
        return
    if rules.unit_needs_ready_project(target) and not rules.project_ready(case.project.stage):
        raise Problem(
            409,
            "project_not_ready",
            "该项目尚未完成房屋所有权首次登记，不能办理转移登记及之后的环节",
        )
    blockers = open_blockers([case.project_id]).get(case.project_id, [])
    blocking = [
        b for b in blockers_for_case(case, blockers) if rules.blocks_unit_stage(b.kind, target)
    ]
    _check_not_blocked(blocking, "case_blocked", "该房屋", target)
    note = f"转移登记申请 {app.acceptance_number or app.number}"
    _apply_move(Move(case, target, note, None, False), f"application:{app.number}", utcnow())
