"""The citizen's side: the in-app inbox and the per-unit switches."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ..database import db
from ..domain import audit
from ..errors import Problem
from ..labels import ALERT_KIND_LABELS as KIND_LABELS
from ..models import (
    Alert,
    AlertSetting,
    Person,
    PropertyRight,
    RealEstateUnit,
    RightHolder,
    utcnow,
)
from . import holds


def alert_view(alert: Alert, unit: RealEstateUnit | None = None) -> dict[str, Any]:
    hold = holds.my_hold(alert.person_id, alert.application_id)
    disputable = alert.kind in holds.DISPUTABLE_KINDS and alert.application_id is not None
    return {
        "id": alert.id,
        "kind": alert.kind,
        "kind_label": KIND_LABELS[alert.kind],
        "title": alert.title,
        "body": alert.body,
        "unit_number": unit.unit_number if unit is not None else None,
        "location": unit.location if unit is not None else None,
        "detail": alert.detail,
        "application_id": alert.application_id,
        "created_at": alert.created_at,
        "read": alert.read_at is not None,
        "read_at": alert.read_at,
        "disputable": disputable and hold is None,
        "dispute": holds.hold_view(hold) if hold is not None else None,
    }


def _units(ids: set[int]) -> dict[int, RealEstateUnit]:
    if not ids:
        return {}
    return {
        u.id: u
        for u in db.session.execute(
            select(RealEstateUnit).where(RealEstateUnit.id.in_(ids))
        ).scalars()
    }


def list_alerts(person: Person, page: int, per_page: int) -> dict[str, Any]:
    """Newest first, with the unread count."""
    rows = (
        db.session.execute(
            select(Alert)
            .where(Alert.person_id == person.id)
            .order_by(Alert.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        .scalars()
        .all()
    )
    units = _units({a.unit_id for a in rows if a.unit_id is not None})
    total, unread = db.session.execute(
        select(
            func.count(Alert.id),
            func.count(Alert.id).filter(Alert.read_at.is_(None)),
        ).where(Alert.person_id == person.id)
    ).one()
    audit.record("alerts.me.list", object_type="alert", detail={"returned": len(rows)})
    return {
        "page": page,
        "per_page": per_page,
        "total": total,
        "unread": unread,
        "items": [alert_view(a, units.get(a.unit_id) if a.unit_id else None) for a in rows],
    }


def own_alert(person: Person, alert_id: int) -> Alert:
    """The reader's own alert; anyone else's answers exactly like a missing one."""
    alert = db.session.get(Alert, alert_id)
    if alert is None or alert.person_id != person.id:
        raise Problem(404, "alert_not_found", "未找到该提醒")
    return alert


def mark_read(person: Person, alert_id: int) -> dict[str, Any]:
    alert = own_alert(person, alert_id)
    if alert.read_at is None:
        alert.read_at = utcnow()
    unit = db.session.get(RealEstateUnit, alert.unit_id) if alert.unit_id else None
    return alert_view(alert, unit)


def one(person: Person, alert_id: int) -> dict[str, Any]:
    alert = own_alert(person, alert_id)
    unit = db.session.get(RealEstateUnit, alert.unit_id) if alert.unit_id else None
    return alert_view(alert, unit)


# --- settings ----------------------------------------------------------------------------------
def _my_units(person: Person) -> list[RealEstateUnit]:
    return list(
        db.session.execute(
            select(RealEstateUnit)
            .join(PropertyRight, PropertyRight.unit_id == RealEstateUnit.id)
            .join(RightHolder, RightHolder.right_id == PropertyRight.id)
            .where(PropertyRight.current.is_(True), RightHolder.person_id == person.id)
            .order_by(RealEstateUnit.id)
            .distinct()
        ).scalars()
    )


def settings(person: Person) -> dict[str, Any]:
    """Every unit the citizen holds now, with its switch (on unless switched off)."""
    off = set(
        db.session.execute(
            select(AlertSetting.unit_id).where(
                AlertSetting.person_id == person.id, AlertSetting.enabled.is_(False)
            )
        ).scalars()
    )
    return {
        "items": [
            {"unit_number": u.unit_number, "location": u.location, "enabled": u.id not in off}
            for u in _my_units(person)
        ]
    }


def set_enabled(person: Person, unit_number: str, enabled: bool) -> dict[str, Any]:
    unit = next((u for u in _my_units(person) if u.unit_number == unit_number), None)
    if unit is None:
        # A unit the citizen does not hold answers like one that does not exist.
        raise Problem(404, "unit_not_found", "您名下没有该不动产单元")
    setting = db.session.execute(
        select(AlertSetting).where(
            AlertSetting.person_id == person.id, AlertSetting.unit_id == unit.id
        )
    ).scalar_one_or_none()
    if setting is None:
        setting = AlertSetting(person_id=person.id, unit_id=unit.id)
        db.session.add(setting)
    setting.enabled = enabled
    setting.updated_at = utcnow()
    audit.record(
        "alerts.setting",
        object_type="real_estate_unit",
        object_id=unit.id,
        detail={"enabled": enabled},
    )
    return {"unit_number": unit.unit_number, "location": unit.location, "enabled": enabled}
