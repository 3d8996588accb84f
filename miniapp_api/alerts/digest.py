"""The monthly digest (1st of each month): per subscribed holder one message with how many
times each of their certificates and documents was verified last month, by channel.

Counts only, read from the audit log (``verification.check`` rows name the document and the
channel, never who checked), so the digest always matches the log.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from ..clock import CHINA_TZ
from ..database import db
from ..models import (
    AlertSetting,
    AuditEvent,
    Certificate,
    HousingProof,
    IssuedDocument,
    LicenseCopy,
    PropertyRight,
    RightHolder,
    WechatAccount,
)
from .raising import raise_alert

# Audit channel → digest channel.
CHANNELS = {
    "page": "qr_scan",
    "api": "qr_scan",
    "number": "number",
    "image": "photo",
    "partner": "partner",
    "partner-number": "partner",
}
CHANNEL_LABELS = {"qr_scan": "扫码", "number": "输号", "photo": "拍照", "partner": "合作机构"}
DOCUMENT_LABELS = {
    "property_certificate": "不动产权证书",
    "registration_certificate": "不动产登记证明",
    "license_copy": "电子证照加注件",
    "housing_proof": "房屋证明",
}


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """``YYYY-MM`` → [first instant, first instant of the next month), Beijing time, in UTC."""
    start = date.fromisoformat(month + "-01")
    end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return (
        datetime(start.year, start.month, 1, tzinfo=CHINA_TZ).astimezone(UTC),
        datetime(end.year, end.month, 1, tzinfo=CHINA_TZ).astimezone(UTC),
    )


def previous_month(today: date) -> str:
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def _documents(person_id: int) -> list[tuple[str, str, str]]:
    """(document id hex, kind, label) of the person's certificates of currently held, switched
    on units, and the copies and proofs the person made."""
    off = select(AlertSetting.unit_id).where(
        AlertSetting.person_id == person_id, AlertSetting.enabled.is_(False)
    )
    rows = db.session.execute(
        select(IssuedDocument.document_id, IssuedDocument.kind, Certificate.number)
        .join(Certificate, Certificate.id == IssuedDocument.certificate_id)
        .join(PropertyRight, PropertyRight.id == Certificate.right_id)
        .join(RightHolder, RightHolder.right_id == PropertyRight.id)
        .where(
            RightHolder.person_id == person_id,
            PropertyRight.current.is_(True),
            Certificate.kind == "property",
            PropertyRight.unit_id.not_in(off),
        )
        .order_by(IssuedDocument.id)
    ).all()
    docs = [(r.document_id.hex(), r.kind, r.number) for r in rows]
    copies = db.session.execute(
        select(IssuedDocument.document_id, IssuedDocument.kind, LicenseCopy.serial)
        .join(LicenseCopy, LicenseCopy.id == IssuedDocument.copy_id)
        .where(LicenseCopy.person_id == person_id)
        .order_by(IssuedDocument.id)
    ).all()
    proofs = db.session.execute(
        select(IssuedDocument.document_id, IssuedDocument.kind, HousingProof.serial)
        .join(HousingProof, HousingProof.id == IssuedDocument.proof_id)
        .where(HousingProof.person_id == person_id)
        .order_by(IssuedDocument.id)
    ).all()
    docs += [(r.document_id.hex(), r.kind, r.serial) for r in [*copies, *proofs]]
    return docs


def counts(document_ids: list[str], start: datetime, end: datetime) -> dict[str, dict[str, int]]:
    """document id hex → digest channel → number of checks in [start, end)."""
    result: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CHANNEL_LABELS, 0))
    channel = AuditEvent.detail["channel"].as_string()
    for offset in range(0, len(document_ids), 500):
        chunk = document_ids[offset : offset + 500]
        rows = db.session.execute(
            select(AuditEvent.object_id, channel, func.count(AuditEvent.id))
            .where(
                AuditEvent.action == "verification.check",
                AuditEvent.at >= start,
                AuditEvent.at < end,
                AuditEvent.object_type == "issued_document",
                AuditEvent.object_id.in_(chunk),
            )
            .group_by(AuditEvent.object_id, channel)
        ).all()
        for object_id, raw_channel, count in rows:
            mapped = CHANNELS.get(raw_channel or "")
            if mapped is not None:
                result[object_id][mapped] += count
    return result


def subscribed_holders() -> list[int]:
    """Bound persons who hold at least one unit now and have not switched all of them off."""
    held = (
        select(RightHolder.person_id, PropertyRight.unit_id)
        .join(PropertyRight, PropertyRight.id == RightHolder.right_id)
        .where(PropertyRight.current.is_(True))
        .join(WechatAccount, WechatAccount.person_id == RightHolder.person_id)
    )
    off = {
        (s.person_id, s.unit_id)
        for s in db.session.execute(
            select(AlertSetting).where(AlertSetting.enabled.is_(False))
        ).scalars()
    }
    people: set[int] = set()
    for person_id, unit_id in db.session.execute(held).all():
        if (person_id, unit_id) not in off:
            people.add(person_id)
    return sorted(people)


def digest_for(person_id: int, month: str) -> dict[str, Any]:
    start, end = month_bounds(month)
    docs = _documents(person_id)
    found = counts([d[0] for d in docs], start, end)
    items = []
    for doc_hex, kind, number in docs:
        by_channel = dict(found.get(doc_hex) or dict.fromkeys(CHANNEL_LABELS, 0))
        items.append(
            {
                "document_id": doc_hex,
                "kind": kind,
                "kind_label": DOCUMENT_LABELS.get(kind, kind),
                "number": number,
                "by_channel": by_channel,
                "total": sum(by_channel.values()),
            }
        )
    return {"month": month, "documents": items, "total": sum(i["total"] for i in items)}


def send_digest(month: str) -> dict[str, int]:
    """One digest alert (and WeChat message) per subscribed holder; running it twice for the
    same month sends nothing more. The caller commits."""
    made = 0
    holders = subscribed_holders()
    for person_id in holders:
        content = digest_for(person_id, month)
        year, mon = month.split("-")
        lines = [
            f"{DOCUMENT_LABELS.get(i['kind'], i['kind'])}{i['number']}：{i['total']}次"
            + (
                "（"
                + "，".join(f"{CHANNEL_LABELS[c]}{n}次" for c, n in i["by_channel"].items() if n)
                + "）"
                if i["total"]
                else ""
            )
            for i in content["documents"]
        ]
        body = (
            f"{year}年{int(mon)}月，您的证书和证明共被核验{content['total']}次。"
            + ("；".join(lines) + "。" if lines else "")
            + "仅统计次数，不记录核验人。"
        )
        alerts = raise_alert(
            unit=None,
            person_ids=[person_id],
            kind="monthly_digest",
            event_key=f"digest:{month}",
            title=f"{year}年{int(mon)}月不动产证书核验情况",
            body=body,
            detail=content,
        )
        made += len(alerts)
    return {"holders": len(holders), "sent": made}
