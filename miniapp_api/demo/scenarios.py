"""The demo's stories: the named citizens' properties and the 交房即交证 projects.

Written through :class:`~miniapp_api.demo.seed.DemoBuilder` (bulk rows, deterministic).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import insert

from ..clock import china_today
from ..database import db
from ..domain.stages import PROJECT_STAGE_CODES, UNIT_STAGE_CODES
from ..models import (
    HandoverBlocker,
    HandoverCase,
    HandoverStageEvent,
    HousingProject,
    ProjectStageEvent,
)
from .citizens import CHILD, DEMO_CITIZENS
from .names import BANKS, COURTS, PROJECTS, utc_on

if TYPE_CHECKING:
    from .seed import DemoBuilder


def citizens(builder: DemoBuilder) -> None:
    """The named demo citizens, their family and what each of them owns (demo/citizens.py)."""
    self = builder
    for citizen in DEMO_CITIZENS:
        self.add_demo_citizen(citizen)
    child = self.add_demo_citizen(CHILD)
    zhang, li = self.person_by_key["zhang"], self.person_by_key["li"]
    persons = {row["id"]: row for row in self.rows.persons}
    persons[zhang]["spouse_id"] = li
    persons[li]["spouse_id"] = zhang
    self.rows.children += [
        {"parent_id": zhang, "child_id": child},
        {"parent_id": li, "child_id": child},
    ]
    k = self.person_by_key
    # 张建国: a flat alone, and one co-owned with his wife (共同共有).
    u = self.add_unit(location=f"{self.city}屈原路88号屈子花园3栋1201室")
    self.add_certificate(self.add_right(u, [k["zhang"]], date(2016, 5, 20)), date(2016, 6, 3))
    u = self.add_unit(location=f"{self.city}滨江东路16号滨江花园7栋502室")
    self.add_certificate(
        self.add_right(u, [k["zhang"], k["li"]], date(2021, 3, 8), "joint"), date(2021, 3, 22)
    )
    # 王志强: mortgaged flat.
    u = self.add_unit(location=f"{self.city}罗城路201号金色阳光小区5栋801室")
    r = self.add_right(u, [k["wang"]], date(2019, 9, 1))
    self.add_certificate(r, date(2019, 9, 15))
    self.mortgage(u, r, date(2019, 9, 20))
    # 刘芳: one seized, one under objection.
    u = self.add_unit(location=f"{self.city}人民北路45号东方名都2栋1502室")
    self.add_certificate(self.add_right(u, [k["liu"]], date(2017, 4, 11)), date(2017, 4, 25))
    self.add_encumbrance(u, "seizure", COURTS[0], date(2025, 6, 18), "(2025)湘0681执保123号")
    u = self.add_unit(location=f"{self.city}交通路12号香樟园6栋301室")
    self.add_certificate(self.add_right(u, [k["liu"]], date(2018, 8, 2)), date(2018, 8, 16))
    self.add_encumbrance(u, "objection", "陈某某", date(2026, 2, 9), "对权属登记提出异议")
    # 孙磊: a certificate replaced (换证) and a cancelled one (注销).
    u = self.add_unit(location=f"{self.city}建设中路9号新华佳园1栋202室")
    r = self.add_right(u, [k["sun"]], date(2012, 7, 1))
    old = self.add_certificate(r, date(2012, 7, 10), status="superseded")
    new = self.add_certificate(r, date(2024, 3, 5))
    self._supersede(old, new, date(2024, 3, 5))
    u = self.add_unit(location=f"{self.city}车站路30号怡和苑4栋102室")
    r = self.add_right(u, [k["sun"]], date(2010, 1, 12), current=False)
    c = self.add_certificate(r, date(2010, 1, 20), status="cancelled")
    self._cancel(c, date(2023, 11, 2), "房屋已转让，原证书注销")


def handover(builder: DemoBuilder) -> None:
    """Six 交房即交证 projects with units at every stage, blockers and demo buyers."""
    rng = builder.rng
    k = builder.person_by_key
    project_rows, events, cases, stage_events, blockers = [], [], [], [], []
    case_certificates: list[tuple[int, int, int]] = []  # (case id, right id, cert placeholder)
    # Dates relative to today, so the demo looks current on any day: the furthest unit
    # stages were reached a few weeks ago, handovers are planned in the coming months.
    today = china_today()
    base_day = today - timedelta(days=390)
    for index, (name, developer, location) in enumerate(PROJECTS):
        pid = builder.ids.take(HousingProject)
        # The first three are fully through the project-level stages; others are behind.
        reached = [4, 4, 4, 3, 2, 1][index]
        project_rows.append(
            {
                "id": pid,
                "name": name,
                "developer": developer,
                "location": location,
                "version": 1,
                "stage": PROJECT_STAGE_CODES[reached - 1],
                "planned_handover_on": utc_on(today + timedelta(days=45 + 30 * index)),
            }
        )
        for s in range(reached):
            events.append(
                {
                    "project_id": pid,
                    "stage": PROJECT_STAGE_CODES[s],
                    "reached_at": utc_on(base_day + timedelta(days=60 * s + index)),
                    "note": None,
                    "actor": "seed",
                }
            )
        if index == 4:
            blockers.append(
                {
                    "project_id": pid,
                    "case_id": None,
                    "kind": "construction_mortgage_unreleased",
                    "authority": rng.choice(BANKS),
                    "reason": "在建建筑物抵押尚未解除，无法办理首次登记",
                    "created_at": utc_on(today - timedelta(days=40)),
                }
            )
        if index == 5:
            blockers.append(
                {
                    "project_id": pid,
                    "case_id": None,
                    "kind": "land_premium_unpaid",
                    "authority": "汨罗市自然资源局",
                    "reason": "土地出让金尚未缴清",
                    "created_at": utc_on(today - timedelta(days=75)),
                }
            )
        per_stage = 2 if builder.scale < 200 else 4
        stages = UNIT_STAGE_CODES if reached == 4 else UNIT_STAGE_CODES[:3]
        room = 0
        for stage_index, stage in enumerate(stages):
            for _ in range(per_stage):
                room += 1
                building = 1 + room // 8
                room_no = 100 * (1 + room % 8) + 1 + room % 2
                unit = builder.add_unit(
                    location=f"{location}{name}{building}栋{room_no}室",
                    project_id=pid,
                    building=building,
                    room=room_no,
                )
                buyer = builder.random_person()
                cid = builder.ids.take(HandoverCase)
                cases.append(
                    {
                        "id": cid,
                        "project_id": pid,
                        "unit_id": unit,
                        "contract_number": f"MLWQ{2025}{pid:02d}{room:05d}",
                        "buyer_id": buyer,
                        "co_buyer_id": None,
                        "has_loan": rng.random() < 0.6,
                        "stage": stage,
                        "certificate_id": None,
                        "version": 1,
                        "created_at": utc_on(base_day),
                        "updated_at": utc_on(base_day),
                    }
                )
                for s in range(stage_index + 1):
                    stage_events.append(
                        {
                            "case_id": cid,
                            "stage": UNIT_STAGE_CODES[s],
                            "reached_at": utc_on(base_day + timedelta(days=240 + 20 * s)),
                            "note": None,
                            "actor": "seed",
                        }
                    )
                if stage_index >= UNIT_STAGE_CODES.index("registered"):
                    issued = base_day + timedelta(days=240 + 20 * 5)
                    right = builder.add_right(unit, [buyer], base_day + timedelta(days=320))
                    if stage_index >= UNIT_STAGE_CODES.index("certificate_issued"):
                        case_certificates.append(
                            (cid, right, builder.add_certificate(right, issued))
                        )
    # Demo buyers: 陈浩 in 友阿悦玺 at 契税缴纳; 周婷 in 欢乐水岸, handed over.
    for key, project_index, stage in (("chen", 0, "deed_tax"), ("zhou", 1, "handed_over")):
        target = next(
            c
            for c in cases
            if c["project_id"] == project_rows[project_index]["id"] and c["stage"] == stage
        )
        previous_buyer = target["buyer_id"]
        target["buyer_id"] = k[key]
        for holder in builder.rows.holders:
            if holder["person_id"] == previous_buyer:
                holder["person_id"] = k[key]
    db.session.execute(insert(HousingProject), project_rows)
    db.session.execute(insert(ProjectStageEvent), events)
    builder.flush()
    for cid, _right, cert in case_certificates:
        next(c for c in cases if c["id"] == cid)["certificate_id"] = cert
    db.session.execute(insert(HandoverCase), cases)
    db.session.execute(insert(HandoverStageEvent), stage_events)
    if blockers:
        db.session.execute(insert(HandoverBlocker), blockers)
