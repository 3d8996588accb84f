"""The utilities' tasks: created by application events, answered by the utility (no request
access here; callers commit).

- ``check`` (协办核验) when the application is accepted: ``ok`` or ``arrears``;
- ``transfer`` (过户) when it is registered (登簿): ``completed`` with the new account number or
  ``failed`` with a reason.

A utility (partner of kind ``utility``) sees only its own service's tasks and only the minimum
it needs (PIPL): address and unit number, old and new holders' names, the buyers' phone if
given, the old account number. Never an ID number, masked or not.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from ..applications import events, workdays
from ..database import db
from ..domain import audit, pii
from ..errors import Problem
from ..labels import UTILITY_SERVICE_LABELS as SERVICE_LABELS
from ..labels import UTILITY_SERVICE_NAMES as SERVICE_NAMES
from ..labels import UTILITY_STEP_LABELS as STEP_LABELS
from ..models import (
    Application,
    NotificationOutbox,
    Partner,
    UtilityTask,
    WebhookDelivery,
    WebhookEndpoint,
)
from ..models.utilities import UTILITY_RESULTS, UTILITY_SERVICES
from . import rollup

DEFAULT_ANSWER_DAYS = 2
# Until 登簿 the buyer (or the filer, or the window) may change the choice.
CHANGEABLE = ("awaiting_confirmation", "submitted", "accepted", "reviewed", "correction_requested")


def now() -> datetime:
    """The current time (one place for tests to move the clock)."""
    return events.now_utc()


def today() -> date:
    return events.china_date(now())


def answer_days() -> int:
    return int(current_app.config.get("UTILITY_ANSWER_WORKING_DAYS", DEFAULT_ANSWER_DAYS))


# --- the choice on the application -------------------------------------------------------------
def choices(app: Application) -> list[dict[str, Any]]:
    """The services opted in, in the order water, power, gas."""
    by_service = {c["service"]: c for c in (app.utilities or [])}
    return [
        {"service": s, "account_number": by_service[s].get("account_number")}
        for s in UTILITY_SERVICES
        if s in by_service
    ]


def _normalise(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    by_service = {}
    for item in items:
        number = (item.get("account_number") or "").strip() or None
        by_service[item["service"]] = {"service": item["service"], "account_number": number}
    return [by_service[s] for s in UTILITY_SERVICES if s in by_service]


def check_filing(app: Application, previous: str | None = None) -> None:
    """Listener for ``filed``: utilities go with transfers only; store them normalised."""
    if not app.utilities:
        app.utilities = None
        return
    if app.kind != "transfer":
        raise Problem(
            422,
            "validation_failed",
            "水电气联动过户只能随转移登记申请",
            errors={"utilities": ["仅转移登记可以选择"]},
        )
    app.utilities = _normalise(app.utilities)
    rollup.on_choice(app, set(), {c["service"] for c in app.utilities})


def change_choices(app: Application, items: list[dict[str, Any]], actor: str) -> Application:
    """Replace the opted-in services (until 登簿). After acceptance: a new service gets its
    check at once, a dropped one's tasks are cancelled, a changed old account is checked again."""
    if app.kind != "transfer":
        raise Problem(409, "utilities_not_applicable", "只有转移登记可以办理水电气联动过户")
    if app.status not in CHANGEABLE:
        raise Problem(
            409, "utilities_locked", "该申请已登簿或已结束，水电气联动过户的选择不能再更改"
        )
    before = {c["service"]: c for c in choices(app)}
    after = _normalise(items)
    app.utilities = after or None
    rollup.on_choice(app, set(before), {c["service"] for c in after})
    app.updated_at = now()
    if app.accepted_at is not None:
        wanted = {c["service"]: c for c in after}
        live = {t.service: t for t in live_tasks(app) if t.step == "check"}
        for service, task in live.items():
            if service not in wanted:
                cancel(task, "已取消联动过户")
            elif wanted[service]["account_number"] != task.old_account_number:
                cancel(task, "原户号已更改，重新核验")
        db.session.flush()
        for choice in after:
            ensure_task(app, choice["service"], "check", choice["account_number"])
    audit.record(
        "application.utilities.change",
        object_type="application",
        object_id=app.id,
        detail={
            "before": sorted(before),
            "after": [c["service"] for c in after],
            "actor": actor,
        },
    )
    db.session.flush()
    return app


