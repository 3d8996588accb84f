"""Build a deterministic, realistic demo registry.

Rows are written with bulk Core inserts so that benchmarks can seed 10^5–10^6 certificates.
Ids are assigned here (after any existing rows) so related rows can point at each other
without a round trip per row.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import func, insert, select, text, update

from ..database import db
from ..domain import pii
from ..domain.masking import mask_id_number, mask_phone
from ..domain.validators import (
    LICENSE_TYPE_PROPERTY,
    LICENSE_TYPE_REGISTRATION,
    format_certificate_number,
    id_number_check_char,
    make_license_id,
)
from ..models import (
    Certificate,
    ElectronicLicense,
    Encumbrance,
    HandoverCase,
    HousingProject,
    Person,
    PropertyRight,
    RealEstateUnit,
    RightHolder,
    parent_child,
)
from ..ops.backfill import issue_missing_certificate_documents
from . import scenarios
from .citizens import DemoCitizen
from .names import BANKS, COMMUNITIES, COURTS, GIVEN, PROJECTS, STREETS, SURNAMES, USES, utc_on


@dataclass
class _Rows:
    persons: list[dict[str, Any]] = field(default_factory=list)
    children: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)
    rights: list[dict[str, Any]] = field(default_factory=list)
    holders: list[dict[str, Any]] = field(default_factory=list)
    certificates: list[dict[str, Any]] = field(default_factory=list)
    encumbrances: list[dict[str, Any]] = field(default_factory=list)
    licenses: list[dict[str, Any]] = field(default_factory=list)


class _Ids:
    """Next free id per table, after whatever is already there."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def start(self, model: Any) -> None:
        current = db.session.execute(select(func.max(model.id))).scalar() or 0
        self._next[model.__tablename__] = current + 1

    def take(self, model: Any) -> int:
        name = model.__tablename__
        value = self._next[name]
        self._next[name] = value + 1
        return value


