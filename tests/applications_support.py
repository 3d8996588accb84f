"""Helpers shared by the application (一窗办事) tests: partners, demo units, the whole flow."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from miniapp_api.extensions import db
from miniapp_api.models import (
    Application,
    Encumbrance,
    HandoverCase,
    Person,
    PropertyRight,
    RealEstateUnit,
)
from miniapp_api.partners.service import create_partner

BANK = "中国建设银行汨罗支行"
BUYER_PHONE = "13900001111"


def citizen(demo: dict[str, Any], key: str) -> dict[str, Any]:
    return next(c for c in demo["citizens"] if c["key"] == key)


def partner_headers(
    kind: str,
    name: str | None = None,
    organisation: str | None = None,
    service: str | None = None,
) -> dict:
    names = {
        "bank": BANK,
        "agency": "汨罗市安居房产中介",
        "developer": "友阿置业",
        "tax": "国家税务总局汨罗市税务局",
        "utility": "汨罗市自来水公司",
    }
    if kind == "utility":
        service = service or "water"
    _partner, key = create_partner(name or names[kind], kind, organisation, service)
    return {"X-API-Key": key}


def sole_unit(person_id: int, *, encumbrance: str | None = None) -> RealEstateUnit:
    """A unit whose current right this person holds alone; with ``encumbrance``, one that has
    such an active encumbrance, else one with none at all."""
    rights = db.session.execute(
        select(PropertyRight)
        .options(selectinload(PropertyRight.holders))
        .where(PropertyRight.current.is_(True))
    ).scalars()
    for right in rights:
        if [h.person_id for h in right.holders] != [person_id]:
            continue
        unit = right.unit
        if db.session.execute(
            select(HandoverCase.id).where(HandoverCase.unit_id == unit.id)
        ).first():
            continue
        active = {e.kind for e in unit.encumbrances if e.ended_at is None}
        if (encumbrance is None and not active) or (encumbrance in active):
            return unit
    raise LookupError(f"no unit for person {person_id} with {encumbrance}")


def transfer_body(demo: dict[str, Any], unit: RealEstateUnit, seller: str = "zhang") -> dict:
    s, b = citizen(demo, seller), citizen(demo, "zhao")
    return {
        "kind": "transfer",
        "unit_number": unit.unit_number,
        "price": "850000.00",
        "contract_number": "MLHT2026000123",
        "parties": [
            {"role": "obligor", "name": s["name"], "id_number": s["id_number"]},
            {
                "role": "obligee",
                "name": b["name"],
                "id_number": b["id_number"],
                "phone": BUYER_PHONE,
            },
        ],
    }


def mortgage_body(demo: dict[str, Any], unit: RealEstateUnit, owner: str = "zhang") -> dict:
    o = citizen(demo, owner)
    return {
        "kind": "mortgage",
        "unit_number": unit.unit_number,
        "loan_amount": "500000.00",
        "term_months": 240,
        "parties": [{"role": "obligor", "name": o["name"], "id_number": o["id_number"]}],
    }


def confirm_all(client: Any, citizen_headers: Any, app_id: int, keys: list[str]) -> dict:
    answer: dict = {}
    for key in keys:
        response = client.post(
            f"/api/v1/me/applications/{app_id}/confirm",
            json={"decision": "confirm"},
            headers=citizen_headers(key),
        )
        assert response.status_code == 200, response.get_json()
        answer = response.get_json()
    return answer


def staff_post(client: Any, headers: dict, app_id: int, action: str, **body: Any) -> Any:
    version = db.session.execute(
        select(Application.version).where(Application.id == app_id)
    ).scalar_one()
    db.session.commit()
    return client.post(
        f"/api/v1/staff/applications/{app_id}/{action}",
        json={"version": version, **body},
        headers=headers,
    )


def person_by_key(demo: dict[str, Any], key: str) -> Person:
    return db.session.get(Person, citizen(demo, key)["person_id"])


def active_mortgage(unit: RealEstateUnit) -> Encumbrance:
    return next(e for e in unit.encumbrances if e.kind == "mortgage" and e.ended_at is None)


# --- fixtures: import the ones a test module uses (`from applications_support import bank`) -----
@pytest.fixture
def agency(app: Any) -> dict:
    return partner_headers("agency")


@pytest.fixture
def bank(app: Any) -> dict:
    return partner_headers("bank")


@pytest.fixture
def clerk(staff_headers: Any) -> dict:
    return staff_headers("clerk")


@pytest.fixture
def zhang_unit(app: Any, demo: dict[str, Any]) -> RealEstateUnit:
    """A unit 张建国 holds alone, with no encumbrance and no 交房即交证 case."""
    return sole_unit(citizen(demo, "zhang")["person_id"])
