"""Demo: 孙磊 (demo citizen ``sun``) is bound and has an alert of every kind, made through the
real paths (applications, staff certificate services, the digest), so the register changes
as it would: a mortgage filed, accepted and registered; a seizure added and released; his
certificate replaced (换证), then declared lost (cancelled) and reissued; a transfer he did
not ask for, waiting for "这不是我办的"; last month's verification digest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ..alerts.digest import previous_month, send_digest
from ..applications import service
from ..clock import CHINA_TZ
from ..database import db
from ..domain import audit, documents, pii
from ..models import Alert, Certificate, Person, PropertyRight, RightHolder, WechatAccount, utcnow
from ..staff import certificate_service as staff
from . import applications as app_demo
from .citizens import DEMO_CITIZENS

DEMO_KEY = "sun"
DEMO_ACTOR = "demo"
COURT = "汨罗市人民法院"


def _citizen() -> Any:
    return next(c for c in DEMO_CITIZENS if c.key == DEMO_KEY)


def _person() -> Person | None:
    return db.session.execute(
        select(Person).where(Person.id_number_hash == pii.id_number_hash(_citizen().id_number))
    ).scalar_one_or_none()


def _valid_certificate(person_id: int) -> Certificate | None:
    return db.session.execute(
        select(Certificate)
        .join(PropertyRight, PropertyRight.id == Certificate.right_id)
        .join(RightHolder, RightHolder.right_id == PropertyRight.id)
        .where(
            RightHolder.person_id == person_id,
            PropertyRight.current.is_(True),
            Certificate.kind == "property",
            Certificate.status == "valid",
        )
        .order_by(Certificate.id)
        .limit(1)
    ).scalar_one_or_none()


def seed_alerts() -> int:
    """Once: bind 孙磊's WeChat account and make his alerts. Returns how many alerts."""

    person = _person()
    if person is None:
        return 0
    if db.session.execute(select(Alert.id).where(Alert.person_id == person.id)).first():
        return 0
    cert = _valid_certificate(person.id)
    if cert is None:
        return 0
    citizen = _citizen()
    account = db.session.execute(
        select(WechatAccount).where(WechatAccount.openid == citizen.openid)
    ).scalar_one_or_none()
    if account is None:
        account = WechatAccount(openid=citizen.openid)
        db.session.add(account)
    if account.person_id is None:
        account.person_id = person.id
        account.bound_at = utcnow()
    db.session.flush()
    partners = app_demo._partners()
    unit = cert.right.unit
    me = {"role": "obligor", "name": citizen.name, "id_number": citizen.id_number}
    # A mortgage: filed, accepted, registered (three alerts).
    mortgage = service.file_application(
        service.Filer(channel="partner", partner=partners["bank"], actor=DEMO_ACTOR),
        {
            "kind": "mortgage",
            "unit_number": unit.unit_number,
            "loan_amount": "400000.00",
            "term_months": 180,
            "parties": [me],
        },
    )
    app_demo._drive(mortgage, "registered")
    db.session.commit()
    # A seizure, added and released by staff (two alerts).
    seizure = staff.add_encumbrance(cert.id, "seizure", COURT, "(2026)湘0681执保88号（演示）")
    staff.release_encumbrance(cert.id, seizure["id"], "案件已结，解除查封（演示）")
    # 换证, then the new certificate lost: declared void and reissued (two alerts).
    replaced = staff.supersede_certificate(cert.id, "换发新证（演示）", None)
    staff.cancel_certificate(replaced["replacement"]["id"], "证书遗失，公告作废（演示）")
    right = db.session.get(PropertyRight, cert.right_id)
    if right is None:
        return 0
    reissued = documents.issue_certificate(right, kind="property")
    audit.record(
        "staff.certificate.reissue",
        actor_kind="system",
        object_type="certificate",
        object_id=reissued.id,
        reason="遗失补证（演示）",
    )
    # A transfer 孙磊 never asked for: he can press "这不是我办的" on its alert.
    buyer = app_demo.DEMO_BUYERS[-1]
    service.file_application(
        service.Filer(channel="partner", partner=partners["agency"], actor=DEMO_ACTOR),
        {
            "kind": "transfer",
            "unit_number": unit.unit_number,
            "price": "520000.00",
            "contract_number": "MLHT2026DEMO01",
            "parties": [me, {"role": "obligee", "name": buyer[0], "id_number": buyer[1]}],
        },
    )
    send_digest(previous_month(datetime.now(CHINA_TZ).date()))
    db.session.flush()
    return int(
        db.session.execute(
            select(func.count(Alert.id)).where(Alert.person_id == person.id)
        ).scalar_one()
    )


def demo_section() -> dict[str, Any]:
    """`demo-info`: the demo citizen with alerts, and how many of each kind."""
    person = _person()
    if person is None:
        return {}
    rows = db.session.execute(
        select(Alert.kind, func.count(Alert.id))
        .where(Alert.person_id == person.id)
        .group_by(Alert.kind)
    ).all()
    if not rows:
        return {}
    citizen = _citizen()
    disputable = db.session.execute(
        select(Alert.id)
        .where(Alert.person_id == person.id, Alert.kind == "application_filed")
        .order_by(Alert.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return {
        "alerts": {
            "citizen": citizen.key,
            "name": citizen.name,
            "openid": citizen.openid,
            "page": "/app/alerts.html",
            "by_kind": {kind: count for kind, count in sorted(rows)},
            "disputable_alert_id": disputable,
        }
    }