# --- creating and cancelling tasks --------------------------------------------------------------
def live_tasks(app: Application) -> list[UtilityTask]:
    return list(
        db.session.execute(
            select(UtilityTask)
            .where(UtilityTask.application_id == app.id, UtilityTask.live_key.is_not(None))
            .order_by(UtilityTask.id)
        ).scalars()
    )


def ensure_task(
    app: Application, service: str, step: str, account_number: str | None
) -> UtilityTask | None:
    """Create the live task for (application, service, step) unless it exists. Returns the
    new task, or None when one was there already (e.g. accepted again after a correction)."""
    key = f"{app.id}:{service}:{step}"
    if db.session.execute(select(UtilityTask.id).where(UtilityTask.live_key == key)).first():
        return None
    when = now()
    task = UtilityTask(
        application_id=app.id,
        service=service,
        step=step,
        status="pending",
        live_key=key,
        old_account_number=account_number,
        created_at=when,
        due_date=workdays.add_working_days(events.china_date(when), answer_days()),
    )
    task.application = app
    db.session.add(task)
    db.session.flush()
    audit.record(
        f"utility.task.{step}",
        object_type="utility_task",
        object_id=task.id,
        detail={"application_id": app.id, "service": service},
    )
    enqueue_webhook(task, "utility.task_created")
    return task


def cancel(task: UtilityTask, reason: str) -> None:
    if task.status == "pending":
        task.status = "cancelled"
        task.reason = reason
    task.cancelled_at = task.cancelled_at or now()
    task.live_key = None


def on_accepted(app: Application, previous: str | None) -> None:
    for choice in choices(app):
        ensure_task(app, choice["service"], "check", choice["account_number"])


def on_registered(app: Application, previous: str | None) -> None:
    """登簿: every opted-in service gets its transfer task; a check still unanswered is moot."""
    for task in live_tasks(app):
        if task.step == "check" and task.status == "pending":
            task.status = "cancelled"
            task.reason = "已登簿，转入过户"
            task.cancelled_at = now()
    for choice in choices(app):
        ensure_task(app, choice["service"], "transfer", choice["account_number"])


def on_closed(app: Application, previous: str | None) -> None:
    """Withdrawn or rejected: pending tasks are cancelled (and disappear from the lists)."""
    for task in live_tasks(app):
        if task.status == "pending":
            cancel(task, "申请已撤回或不予受理")


# --- what a utility sees --------------------------------------------------------------------------
def _phones(app: Application) -> list[str]:
    return [pii.decrypt(p.phone_enc) for p in app.parties if p.role == "obligee" and p.phone_enc]


def is_overdue(task: UtilityTask, on: date | None = None) -> bool:
    return task.status == "pending" and (on or today()) > task.due_date


def answer_view(task: UtilityTask) -> dict[str, Any] | None:
    if task.status != "answered" or task.answered_at is None:
        return None
    return {
        "result": task.result,
        "amount_due": f"{task.amount_due:.2f}" if task.amount_due is not None else None,
        "reason": task.reason,
        "account_number": task.new_account_number,
        "answered_at": task.answered_at,
    }


def task_view(task: UtilityTask, on: date | None = None) -> dict[str, Any]:
    """The utility-facing body: names, address, phone, account — never an ID number."""
    app = task.application
    parties = app.parties
    return {
        "id": task.id,
        "service": task.service,
        "step": task.step,
        "step_label": STEP_LABELS[task.step],
        "status": task.status,
        "acceptance_number": app.acceptance_number,
        "address": app.unit.location,
        "unit_number": app.unit.unit_number,
        "old_holders": [p.name for p in parties if p.role == "obligor"],
        "new_holders": [p.name for p in parties if p.role == "obligee"],
        "contact_phones": _phones(app),
        "old_account_number": task.old_account_number,
        "created_at": task.created_at,
        "due_date": task.due_date,
        "overdue": is_overdue(task, on),
        "answer": answer_view(task),
    }


