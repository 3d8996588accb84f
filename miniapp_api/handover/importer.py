"""CSV import of 交房即交证 projects, units and buyers' contracts (staff).

All or nothing: every row is validated first (fields, then consistency within the file, then
against the database); a file with any bad row imports nothing and the answer lists every
row's errors. A good file is applied in one transaction. Re-importing the same file changes
nothing: rows are matched by contract_number (and unit_number) and counted as unchanged.

Row numbers are spreadsheet rows: the header is row 1, the first data row is row 2.
Columns: docs/handover.md ("CSV import").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import unit_of_work
from ..domain import audit, pii
from ..domain.masking import mask_id_number
from ..domain.validators import (
    birth_date_of,
    gender_of,
)
from ..errors import Problem
from ..extensions import db
from ..models import (
    HandoverCase,
    HandoverStageEvent,
    HousingProject,
    Person,
    PropertyRight,
    RealEstateUnit,
    StaffUser,
)
from . import rules
from .csv_rows import (
    COLUMNS,
    DEFAULT_RIGHT_NATURE,
    DEFAULT_RIGHT_TYPE,
    FIRST_STAGE,
    MAX_BYTES,
    Errors,
    Row,
    decode,
    parse,
)

__all__ = ["MAX_BYTES", "import_csv"]


# --- checks across rows and against the register -----------------------------------------------
def _check_within_file(rows: Sequence[Row], errors: Errors) -> None:
    by_contract: dict[str, int] = {}
    by_unit: dict[str, int] = {}
    projects: dict[str, tuple[str, str, int]] = {}
    names: dict[str, tuple[str, int]] = {}
    for row in rows:
        if row.contract_number in by_contract:
            errors.add(
                row.number,
                "contract_number",
                f"网签合同号与第 {by_contract[row.contract_number]} 行重复",
            )
        else:
            by_contract[row.contract_number] = row.number
        if row.unit_number in by_unit:
            errors.add(
                row.number, "unit_number", f"不动产单元号与第 {by_unit[row.unit_number]} 行重复"
            )
        else:
            by_unit[row.unit_number] = row.number
        known = projects.setdefault(row.project_name, (row.developer, row.location, row.number))
        if known[0] != row.developer:
            errors.add(row.number, "developer", f"同一项目的开发企业与第 {known[2]} 行不一致")
        if known[1] != row.location:
            errors.add(row.number, "location", f"同一项目的坐落与第 {known[2]} 行不一致")
        for field, name, id_number in (
            ("buyer_name", row.buyer_name, row.buyer_id),
            ("co_buyer_name", row.co_buyer_name, row.co_buyer_id),
        ):
            if id_number is None or name is None:
                continue
            seen = names.setdefault(id_number, (name, row.number))
            if seen[0] != name:
                errors.add(row.number, field, f"同一身份证号的姓名与第 {seen[1]} 行不一致")


def _chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _fetch(model: Any, column: Any, values: Sequence[Any], *options: Any) -> dict[Any, Any]:
    found: dict[Any, Any] = {}
    for chunk in _chunks(sorted(set(values))):
        query = select(model).where(column.in_(chunk))
        if options:
            query = query.options(*options)
        for item in db.session.execute(query).unique().scalars():
            found[getattr(item, column.key)] = item
    return found


@dataclass
class Plan:
    row: Row
    action: str  # created | updated | unchanged
    case: HandoverCase | None = None
    unit: RealEstateUnit | None = None


def _person_check(
    row: Row, field: str, name: str, id_number: str, persons: dict[str, Person], errors: Errors
) -> None:
    person = persons.get(pii.id_number_hash(id_number))
    if person is not None and person.name != name:
        errors.add(row.number, field, "姓名与该身份证号已登记的姓名不一致")


def _plan(rows: Sequence[Row], errors: Errors) -> tuple[list[Plan], dict[str, Any]]:
    projects = _fetch(HousingProject, HousingProject.name, [r.project_name for r in rows])
    units = _fetch(RealEstateUnit, RealEstateUnit.unit_number, [r.unit_number for r in rows])
    cases = _fetch(
        HandoverCase,
        HandoverCase.contract_number,
        [r.contract_number for r in rows],
        joinedload(HandoverCase.unit),
        joinedload(HandoverCase.project),
    )
    ids = [r.buyer_id for r in rows] + [r.co_buyer_id for r in rows if r.co_buyer_id]
    persons = _fetch(Person, Person.id_number_hash, [pii.id_number_hash(i) for i in ids])
    unit_ids = [u.id for u in units.values()]
    case_by_unit = _fetch(HandoverCase, HandoverCase.unit_id, unit_ids)
    with_rights = set()
    for chunk in _chunks(unit_ids):
        with_rights.update(
            db.session.execute(
                select(PropertyRight.unit_id).where(
                    PropertyRight.unit_id.in_(chunk), PropertyRight.current.is_(True)
                )
            ).scalars()
        )
    plans: list[Plan] = []
    for row in rows:
        before = len(errors.items)
        project = projects.get(row.project_name)
        if project is not None:
            if project.developer != row.developer:
                errors.add(row.number, "developer", "与已登记项目的开发企业不一致")
            if project.location != row.location:
                errors.add(row.number, "location", "与已登记项目的坐落不一致")
        _person_check(row, "buyer_name", row.buyer_name, row.buyer_id, persons, errors)
        if row.co_buyer_id and row.co_buyer_name:
            _person_check(row, "co_buyer_name", row.co_buyer_name, row.co_buyer_id, persons, errors)
        case = cases.get(row.contract_number)
        unit = units.get(row.unit_number)
        if case is not None:
            if case.unit.unit_number != row.unit_number:
                errors.add(row.number, "contract_number", "该网签合同号已对应其他不动产单元")
            elif case.project.name != row.project_name:
                errors.add(row.number, "project_name", "该网签合同已属于其他项目")
        elif unit is not None:
            other = case_by_unit.get(unit.id)
            if other is not None:
                errors.add(row.number, "unit_number", "该不动产单元已有其他网签合同")
            elif unit.id in with_rights:
                errors.add(
                    row.number, "unit_number", "该不动产单元已登记权利，不能作为新房合同导入"
                )
            elif unit.project_id is not None and (project is None or unit.project_id != project.id):
                errors.add(row.number, "unit_number", "该不动产单元属于其他项目")
        if len(errors.items) > before:
            continue
        if case is None:
            plans.append(Plan(row, "created", unit=unit))
            continue
        differences = _differences(case, row, persons)
        if not differences:
            plans.append(Plan(row, "unchanged", case=case, unit=case.unit))
        elif case.stage != FIRST_STAGE:
            errors.add(
                row.number,
                differences[0],
                f"该合同已进入“{rules.label(case.stage)}”环节，不能通过导入修改"
                f"（{COLUMNS[differences[0]][0]}与已登记内容不同）",
            )
        else:
            plans.append(Plan(row, "updated", case=case, unit=case.unit))
    return plans, {"projects": projects, "persons": persons}


def _person_id(persons: dict[str, Person], id_number: str | None) -> int | None:
    if id_number is None:
        return None
    person = persons.get(pii.id_number_hash(id_number))
    return person.id if person else -1  # -1: a person this import would create


def _differences(case: HandoverCase, row: Row, persons: dict[str, Person]) -> list[str]:
    unit = case.unit
    checks = [
        ("location", unit.location == row.unit_location),
        ("building", unit.building == row.building),
        ("room", unit.room == row.room),
        ("area", Decimal(str(unit.area_m2)).quantize(Decimal("0.01")) == row.area),
        ("use", unit.use == row.use),
        ("buyer_id_number", case.buyer_id == _person_id(persons, row.buyer_id)),
        ("co_buyer_id_number", case.co_buyer_id == _person_id(persons, row.co_buyer_id)),
        ("has_loan", case.has_loan == row.has_loan),
    ]
    return [field for field, same in checks if not same]


# --- applying ----------------------------------------------------------------------------------
def _get_person(
    name: str, id_number: str, persons: dict[str, Person], created: list[int]
) -> Person:
    key = pii.id_number_hash(id_number)
    person = persons.get(key)
    if person is None:
        person = Person(
            name=name,
            id_number_enc=pii.encrypt(id_number),
            id_number_hash=key,
            id_number_masked=mask_id_number(id_number),
            birth_date=birth_date_of(id_number),
            gender=gender_of(id_number),
        )
        db.session.add(person)
        persons[key] = person
        created.append(1)
    return person


def _apply(plans: Sequence[Plan], found: dict[str, Any], staff: StaffUser) -> dict[str, int]:
    projects: dict[str, HousingProject] = found["projects"]
    persons: dict[str, Person] = found["persons"]
    new_projects = 0
    created_persons: list[int] = []
    now = datetime.now(UTC)
    actor = f"staff:{staff.username}"[:64]
    for plan in plans:
        if plan.action == "unchanged":
            continue
        row = plan.row
        project = projects.get(row.project_name)
        if project is None:
            project = HousingProject(
                name=row.project_name, developer=row.developer, location=row.location, stage=None
            )
            db.session.add(project)
            db.session.flush()  # the unit row needs the project's id
            projects[row.project_name] = project
            new_projects += 1
        buyer = _get_person(row.buyer_name, row.buyer_id, persons, created_persons)
        co_buyer = (
            _get_person(row.co_buyer_name, row.co_buyer_id, persons, created_persons)
            if row.co_buyer_id and row.co_buyer_name
            else None
        )
        unit = plan.unit
        if unit is None:
            unit = RealEstateUnit(
                unit_number=row.unit_number,
                right_type=DEFAULT_RIGHT_TYPE,
                right_nature=DEFAULT_RIGHT_NATURE,
            )
            db.session.add(unit)
        unit.location = row.unit_location
        unit.use = row.use
        unit.area_m2 = row.area
        unit.building = row.building
        unit.room = row.room
        unit.project_id = project.id
        if plan.action == "created":
            case = HandoverCase(
                project=project,
                unit=unit,
                contract_number=row.contract_number,
                buyer=buyer,
                co_buyer=co_buyer,
                has_loan=row.has_loan,
                stage=FIRST_STAGE,
                created_at=now,
                updated_at=now,
            )
            db.session.add(case)
            db.session.add(
                HandoverStageEvent(
                    case=case, stage=FIRST_STAGE, reached_at=now, note="批量导入", actor=actor
                )
            )
        else:
            case = plan.case  # type: ignore[assignment]
            case.buyer = buyer
            case.co_buyer = co_buyer
            case.has_loan = row.has_loan
            case.updated_at = now
    db.session.flush()
    return {"projects_created": new_projects, "persons_created": len(created_persons)}


def import_csv(data: bytes, staff: StaffUser) -> dict[str, Any]:
    """Validate and import a CSV file; raises Problem(422) listing every bad row."""
    errors = Errors()
    rows = parse(decode(data), errors)
    if not errors:
        if not rows:
            errors.add(2, "file", "导入文件没有数据行")
        _check_within_file(rows, errors)
    if errors:
        raise errors.problem()
    plans, found = _plan(rows, errors)
    if errors:
        db.session.rollback()
        raise errors.problem()
    counts: dict[str, int] = defaultdict(int)
    for plan in plans:
        counts[plan.action] += 1
    try:
        extra = _apply(plans, found, staff)
        result = {
            "rows": len(rows),
            "created": counts["created"],
            "updated": counts["updated"],
            "unchanged": counts["unchanged"],
            **extra,
        }
        audit.record(
            "handover.import",
            object_type="handover_case",
            reason="CSV 导入",
            detail={"before": None, "after": result},
        )
        unit_of_work.done()
    except IntegrityError:
        db.session.rollback()
        raise Problem(
            409, "import_conflict", "导入时数据被同时修改（可能有另一次导入正在进行），请稍后重试"
        ) from None
    return result
