"""Demo data for 水电气联动过户: the three utilities (keys printed by `demo-info`) and
transfers whose utility tasks are in every state, built through the real service functions.

Runs after the applications' demo (``demo/features.py`` order) and adds its own transfers.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from ..applications import events, service, tracks, window, workdays
from ..applications import rollup as application_rollup
from ..database import db
from ..domain import pii
from ..models import Application, Partner, UtilityTask
from ..utilities import rollup, tasks
from .applications import DEMO_ACTOR, DEMO_BUYERS, _drive, _free_units, _party, demo_key
from .citizens import DEMO_CITIZENS

DEMO_UTILITIES = (
    ("water", "汨罗市自来水公司"),
    ("power", "国网湖南省电力有限公司汨罗市供电分公司"),
    ("gas", "汨罗市燃气有限公司"),
)
ALL = ("water", "power", "gas")
# (final application status, services, answers per service: {service: [check, transfer]})
PLAN: tuple[tuple[str, tuple[str, ...], dict[str, tuple[dict | None, dict | None]]], ...] = (
    # accepted a week ago, nobody answered: three overdue checks
    ("accepted", ALL, {}),
    # accepted: water can move, power has arrears, gas not answered yet (赵敏 is the buyer)
    (
        "accepted",
        ALL,
        {
            "water": ({"result": "ok"}, None),
            "power": (
                {"result": "arrears", "amount_due": "236.40", "reason": "2026年10—11月电费未缴"},
                None,
            ),
        },
    ),
    # registered: checks answered, transfers waiting
    ("registered", ("water", "power"), {s: ({"result": "ok"}, None) for s in ALL}),
    # completed with three completed transfers
    (
        "completed",
        ALL,
        {
            s: (
                {"result": "ok"},
                {"result": "completed", "account_number": f"{s[0].upper()}8800{i}"},
            )
            for i, s in enumerate(ALL)
        },
    ),
    # certified: water failed, gas completed
    (
        "certified",
        ("water", "gas"),
        {
            "water": (
                {"result": "ok"},
                {"result": "failed", "reason": "原户号与地址不符，请到营业厅核对"},
            ),
            "gas": ({"result": "ok"}, {"result": "completed", "account_number": "G77001234"}),
        },
    ),
    # withdrawn after acceptance: its checks were cancelled
    ("withdrawn", ("water",), {}),
)


def _utilities() -> dict[str, Partner]:
    found = {}
    for svc, name in DEMO_UTILITIES:
        partner = db.session.execute(
            select(Partner).where(Partner.name == name)
        ).scalar_one_or_none()
        if partner is None:
            prefix, key = demo_key(name)
            partner = Partner(
                name=name,
                kind="utility",
                service=svc,
                key_prefix=prefix,
                key_hash=hashlib.sha256(key.encode()).hexdigest(),
            )
            db.session.add(partner)
        found[svc] = partner
    db.session.flush()
    return found


def _agency() -> Partner | None:
    return db.session.execute(
        select(Partner).where(Partner.kind == "agency").order_by(Partner.id).limit(1)
    ).scalar_one_or_none()


def seed_utilities() -> int:
    """Add the demo utilities and their transfers once (no commit). Returns the task count."""
    if db.session.execute(select(UtilityTask.id).limit(1)).first():
        return 0
    utilities = _utilities()
    agency = _agency()
    if agency is None:
        return 0
    used = set(db.session.execute(select(Application.unit_id)).scalars())
    units = [u for u in _free_units(len(PLAN) + 40) if u[0].id not in used][: len(PLAN)]
    zhao = next(c for c in DEMO_CITIZENS if c.key == "zhao")
    made: list[Application] = []
    for index, ((final, services, answers), (unit, holders)) in enumerate(
        zip(PLAN, units, strict=False)
    ):
        holder = holders[0]
        buyer = (zhao.name, zhao.id_number) if index == 1 else DEMO_BUYERS[-1 - index]
        obligee = {**_party("obligee", *buyer), "phone": f"1390000{index:04d}"}
        item = service.file_application(
            service.Filer(channel="partner", partner=agency, actor=DEMO_ACTOR),
            {
                "kind": "transfer",
                "unit_number": unit.unit_number,
                "price": "720000.00",
                "contract_number": f"MLSD2026{index:06d}",
                "parties": [
                    _party("obligor", holder.name, pii.decrypt(holder.id_number_enc)),
                    obligee,
                ],
                "utilities": [
                    {"service": s, "account_number": f"{s[0].upper()}{unit.id:07d}"}
                    for s in services
                ],
            },
        )
        _drive_with_answers(item, final, services, answers, utilities)
        made.append(item)
    _age_first(made[0] if made else None)

    application_rollup.rebuild()  # the first transfer's filing day moved
    rollup.rebuild()
    return db.session.execute(select(func.count(UtilityTask.id))).scalar_one()


def _answer(utilities: dict[str, Partner], app: Application, step: str, answers: dict) -> None:
    for task in tasks.live_tasks(app):
        if task.step != step or task.status != "pending":
            continue
        answer = answers.get(task.service, (None, None))[0 if step == "check" else 1]
        if answer is not None:
            tasks.answer_task(utilities[task.service], task.id, answer)


def _drive_with_answers(
    item: Application,
    final: str,
    services: tuple[str, ...],
    answers: dict,
    utilities: dict[str, Partner],
) -> None:
    if final == "withdrawn":
        _drive(item, "accepted")
        service.withdraw(item, DEMO_ACTOR)
        return
    stages = ("accepted", "reviewed", "registered", "certified", "completed")
    _drive(item, "accepted")
    _answer(utilities, item, "check", answers)
    if final == "accepted":
        return
    _drive_from(item, "accepted", "registered")
    _answer(utilities, item, "transfer", answers)
    if stages.index(final) > stages.index("registered"):
        _drive_from(item, "registered", final)


def _drive_from(item: Application, current: str, final: str) -> None:
    order = ("accepted", "reviewed", "registered", "certified", "completed")
    for stage in order[order.index(current) + 1 : order.index(final) + 1]:
        if stage == "registered":
            tracks.complete_track(item, "contract_filing", f"BA{item.id:08d}", DEMO_ACTOR)
            tracks.complete_track(item, "tax", f"WS{item.id:08d}", DEMO_ACTOR)
        window.advance(item, stage, DEMO_ACTOR)
    db.session.flush()


def _age_first(item: Application | None, days: int = 7) -> None:
    """The first demo transfer was accepted a week ago: its checks are overdue."""
    if item is None:
        return
    shift = timedelta(days=days)
    for name in ("filed_at", "submitted_at", "accepted_at", "updated_at"):
        value = getattr(item, name)
        if value is not None:
            setattr(item, name, value - shift)
    for event in item.events:
        event.at = event.at - shift
    for task in tasks.live_tasks(item):
        task.created_at = task.created_at - shift
        task.due_date = workdays.add_working_days(
            events.china_date(task.created_at), tasks.answer_days()
        )
    db.session.flush()


def demo_section() -> dict[str, Any]:
    """`demo-info`: the demo utilities with their keys, and how many tasks are in each state."""
    items = []
    for svc, name in DEMO_UTILITIES:
        partner = db.session.execute(
            select(Partner).where(Partner.name == name)
        ).scalar_one_or_none()
        if partner is None or partner.key_prefix != demo_key(name)[0]:
            continue
        items.append({"name": name, "service": svc, "api_key": demo_key(name)[1]})
    counts: dict[str, int] = {}
    for step, status, result, count in db.session.execute(
        select(UtilityTask.step, UtilityTask.status, UtilityTask.result, func.count()).group_by(
            UtilityTask.step, UtilityTask.status, UtilityTask.result
        )
    ):
        counts[f"{step}:{result or status}"] = count
    return {"utilities": items, "utility_tasks": counts}
