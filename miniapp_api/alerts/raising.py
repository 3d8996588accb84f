"""Raising alerts: who is told (the unit's registered holders who are bound and have not
switched the unit off), what they are told (masked), and the WeChat message in the outbox.

Everything is added to the caller's session, so an alert commits or rolls back with the
change it announces (it exists the moment the change does: well within one minute).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..clock import CHINA_TZ
from ..database import db
from ..domain.masking import mask_name
from ..labels import ALERT_KIND_LABELS as KIND_LABELS
from ..labels import APPLICATION_KIND_LABELS as APP_KINDS
from ..labels import APPLICATION_ROLE_LABELS as ROLE_LABELS
from ..labels import ENCUMBRANCE_REGISTRATION_LABELS as ENCUMBRANCE_LABELS
from ..models import (
    Alert,
    AlertSetting,
    Application,
    Certificate,
    Encumbrance,
    NotificationOutbox,
    Partner,
    PropertyRight,
    RealEstateUnit,
    RightHolder,
    WechatAccount,
    utcnow,
)

PAGE_PATH = "/app/alerts.html"
# An encumbrance holder with one of these in its name is an organisation (bank, court, …) and
# is shown in full; anything else may be a private person (an objection's applicant, an
# advance notice's buyer) and is masked like a name.
ORGANISATION_MARKERS = (
    "银行",
    "信用社",
    "法院",
    "检察院",
    "公安",
    "仲裁",
    "政府",
    "委员会",
    "公司",
    "集团",
    "中心",
    "局",
    "所",
)


def china_time(value: datetime) -> str:
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def display_holder(holder: str) -> str:
    holder = holder.strip()
    if any(marker in holder for marker in ORGANISATION_MARKERS):
        return holder
    return mask_name(holder)


def masked_parties(app: Application) -> list[dict[str, str]]:
    return [
        {"role": p.role, "role_label": ROLE_LABELS[p.role], "name": mask_name(p.name)}
        for p in app.parties
    ]


def filer_label(app: Application) -> str:
    """The filer's organisation: the partner (bank, agency, developer) or the window."""
    if app.partner_id is not None:
        partner = db.session.get(Partner, app.partner_id)
        if partner is not None:
            return partner.name
    if app.channel == "window":
        return f"{current_app.config['REGISTRY_NAME']}窗口"
    return "申请人本人（微信）"


# --- who is told ---------------------------------------------------------------------------
def holder_ids(rights: Iterable[PropertyRight | None]) -> list[int]:
    seen: list[int] = []
    for right in rights:
        if right is None:
            continue
        for holder in right.holders:
            if holder.person_id not in seen:
                seen.append(holder.person_id)
    return seen


def current_rights(unit_id: int) -> list[PropertyRight]:
    return list(
        db.session.execute(
            select(PropertyRight).where(
                PropertyRight.unit_id == unit_id, PropertyRight.current.is_(True)
            )
        ).scalars()
    )


def subscribed(person_ids: list[int], unit_id: int) -> list[tuple[int, WechatAccount]]:
    """The bound accounts of these persons, minus those who switched this unit off."""
    if not person_ids:
        return []
    off = set(
        db.session.execute(
            select(AlertSetting.person_id).where(
                AlertSetting.unit_id == unit_id,
                AlertSetting.person_id.in_(person_ids),
                AlertSetting.enabled.is_(False),
            )
        ).scalars()
    )
    accounts = {
        a.person_id: a
        for a in db.session.execute(
            select(WechatAccount).where(WechatAccount.person_id.in_(person_ids))
        ).scalars()
    }
    return [(pid, accounts[pid]) for pid in person_ids if pid in accounts and pid not in off]


def is_holder(person_id: int, unit_id: int) -> bool:
    return (
        db.session.execute(
            select(RightHolder.id)
            .join(PropertyRight, PropertyRight.id == RightHolder.right_id)
            .where(
                PropertyRight.unit_id == unit_id,
                PropertyRight.current.is_(True),
                RightHolder.person_id == person_id,
            )
        ).first()
        is not None
    )