def utility_partner(partner: Partner) -> str:
    """The partner's service, or a 403 for partners that are not utilities."""
    if partner.kind != "utility" or partner.service not in UTILITY_SERVICES:
        raise Problem(403, "utility_partner_required", "仅水、电、气公司可以使用此接口")
    return partner.service


def task_query() -> Any:
    return select(UtilityTask).options(
        selectinload(UtilityTask.application).selectinload(Application.parties),
        selectinload(UtilityTask.application).selectinload(Application.unit),
    )


def list_for_utility(
    partner: Partner, status: str, step: str | None, page: int, per_page: int
) -> dict[str, Any]:
    service = utility_partner(partner)
    where = [UtilityTask.service == service]
    if status != "all":
        where.append(UtilityTask.status == status)
    if step:
        where.append(UtilityTask.step == step)
    rows = db.session.execute(
        task_query()
        .where(*where)
        .order_by(UtilityTask.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).scalars()
    total = db.session.execute(select(func.count(UtilityTask.id)).where(*where)).scalar_one()
    on = today()
    items = [task_view(t, on) for t in rows]
    audit.record(
        "utility.task.list",
        object_type="utility_task",
        detail={"service": service, "returned": len(items)},
    )
    return {"page": page, "per_page": per_page, "total": total, "items": items}


def own_task(partner: Partner, task_id: int) -> UtilityTask:
    """The task if it is for the partner's service; another service's answers like a miss."""
    service = utility_partner(partner)
    task = db.session.execute(task_query().where(UtilityTask.id == task_id)).scalar_one_or_none()
    if task is None or task.service != service:
        raise Problem(404, "utility_task_not_found", "未找到该协办任务")
    return task


# --- answering ------------------------------------------------------------------------------------
def _normalised_answer(step: str, data: dict[str, Any]) -> dict[str, Any]:
    result = data["result"]
    if result not in UTILITY_RESULTS[step]:
        allowed = "、".join(UTILITY_RESULTS[step])
        raise Problem(
            422,
            "validation_failed",
            f"{STEP_LABELS[step]}任务的答复只能是 {allowed}",
            errors={"result": [f"可选：{allowed}"]},
        )
    missing: dict[str, list[str]] = {}
    amount = data.get("amount_due")
    reason = (data.get("reason") or "").strip() or None
    account = (data.get("account_number") or "").strip() or None
    if result == "arrears":
        if amount is None:
            missing["amount_due"] = ["有欠费时须填写欠费金额"]
        if reason is None:
            missing["reason"] = ["有欠费时须说明原因"]
    if result == "failed" and reason is None:
        missing["reason"] = ["过户失败时须说明原因"]
    if result == "completed" and account is None:
        missing["account_number"] = ["过户完成时须填写新户号"]
    if missing:
        raise Problem(422, "validation_failed", "答复的信息不完整，请按提示补充", errors=missing)
    return {
        "result": result,
        "amount_due": Decimal(str(amount)).quantize(Decimal("0.01"))
        if result == "arrears"
        else None,
        "reason": reason if result in ("arrears", "failed") else None,
        "new_account_number": account if result == "completed" else None,
    }


def _same(task: UtilityTask, answer: dict[str, Any]) -> bool:
    return (
        task.result == answer["result"]
        and task.amount_due == answer["amount_due"]
        and task.reason == answer["reason"]
        and task.new_account_number == answer["new_account_number"]
    )


def answer_task(partner: Partner, task_id: int, data: dict[str, Any]) -> UtilityTask:
    """Record the utility's answer once. The same answer again is answered like the first
    (idempotent); a different answer to a closed task is a 409."""
    task = own_task(partner, task_id)
    answer = _normalised_answer(task.step, data)
    if task.status == "cancelled":
        raise Problem(409, "utility_task_cancelled", "该协办任务已取消，无需答复")
    if task.status == "answered":
        if _same(task, answer):
            return task
        raise Problem(409, "utility_task_already_answered", "该协办任务已答复，不能更改答复")
    when = now()
    claimed = db.session.execute(
        update(UtilityTask)
        .where(UtilityTask.id == task.id, UtilityTask.status == "pending")
        .values(
            status="answered",
            result=answer["result"],
            amount_due=answer["amount_due"],
            reason=answer["reason"],
            new_account_number=answer["new_account_number"],
            answered_at=when,
            answered_by=partner.id,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(task)
    if claimed.rowcount != 1:  # answered meanwhile by a concurrent request
        if task.status == "answered" and _same(task, answer):
            return task
        raise Problem(409, "utility_task_already_answered", "该协办任务已答复，不能更改答复")
    audit.record(
        f"utility.task.answer.{task.result}",
        object_type="utility_task",
        object_id=task.id,
        detail={"application_id": task.application_id, "service": task.service},
    )
    notify_citizens(task)
    return task


# --- WeChat messages to the parties ---------------------------------------------------------------
def notify_citizens(task: UtilityTask) -> int:
    """Transfer completed or failed: the buyers are told; arrears: the sellers (to settle)."""
    if task.result in ("completed", "failed"):
        roles = ("obligee",)
    elif task.result == "arrears":
        roles = ("obligor",)
    else:
        return 0
    app = task.application
    label = SERVICE_LABELS[task.service]
    if task.result == "completed":
        first = f"您的{label}户已随房屋过户"
        remark = f"新户号：{task.new_account_number}"
    elif task.result == "failed":
        first = f"{label}过户未能完成"
        remark = f"原因：{task.reason}。请联系{SERVICE_NAMES[task.service]}单位。"
    else:
        first = f"{label}户有欠费，请在登簿前结清"
        remark = f"欠费 ¥{task.amount_due:.2f}：{task.reason}。房屋登记不受影响。"
    template = current_app.config.get("WECHAT_TEMPLATE_APPLICATION") or current_app.config.get(
        "WECHAT_TEMPLATE_HANDOVER", "application-progress"
    )
    count = 0
    for party in app.parties:
        if party.role not in roles:
            continue
        for account in events._accounts_for(party):
            db.session.add(
                NotificationOutbox(
                    dedupe_key=f"utility:{task.id}:{task.result}:a{account.id}"[:120],
                    openid=account.openid,
                    template_id=template,
                    url=f"{current_app.config['PUBLIC_BASE_URL']}{events.PAGE_PATH}?id={app.id}",
                    data={
                        "first": first,
                        "keyword1": "水电气联动过户",
                        "keyword2": app.acceptance_number or app.number,
                        "keyword3": events.china_date(now()).isoformat(),
                        "remark": remark,
                    },
                    next_attempt_at=now(),
                )
            )
            count += 1
    return count


# --- webhooks to the utility (the applications' outbox and sender) --------------------------------
def webhook_payload(task: UtilityTask, event_type: str) -> dict[str, Any]:
    return {
        "type": event_type,
        "timestamp": now().astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": task_view(task),
    }


def enqueue_webhook(task: UtilityTask, event_type: str) -> int:
    """One delivery per active endpoint of an active utility for the task's service."""
    endpoints = db.session.execute(
        select(WebhookEndpoint)
        .join(Partner, Partner.id == WebhookEndpoint.partner_id)
        .where(
            Partner.kind == "utility",
            Partner.service == task.service,
            Partner.active.is_(True),
            WebhookEndpoint.active.is_(True),
        )
    ).scalars()
    body = json.dumps(
        webhook_payload(task, event_type), ensure_ascii=False, separators=(",", ":"), default=str
    )
    count = 0
    when = now()
    for endpoint in endpoints:
        db.session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                message_id="msg_" + secrets.token_urlsafe(18),
                event_type=event_type,
                payload=body,
                created_at=when,
                next_attempt_at=when,
            )
        )
        count += 1
    return count
