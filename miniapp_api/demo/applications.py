"""Demo data for 一窗办事: partners with keys `demo-info` can print, and applications in every
status, built through the real service functions (so the register changes as it would).

Demo partner keys are derived from ``SECRET_KEY`` (demo only: a real partner's key is random
and printed once by ``create-partner``), so `demo-info` can print them again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..applications import events, service, tracks, window
from ..applications.rollup import rebuild
from ..database import db
from ..domain import pii
from ..models import (
    Application,
    ApplicationEvent,
    HandoverCase,
    HousingProject,
    Partner,
    PropertyRight,
)
from .citizens import DEMO_CITIZENS, synthetic_id

DEMO_PARTNERS = (
    ("bank", "汨罗演示银行", None),
    ("agency", "汨罗演示房产中介", None),
    ("tax", "汨罗演示税务局", None),
)
DEMO_BUYERS = [
    (f"演示买方{i}", synthetic_id(f"1990{(i % 12) + 1:02d}15", 200 + i)) for i in range(12)
]
DEMO_ACTOR = "demo"


def _derive(label: str) -> bytes:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"bdc:demo-partner:{label}".encode(), hashlib.sha256).digest()


def demo_key(name: str) -> tuple[str, str]:
    prefix = _derive("prefix:" + name).hex()[:12]
    secret = base64.urlsafe_b64encode(_derive("secret:" + name)).decode().rstrip("=")
    return prefix, f"bdcp_{prefix}_{secret}"


def _partners() -> dict[str, Partner]:
    """The demo bank, agency, tax bureau and one developer partner per demo project."""
    wanted = list(DEMO_PARTNERS)
    for developer in sorted(set(db.session.execute(select(HousingProject.developer)).scalars())):
        wanted.append(("developer", f"{developer}（演示）", developer))
    found: dict[str, Partner] = {}
    for kind, name, organisation in wanted:
        partner = db.session.execute(
            select(Partner).where(Partner.name == name)
        ).scalar_one_or_none()
        if partner is None:
            prefix, key = demo_key(name)
            partner = Partner(
                name=name,
                kind=kind,
                organisation=organisation,
                key_prefix=prefix,
                key_hash=hashlib.sha256(key.encode()).hexdigest(),
            )
            db.session.add(partner)
        found.setdefault(kind, partner)
    db.session.flush()
    return found


def _free_units(limit: int) -> list[tuple[Any, list[Any]]]:
    """Units held by one ordinary (non-demo-citizen) person, without encumbrances or cases."""
    demo_hashes = {pii.id_number_hash(c.id_number) for c in DEMO_CITIZENS}
    cased = set(db.session.execute(select(HandoverCase.unit_id)).scalars())
    result = []
    rights = db.session.execute(
        select(PropertyRight)
        .options(selectinload(PropertyRight.holders))
        .where(PropertyRight.current.is_(True))
        .order_by(PropertyRight.id.desc())
    ).scalars()
    for right in rights:
        unit = right.unit
        if unit.id in cased or any(e.ended_at is None for e in unit.encumbrances):
            continue
        holders = [h.person for h in right.holders]
        if len(holders) != 1 or holders[0].id_number_hash in demo_hashes:
            continue
        result.append((unit, holders))
        if len(result) == limit:
            break
    return result


def _party(role: str, name: str, id_number: str) -> dict[str, Any]:
    return {"role": role, "name": name, "id_number": id_number}


# (kind, final status) of the demo applications, one per line.
PLAN = (
    ("transfer", "awaiting_confirmation"),
    ("transfer", "submitted"),
    ("transfer", "accepted"),
    ("transfer", "reviewed"),
    ("transfer", "completed"),
    ("mortgage", "registered"),
    ("mortgage", "certified"),
    ("mortgage", "completed"),
    ("transfer", "correction_requested"),
    ("transfer", "rejected"),
    ("transfer", "declined"),
    ("transfer", "withdrawn"),
)
ORDER = ("submitted", "accepted", "reviewed", "registered", "certified", "completed")


def seed_applications() -> int:
    """Add the demo partners and applications once (no commit). Returns how many were made."""
    if db.session.execute(select(Application.id).limit(1)).first():
        return 0
    partners = _partners()
    units = _free_units(len(PLAN) + 1)
    made: list[Application] = []
    released_from: Application | None = None
    for index, ((kind, final), (unit, holders)) in enumerate(zip(PLAN, units, strict=False)):
        holder = holders[0]
        obligor = _party("obligor", holder.name, pii.decrypt(holder.id_number_enc))
        data: dict[str, Any] = {"kind": kind, "unit_number": unit.unit_number}
        if kind == "transfer":
            buyer = DEMO_BUYERS[index]
            if final == "awaiting_confirmation":
                zhao = next(c for c in DEMO_CITIZENS if c.key == "zhao")
                buyer = (zhao.name, zhao.id_number)  # 赵敏 sees it in 我的办件 and can confirm
            data.update(
                price="680000.00",
                contract_number=f"MLHT2026{index:06d}",
                parties=[obligor, _party("obligee", *buyer)],
            )
            filer = partners["agency"]
        else:
            data.update(loan_amount="300000.00", term_months=120, parties=[obligor])
            filer = partners["bank"]
        item = service.file_application(
            service.Filer(channel="partner", partner=filer, actor=DEMO_ACTOR), data
        )
        _drive(item, final)
        if kind == "mortgage" and final == "completed":
            released_from = item
        made.append(item)
    if released_from is not None:
        release = service.file_application(
            service.Filer(channel="partner", partner=partners["bank"], actor=DEMO_ACTOR),
            {
                "kind": "mortgage_release",
                "unit_number": released_from.unit.unit_number,
                "encumbrance_id": released_from.result_encumbrance_id,
            },
        )
        _drive(release, "accepted")
        made.append(release)
    _backdate(made)
    rebuild()
    return len(made)


def _drive(item: Application, final: str) -> None:
    if final == "awaiting_confirmation":
        return
    if final in ("declined",):
        item.parties[0].declined_at = events.now_utc()
        item.reason = "当事人表示并未委托办理"
        events.change_status(item, "declined", actor=DEMO_ACTOR, note=item.reason)
        return
    if item.status == "awaiting_confirmation":
        for party in item.parties:
            party.confirmed_at = events.now_utc()
        item.submitted_at = events.now_utc()
        events.change_status(item, "submitted", actor=DEMO_ACTOR)
    if final == "withdrawn":
        service.withdraw(item, DEMO_ACTOR)
        return
    if final == "rejected":
        window.reject(item, "不属于本登记机构管辖（演示）", DEMO_ACTOR)
        return
    if final == "correction_requested":
        window.accept(item, DEMO_ACTOR)
        window.request_correction(item, "请补充完税凭证（演示）", DEMO_ACTOR)
        return
    for stage in ORDER[1 : ORDER.index(final) + 1]:
        if stage == "accepted":
            window.accept(item, DEMO_ACTOR)
            continue
        if stage == "registered" and item.kind == "transfer":
            tracks.complete_track(item, "contract_filing", f"BA{item.id:08d}", DEMO_ACTOR)
            tracks.complete_track(item, "tax", f"WS{item.id:08d}", DEMO_ACTOR)
        window.advance(item, stage, DEMO_ACTOR)
    db.session.flush()


def _backdate(items: list[Application], days: int = 7) -> None:
    """Move the demo's history a week back, so "today" in the demo is free for new work."""
    shift = timedelta(days=days)
    for item in items:
        for name in ("filed_at", "submitted_at", "accepted_at", "completed_at", "updated_at"):
            value = getattr(item, name)
            if value is not None:
                setattr(item, name, value - shift)
        if item.promised_date is not None:
            item.promised_date = item.promised_date - shift
    ids = [i.id for i in items]
    for event in db.session.execute(
        select(ApplicationEvent).where(ApplicationEvent.application_id.in_(ids))
    ).scalars():
        event.at = event.at - shift
    db.session.flush()


def demo_section() -> dict[str, Any]:
    """`demo-info`: the demo partners with their keys, and the demo applications."""
    partners = []
    for partner in db.session.execute(select(Partner).order_by(Partner.id)).scalars():
        prefix, key = demo_key(partner.name)
        if partner.key_prefix != prefix:
            continue  # a real partner: its key was printed once and is not known
        partners.append({"name": partner.name, "kind": partner.kind, "api_key": key})
    apps = [
        {
            "id": a.id,
            "number": a.number,
            "acceptance_number": a.acceptance_number,
            "kind": a.kind,
            "status": a.status,
        }
        for a in db.session.execute(select(Application).order_by(Application.id)).scalars()
    ]
    return {"partners": partners, "applications": apps}