# --- writing ---------------------------------------------------------------------------------
def template_id() -> str:
    return (
        current_app.config.get("WECHAT_TEMPLATE_ALERT")
        or os.environ.get("WECHAT_TEMPLATE_ALERT")
        or "property-alert"
    )


def raise_alert(
    *,
    unit: RealEstateUnit | None,
    person_ids: list[int],
    kind: str,
    event_key: str,
    title: str,
    body: str,
    detail: dict[str, Any],
    application_id: int | None = None,
    when: datetime | None = None,
) -> list[Alert]:
    """One alert per subscribed person (never twice for the same event) and one WeChat
    message per alert through the outbox (at most once, like every outbox message)."""
    when = when or utcnow()
    recipients = (
        subscribed(person_ids, unit.id)
        if unit is not None
        else [
            (a.person_id, a)
            for a in db.session.execute(
                select(WechatAccount).where(WechatAccount.person_id.in_(person_ids))
            ).scalars()
            if a.person_id is not None
        ]
    )
    if not recipients:
        return []
    already = set(
        db.session.execute(
            select(Alert.person_id).where(
                Alert.event_key == event_key, Alert.person_id.in_([p for p, _ in recipients])
            )
        ).scalars()
    )
    made = []
    base = current_app.config["PUBLIC_BASE_URL"]
    for person_id, account in recipients:
        if person_id in already:
            continue
        alert = Alert(
            person_id=person_id,
            unit_id=unit.id if unit is not None else None,
            kind=kind,
            event_key=event_key[:80],
            title=title[:100],
            body=body,
            detail=detail,
            application_id=application_id,
            created_at=when,
        )
        db.session.add(alert)
        db.session.flush()
        db.session.add(
            NotificationOutbox(
                dedupe_key=f"alert:{alert.id}:a{account.id}",
                openid=account.openid,
                template_id=template_id(),
                url=f"{base}{PAGE_PATH}?id={alert.id}",
                data={
                    "first": title[:60],
                    "keyword1": KIND_LABELS[kind],
                    "keyword2": unit.location if unit is not None else "您的不动产",
                    "keyword3": china_time(when),
                    "remark": body[:180],
                },
                next_attempt_at=when,
            )
        )
        made.append(alert)
    return made


# --- the triggers ----------------------------------------------------------------------------
APPLICATION_REMARK = (
    "如非您本人办理或委托，请在“产权变动提醒”中点击“这不是我办的”，登记将暂停核查。"
)


def _application_detail(app: Application) -> dict[str, Any]:
    return {
        "application": {
            "id": app.id,
            "number": app.number,
            "kind": app.kind,
            "kind_label": APP_KINDS[app.kind],
            "filer": filer_label(app),
            "channel": app.channel,
            "acceptance_number": app.acceptance_number,
            "parties": masked_parties(app),
        },
        "unit": {"unit_number": app.unit.unit_number, "location": app.unit.location},
    }


def on_application_status(
    app: Application, before: str | None, after: str, actor: str | None = None
) -> None:
    if before is not None and after not in ("accepted", "registered"):
        return  # other stages and side exits raise nothing
    kind_label = APP_KINDS[app.kind]
    detail = _application_detail(app)
    parties = "、".join(f"{p['role_label']}{p['name']}" for p in detail["application"]["parties"])
    parties_text = f"当事人：{parties}。" if parties else ""
    filer = detail["application"]["filer"]
    if before is None:
        kind = "application_filed"
        title = f"有人提交了涉及您房产的{kind_label}申请"
        body = (
            f"{filer}提交了{kind_label}申请（申请编号 {app.number}），"
            f"坐落：{app.unit.location}。{parties_text}{APPLICATION_REMARK}"
        )
        rights = current_rights(app.unit_id)
    elif after == "accepted":
        kind = "application_accepted"
        title = f"涉及您房产的{kind_label}申请已受理"
        body = (
            f"登记机构已受理{filer}提交的{kind_label}申请（受理编号 {app.acceptance_number}），"
            f"坐落：{app.unit.location}。{parties_text}{APPLICATION_REMARK}"
        )
        rights = current_rights(app.unit_id)
    elif after == "registered":
        kind = "application_registered"
        title = f"涉及您房产的{kind_label}已登簿"
        rights, effect = _registered_effect(app)
        detail["effect"] = effect
        body = (
            f"{kind_label}（受理编号 {app.acceptance_number}）已记载于不动产登记簿，"
            f"坐落：{app.unit.location}。{effect}"
        )
    else:
        return
    raise_alert(
        unit=app.unit,
        person_ids=holder_ids(rights),
        kind=kind,
        event_key=f"application:{app.id}:{kind}",
        title=title,
        body=body,
        detail=detail,
        application_id=app.id,
    )