class DemoBuilder:
    def __init__(self, scale: int, seed: int) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        self.rows = _Rows()
        self.ids = _Ids()
        for model in (
            Person,
            RealEstateUnit,
            PropertyRight,
            RightHolder,
            Certificate,
            Encumbrance,
            ElectronicLicense,
            HousingProject,
            HandoverCase,
        ):
            self.ids.start(model)
        cfg = current_app.config
        self.province = cfg["REGISTRY_PROVINCE_ABBR"]
        self.city = cfg["REGISTRY_CITY"]
        self.region = cfg["REGISTRY_REGION_CODE"]
        self.issuer = cfg["REGISTRY_ISSUER_CODE"]
        self.cert_seq: dict[tuple[int, str], int] = {}
        self.serial_seq = 100000000 + self.rng.randrange(1000)
        self.unit_seq = 0
        self.license_seq = (
            db.session.execute(select(func.count(ElectronicLicense.id))).scalar() or 0
        )
        self.used_id_numbers: set[str] = set()
        self.person_by_key: dict[str, int] = {}
        self.people_pool: list[int] = []

    # --- people ----------------------------------------------------------------------
    def _id_number(self, birth: date) -> str:
        while True:
            first17 = f"{self.region}{birth:%Y%m%d}{self.rng.randrange(1000):03d}"
            value = first17 + id_number_check_char(first17)
            if value not in self.used_id_numbers:
                self.used_id_numbers.add(value)
                return value

    def add_person(self, name: str, id_number: str, phone: str | None = None) -> int:
        self.used_id_numbers.add(id_number)
        pid = self.ids.take(Person)
        self.rows.persons.append(
            {
                "id": pid,
                "name": name,
                "id_number_enc": pii.encrypt(id_number),
                "id_number_hash": pii.id_number_hash(id_number),
                "id_number_masked": mask_id_number(id_number),
                "birth_date": date(
                    int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14])
                ),
                "gender": "M" if int(id_number[16]) % 2 else "F",
                "phone_enc": pii.encrypt(phone) if phone else None,
                "phone_masked": mask_phone(phone) if phone else None,
                "spouse_id": None,
                "created_at": utc_on(date(2020, 1, 1)),
            }
        )
        return pid

    def random_person(self) -> int:
        birth = date(1950, 1, 1) + timedelta(days=self.rng.randrange(365 * 52))
        name = self.rng.choice(SURNAMES) + "".join(
            self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2)))
        )
        pid = self.add_person(name, self._id_number(birth), f"139{self.rng.randrange(10**8):08d}")
        self.people_pool.append(pid)
        return pid

    def add_demo_citizen(self, citizen: DemoCitizen) -> int:
        pid = self.add_person(citizen.name, citizen.id_number, citizen.phone or None)
        self.person_by_key[citizen.key] = pid
        return pid

    # --- register --------------------------------------------------------------------
    def _unit_number(self, building: int, room: int) -> str:
        self.unit_seq += 1
        zone = 1 + self.unit_seq % 12
        sub = 1 + (self.unit_seq // 12) % 5
        parcel = self.unit_seq // 60 + 1
        return f"{self.region}{zone:03d}{sub:03d}GB{parcel:05d}F{building:04d}{room:04d}"

    def add_unit(
        self,
        *,
        location: str | None = None,
        project_id: int | None = None,
        building: int | None = None,
        room: int | None = None,
    ) -> int:
        rng = self.rng
        use = rng.choices([u for u, _ in USES], weights=[w for _, w in USES])[0]
        if location is not None:
            # Named flats (demo citizens, new-build projects) are homes.
            use = USES[0][0]
        building = building or rng.randrange(1, 30)
        room = room or rng.choice([101, 102, 201, 202, 301, 502, 801, 1201, 1502, 1802, 2301])
        if location is None:
            location = (
                f"{self.city}{rng.choice(STREETS)}{rng.randrange(1, 400)}号"
                f"{rng.choice(COMMUNITIES)}{building}栋{room}室"
            )
        area = (
            Decimal(rng.randrange(3500, 16000)) / 100
            if "住宅" in use
            else Decimal(rng.randrange(1200, 9000)) / 100
        )
        uid = self.ids.take(RealEstateUnit)
        start = rng.randrange(1995, 2021)
        self.rows.units.append(
            {
                "id": uid,
                "unit_number": self._unit_number(building, room),
                "location": location,
                "use": use,
                "area_m2": area,
                "right_type": "国有建设用地使用权/房屋所有权",
                "right_nature": rng.choice(["出让/市场化商品房", "出让/自建房", "划拨/房改房"]),
                "land_term": f"{start}年01月01日起{start + 70}年12月31日止",
                "project_id": project_id,
                "building": str(building),
                "room": str(room),
            }
        )
        return uid

    def add_right(
        self,
        unit_id: int,
        holders: list[int],
        registered: date,
        co_ownership: str | None = None,
        current: bool = True,
    ) -> int:
        rid = self.ids.take(PropertyRight)
        if co_ownership is None:
            co_ownership = "sole" if len(holders) == 1 else self.rng.choice(["joint", "shares"])
        self.rows.rights.append(
            {
                "id": rid,
                "unit_id": unit_id,
                "co_ownership": co_ownership,
                "registered_at": utc_on(registered),
                "current": current,
            }
        )
        for position, pid in enumerate(holders):
            share = None
            if co_ownership == "shares":
                share = "1/2" if len(holders) == 2 else f"1/{len(holders)}"
            self.rows.holders.append(
                {
                    "id": self.ids.take(RightHolder),
                    "right_id": rid,
                    "person_id": pid,
                    "share": share,
                    "position": position,
                }
            )
        return rid

    def add_certificate(
        self,
        right_id: int,
        issued: date,
        kind: str = "property",
        status: str = "valid",
        org: str | None = None,
        encumbrance_id: int | None = None,
    ) -> int:
        key = (issued.year, kind)
        self.cert_seq[key] = self.cert_seq.get(key, 0) + 1
        self.serial_seq += 1
        cid = self.ids.take(Certificate)
        self.rows.certificates.append(
            {
                "id": cid,
                "kind": kind,
                "number": format_certificate_number(
                    self.province, issued.year, self.city, kind, self.cert_seq[key]
                ),
                "print_serial": f"43{self.serial_seq:09d}",
                "status": status,
                "right_id": right_id,
                "encumbrance_id": encumbrance_id,
                "rights_holder_org": org,
                "issued_at": utc_on(issued, 10),
                "status_changed_at": None,
                "status_reason": None,
                "superseded_by_id": None,
            }
        )
        self.license_seq += 1
        type_code = LICENSE_TYPE_PROPERTY if kind == "property" else LICENSE_TYPE_REGISTRATION
        self.rows.licenses.append(
            {
                "id": self.ids.take(ElectronicLicense),
                "certificate_id": cid,
                "license_id": make_license_id(type_code, self.issuer, self.license_seq),
                "issued_at": utc_on(issued, 10),
            }
        )
        return cid

    def add_encumbrance(
        self,
        unit_id: int,
        kind: str,
        holder: str,
        started: date,
        reason: str | None = None,
        ended: date | None = None,
    ) -> int:
        eid = self.ids.take(Encumbrance)
        self.rows.encumbrances.append(
            {
                "id": eid,
                "unit_id": unit_id,
                "kind": kind,
                "holder": holder,
                "reason": reason,
                "started_at": utc_on(started),
                "ended_at": utc_on(ended) if ended else None,
                "release_reason": "债务已清偿" if ended else None,
            }
        )
        return eid

    def mortgage(self, unit_id: int, right_id: int, started: date) -> int:
        bank = self.rng.choice(BANKS)
        eid = self.add_encumbrance(unit_id, "mortgage", bank, started, "个人住房贷款抵押")
        self.add_certificate(right_id, started, kind="registration", org=bank, encumbrance_id=eid)
        return eid

    def _random_date(self, first_year: int = 2008, last_year: int = 2025) -> date:
        span = (date(last_year, 12, 31) - date(first_year, 1, 1)).days
        return date(first_year, 1, 1) + timedelta(days=self.rng.randrange(span))

    def _supersede(self, old: int, new: int, when: date) -> None:
        # The row was just added: search from the end (from the start is quadratic at 10^6).
        row = next(c for c in reversed(self.rows.certificates) if c["id"] == old)
        row.update(
            status="superseded",
            superseded_by_id=new,
            status_changed_at=utc_on(when),
            status_reason="换发新证",
        )

    def _cancel(self, cid: int, when: date, reason: str) -> None:
        row = next(c for c in reversed(self.rows.certificates) if c["id"] == cid)
        row.update(status="cancelled", status_changed_at=utc_on(when), status_reason=reason)

    def registry(self, count: int) -> None:
        """`count` property certificates for ordinary citizens, with realistic variety."""
        rng = self.rng
        made = 0
        while made < count:
            holders = [self.random_person()]
            if rng.random() < 0.3:
                holders.append(self.random_person())
                persons = {row["id"]: row for row in self.rows.persons[-2:]}
                a, b = holders
                if a in persons and b in persons:
                    persons[a]["spouse_id"], persons[b]["spouse_id"] = b, a
            unit = self.add_unit()
            registered = self._random_date()
            right = self.add_right(unit, holders, registered)
            issued = registered + timedelta(days=rng.randrange(3, 20))
            roll = rng.random()
            if roll < 0.02:
                cid = self.add_certificate(right, issued, status="cancelled")
                self._cancel(cid, issued + timedelta(days=400), "房屋已转让，原证书注销")
                self.rows.rights[-1]["current"] = False
            elif roll < 0.04:
                old = self.add_certificate(right, issued)
                when = issued + timedelta(days=rng.randrange(200, 2000))
                new = self.add_certificate(right, min(when, date(2026, 6, 30)))
                self._supersede(old, new, min(when, date(2026, 6, 30)))
                made += 1
            else:
                self.add_certificate(right, issued)
                if roll < 0.24:
                    self.mortgage(unit, right, issued + timedelta(days=rng.randrange(1, 30)))
                elif roll < 0.26:
                    self.add_encumbrance(
                        unit,
                        "seizure",
                        rng.choice(COURTS),
                        issued + timedelta(days=rng.randrange(100, 1500)),
                        f"({issued.year + 1})湘0681执保{rng.randrange(1, 999)}号",
                    )
                elif roll < 0.27:
                    self.add_encumbrance(
                        unit,
                        "objection",
                        rng.choice(SURNAMES) + "某某",
                        issued + timedelta(days=rng.randrange(30, 900)),
                        "利害关系人对登记事项提出异议",
                    )
                elif roll < 0.30:
                    self.add_encumbrance(
                        unit,
                        "mortgage",
                        rng.choice(BANKS),
                        issued + timedelta(days=10),
                        ended=issued + timedelta(days=rng.randrange(400, 3000)),
                    )
            made += 1

    def flush(self) -> None:
        rows = self.rows
        # Self-references are set after all rows exist (a batch may not hold both ends).
        spouses = [
            {"id": r["id"], "spouse_id": r["spouse_id"]} for r in rows.persons if r["spouse_id"]
        ]
        successors = [
            {"id": r["id"], "superseded_by_id": r["superseded_by_id"]}
            for r in rows.certificates
            if r["superseded_by_id"]
        ]
        for r in rows.persons:
            r["spouse_id"] = None
        for r in rows.certificates:
            r["superseded_by_id"] = None
        for model, data in (
            (Person, rows.persons),
            (RealEstateUnit, rows.units),
            (PropertyRight, rows.rights),
            (RightHolder, rows.holders),
            (Encumbrance, rows.encumbrances),
            (Certificate, rows.certificates),
            (ElectronicLicense, rows.licenses),
        ):
            for chunk in _chunks(data, 5000):
                db.session.execute(insert(model.__table__), chunk)  # Core: no ORM bulk path
        if rows.children:
            db.session.execute(insert(parent_child), rows.children)
        if spouses:
            db.session.execute(update(Person), spouses)
        if successors:
            db.session.execute(update(Certificate), successors)
        self.rows = _Rows()


def _chunks(items: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def already_seeded() -> bool:
    return (
        db.session.execute(
            select(HousingProject.id).where(HousingProject.name == PROJECTS[0][0])
        ).first()
        is not None
    )


def seed_demo(scale: int = 2000, seed: int = 20261126) -> dict[str, int]:
    """Seed the demo registry once; a second run changes nothing. Returns row counts."""
    if already_seeded():
        return {"created": 0}
    builder = DemoBuilder(scale, seed)
    scenarios.citizens(builder)
    scenarios.handover(builder)
    builder.registry(scale)
    builder.flush()
    _fix_sequences()
    issue_missing_certificate_documents()  # every certificate gets its signed QR token
    db.session.commit()
    return {
        "created": 1,
        "persons": db.session.execute(select(func.count(Person.id))).scalar_one(),
        "certificates": db.session.execute(select(func.count(Certificate.id))).scalar_one(),
        "projects": db.session.execute(select(func.count(HousingProject.id))).scalar_one(),
    }


def _fix_sequences() -> None:
    """Explicit ids leave PostgreSQL sequences behind; move them past the data."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.c and table.c.id.autoincrement and table.c.id.primary_key:
            # Table names come from our own metadata, not from input.
            name = table.name
            next_id = f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1"  # noqa: S608
            db.session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {next_id}, false)")
            )