def _registered_effect(app: Application) -> tuple[list[PropertyRight], str]:
    """Who is told of a 登簿 and what it did. A transfer tells the sellers (whose right just
    ended) and the buyers (whose right just began)."""
    if app.kind == "transfer":
        latest = list(
            db.session.execute(
                select(PropertyRight)
                .where(PropertyRight.unit_id == app.unit_id)
                .order_by(PropertyRight.id.desc())
                .limit(2)
            ).scalars()
        )
        return latest, "原不动产权证书已注销，权利人已变更为新的权利人。"
    rights = current_rights(app.unit_id)
    if app.kind == "mortgage":
        bank = filer_label(app)
        return rights, f"已设立抵押权，抵押权人：{bank}。"
    return rights, "抵押权已注销，对应的不动产登记证明同时注销。"


def on_encumbrance(encumbrance: Encumbrance, added: bool) -> None:
    unit = db.session.get(RealEstateUnit, encumbrance.unit_id)
    if unit is None:
        return
    label = ENCUMBRANCE_LABELS.get(encumbrance.kind, encumbrance.kind)
    holder = display_holder(encumbrance.holder)
    role = {"mortgage": "抵押权人", "seizure": "查封机关", "objection": "异议申请人"}.get(
        encumbrance.kind, "权利人"
    )
    if added:
        kind, title = "encumbrance_added", f"您的房产新增{label}"
        body = f"坐落：{unit.location}，{role}：{holder}。如有疑问，请联系登记机构。"
    else:
        kind, title = "encumbrance_released", f"您房产上的{label}已注销或解除"
        body = f"坐落：{unit.location}，{role}：{holder}。"
    raise_alert(
        unit=unit,
        person_ids=holder_ids(current_rights(unit.id)),
        kind=kind,
        event_key=f"encumbrance:{encumbrance.id}:{kind}",
        title=title,
        body=body,
        detail={
            "encumbrance": {
                "id": encumbrance.id,
                "kind": encumbrance.kind,
                "kind_label": label,
                "holder": holder,
            },
            "unit": {"unit_number": unit.unit_number, "location": unit.location},
        },
    )


def on_certificate(
    certificate: Certificate, status: str, replacement: Certificate | None = None
) -> None:
    right = certificate.right
    unit = right.unit
    label = "不动产权证书" if certificate.kind == "property" else "不动产登记证明"
    detail: dict[str, Any] = {
        "certificate": {
            "id": certificate.id,
            "number": certificate.number,
            "kind": certificate.kind,
        },
        "unit": {"unit_number": unit.unit_number, "location": unit.location},
    }
    if status == "cancelled":
        kind, title = "certificate_cancelled", f"您的{label}已注销"
        body = (
            f"{label}{certificate.number}已注销（坐落：{unit.location}），扫码核验将显示“已注销”。"
        )
    else:
        kind, title = "certificate_superseded", f"您的{label}已换发新证"
        new_number = replacement.number if replacement is not None else ""
        detail["replacement"] = {"number": new_number}
        body = (
            f"{label}{certificate.number}已换发新证{new_number}（坐落：{unit.location}），"
            "旧证不再有效。"
        )
    raise_alert(
        unit=unit,
        person_ids=holder_ids([right, *current_rights(unit.id)]),
        kind=kind,
        event_key=f"certificate:{certificate.id}:{kind}",
        title=title,
        body=body,
        detail=detail,
    )
