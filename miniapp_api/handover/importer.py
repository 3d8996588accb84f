"""CSV import of 交房即交证 projects, units and buyers' contracts (staff).

All or nothing: every row is validated first (fields, then consistency within the file, then
against the database); a file with any bad row imports nothing and the answer lists every
row's errors. A good file is applied in one transaction. Re-importing the same file changes
nothing: rows are matched by contract_number (and unit_number) and counted as unchanged.

Row numbers are spreadsheet rows: the header is row 1, the first data row is row 2.
Columns: docs/handover.md ("CSV import").
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..domain import audit, pii
from ..domain.masking import mask_id_number
from ..domain.validators import (
    birth_date_of,
    gender_of,
    is_valid_id_number,
    is_valid_unit_number,
    normalize_id_number,
)
from ..errors import Problem
from ..extensions import db
from ..inputs import has_bad_text, has_unprintable_text
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

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20000
FIRST_STAGE = "contract_filing"
DEFAULT_RIGHT_TYPE = "国有建设用地使用权/房屋所有权"
DEFAULT_RIGHT_NATURE = "出让/市场化商品房"

# field -> (Chinese name, accepted header spellings)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "project_name": ("项目名称", ("project_name", "project", "项目名称", "项目", "楼盘")),
    "developer": ("开发企业", ("developer", "开发企业", "开发商")),
    "location": ("项目坐落", ("location", "坐落", "项目坐落")),
    "building": ("幢号", ("building", "幢号", "楼栋", "栋号")),
    "room": ("房号", ("room", "房号", "室号")),
    "unit_number": ("不动产单元号", ("unit_number", "不动产单元号", "单元号")),
    "area": ("建筑面积", ("area", "area_m2", "面积", "建筑面积")),
    "use": ("用途", ("use", "用途")),
    "contract_number": ("网签合同号", ("contract_number", "网签合同号", "合同号")),
    "buyer_name": ("购房人姓名", ("buyer_name", "购房人", "购房人姓名")),
    "buyer_id_number": (
        "购房人身份证号",
        ("buyer_id_number", "购房人身份证号", "购房人证件号", "身份证号"),
    ),
    "has_loan": ("是否贷款", ("has_loan", "是否贷款", "贷款")),
    "co_buyer_name": ("共同购房人姓名", ("co_buyer_name", "共同购房人", "共同购房人姓名")),
    "co_buyer_id_number": (
        "共同购房人身份证号",
        ("co_buyer_id_number", "共同购房人身份证号"),
    ),
}
REQUIRED = [
    "project_name",
    "developer",
    "location",
    "building",
    "room",
    "unit_number",
    "area",
    "use",
    "contract_number",
    "buyer_name",
    "buyer_id_number",
    "has_loan",
]
LIMITS = {
    "project_name": 60,
    "developer": 100,
    "location": 120,
    "building": 20,
    "room": 20,
    "use": 40,
    "contract_number": 40,
    "buyer_name": 64,
    "co_buyer_name": 64,
}
YES = {"是", "有", "y", "yes", "true", "1"}
NO = {"否", "无", "n", "no", "false", "0"}
_ALIASES = {alias.lower(): key for key, (_, names) in COLUMNS.items() for alias in names}


@dataclass
class Row:
    number: int
    project_name: str
    developer: str
    location: str
    building: str
    room: str
    unit_number: str
    area: Decimal
    use: str
    contract_number: str
    buyer_name: str
    buyer_id: str
    has_loan: bool
    co_buyer_name: str | None
    co_buyer_id: str | None

    @property
    def unit_location(self) -> str:
        return f"{self.location}{self.project_name}{self.building}栋{self.room}室"[:200]


class Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, row: int, field: str, message: str) -> None:
        self.items.append({"row": row, "field": field, "message": message})

    def __bool__(self) -> bool:
        return bool(self.items)

    def problem(self) -> Problem:
        rows = sorted({e["row"] for e in self.items})
        items = sorted(self.items, key=lambda e: (e["row"], e["field"]))
        return Problem(
            422,
            "import_invalid",
            f"导入文件有 {len(rows)} 行存在错误，未导入任何数据，请修改后重新上传",
            rows=items,
            error_rows=rows,
        )


# --- reading -----------------------------------------------------------------------------------
def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise Problem(413, "payload_too_large", "导入文件不能超过 2 MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Problem(
            422,
            "import_encoding",
            "导入文件不是 UTF-8 编码，请在表格软件中另存为“CSV UTF-8”后重新上传",
        ) from None


def _clean(value: str | None) -> str:
    return (value or "").strip()


def _strip_suffix(value: str, suffixes: str) -> str:
    return value[:-1] if value and value[-1] in suffixes else value


def _parse_row(number: int, raw: dict[str, str], errors: Errors) -> Row | None:
    before = len(errors.items)
    values = {key: _clean(raw.get(key)) for key in COLUMNS}
    for key, value in values.items():
        if has_bad_text(value):  # NUL and other control characters cannot be stored
            errors.add(number, key, f"{COLUMNS[key][0]}含有无效字符（控制字符）")
        elif has_unprintable_text(value):  # the printed-text rule of every input (inputs.py)
            errors.add(
                number, key, f"{COLUMNS[key][0]}含有无法打印的字符（表情、零宽或方向控制符）"
            )
    for key in REQUIRED:
        if not values[key]:
            errors.add(number, key, f"{COLUMNS[key][0]}不能为空")
    for key, limit in LIMITS.items():
        if len(values[key]) > limit:
            errors.add(number, key, f"{COLUMNS[key][0]}不能超过 {limit} 个字符")
    unit_number = values["unit_number"].upper()
    if unit_number:
        if not is_valid_unit_number(unit_number):
            errors.add(number, "unit_number", "不动产单元号格式不正确（应为 28 位）")
        elif not unit_number.startswith(current_app.config["REGISTRY_REGION_CODE"]):
            errors.add(number, "unit_number", "不动产单元号不属于本登记辖区")
    area = Decimal(0)
    if values["area"]:
        try:
            area = Decimal(values["area"])
            if not area.is_finite() or area <= 0 or area >= Decimal("100000"):
                raise InvalidOperation
            if area != area.quantize(Decimal("0.01")):
                errors.add(number, "area", "建筑面积最多保留两位小数")
        except InvalidOperation:
            errors.add(number, "area", "建筑面积应为大于 0 的数字（平方米）")
    has_loan = False
    if values["has_loan"]:
        flag = values["has_loan"].lower()
        if flag in YES:
            has_loan = True
        elif flag not in NO:
            errors.add(number, "has_loan", "是否贷款请填写“是”或“否”")
    buyer_id = normalize_id_number(values["buyer_id_number"])
    if buyer_id and not is_valid_id_number(buyer_id):
        errors.add(
            number, "buyer_id_number", "购房人身份证号不正确（请核对位数、出生日期和校验位）"
        )
    co_name, co_id = values["co_buyer_name"], normalize_id_number(values["co_buyer_id_number"])
    if bool(co_name) != bool(co_id):
        field = "co_buyer_id_number" if co_name else "co_buyer_name"
        errors.add(number, field, "共同购房人的姓名和身份证号须同时填写")
    if co_id and not is_valid_id_number(co_id):
        errors.add(
            number, "co_buyer_id_number", "共同购房人身份证号不正确（请核对位数、出生日期和校验位）"
        )
    if co_id and buyer_id and co_id == buyer_id:
        errors.add(number, "co_buyer_id_number", "共同购房人不能与购房人为同一人")
    if len(errors.items) > before:
        return None
    return Row(
        number=number,
        project_name=values["project_name"],
        developer=values["developer"],
        location=values["location"],
        building=_strip_suffix(values["building"], "栋幢号"),
        room=_strip_suffix(values["room"], "室号"),
        unit_number=unit_number,
        area=area.quantize(Decimal("0.01")),
        use=values["use"],
        contract_number=values["contract_number"],
        buyer_name=values["buyer_name"],
        buyer_id=buyer_id,
        has_loan=has_loan,
        co_buyer_name=co_name or None,
        co_buyer_id=co_id or None,
    )


def parse(text: str, errors: Errors) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        errors.add(1, "file", "导入文件为空")
        return []
    except csv.Error:
        errors.add(1, "file", "无法读取 CSV 表头")
        return []
    keys: list[str | None] = []
    for name in header:
        key = _ALIASES.get(name.strip().lower())
        if key is not None and key in keys:
            errors.add(1, key, f"表头中“{COLUMNS[key][0]}”列重复")
        keys.append(key)
    for key in REQUIRED:
        if key not in keys:
            errors.add(1, key, f"缺少“{COLUMNS[key][0]}”列")
    if errors:
        return []
    rows: list[Row] = []
    number = 1
    try:
        for record in reader:
            number += 1
            if not any(cell.strip() for cell in record):
                continue
            if number - 1 > MAX_ROWS:
                errors.add(number, "file", f"一次最多导入 {MAX_ROWS} 行")
                break
            if len(record) > len(keys):
                errors.add(number, "file", "该行的列数多于表头")
                continue
            raw = {k: v for k, v in zip(keys, record, strict=False) if k is not None}
            row = _parse_row(number, raw, errors)
            if row is not None:
                rows.append(row)
    except csv.Error:
        errors.add(number, "file", "CSV 格式错误（引号不匹配）")
    return rows


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
def _person_values(name: str, id_number: str, key: str) -> dict[str, Any]:
    return {
        "name": name,
        "id_number_enc": pii.encrypt(id_number),
        "id_number_hash": key,
        "id_number_masked": mask_id_number(id_number),
        "birth_date": birth_date_of(id_number),
        "gender": gender_of(id_number),
    }


def _insert_returning(model: Any, key: Any, values: list[dict[str, Any]]) -> dict[Any, int]:
    """Bulk INSERT of `values` (a Core executemany), then the new ids by their unique `key`
    column (a few IN queries: faster on SQLite and PostgreSQL alike than RETURNING per
    batch)."""
    if not values:
        return {}
    table = model.__table__
    for chunk in _chunks(values, 1000):
        db.session.execute(insert(table), list(chunk))
    keys = [v[key.key] for v in values]
    found: dict[Any, int] = {}
    for chunk in _chunks(keys):
        found.update(
            {k: i for k, i in db.session.execute(select(key, model.id).where(key.in_(chunk)))}
        )
    return found


def _apply(plans: Sequence[Plan], found: dict[str, Any], staff: StaffUser) -> dict[str, int]:
    """Write the plan in the request's transaction. New rows (the bulk of an import: up to
    20,000 contracts with their units, buyers and first stage events) go in as bulk Core
    inserts — a few statements per thousand rows instead of an ORM object graph per row,
    which took 27 s for 12,500 rows (bench/bench_import.py). Changed rows (rare) go through
    the ORM objects `_plan` loaded."""
    projects: dict[str, HousingProject] = found["projects"]
    persons: dict[str, Person] = found["persons"]
    now = datetime.now(UTC)
    actor = f"staff:{staff.username}"[:64]
    changing = [plan for plan in plans if plan.action != "unchanged"]
    new_projects = 0
    for plan in changing:
        row = plan.row
        if row.project_name not in projects:
            projects[row.project_name] = HousingProject(
                name=row.project_name, developer=row.developer, location=row.location, stage=None
            )
            db.session.add(projects[row.project_name])
            new_projects += 1
    db.session.flush()  # project ids
    person_ids = {key: person.id for key, person in persons.items()}
    new_people: dict[str, dict[str, Any]] = {}
    for plan in changing:
        row = plan.row
        for name, id_number in (
            (row.buyer_name, row.buyer_id),
            (row.co_buyer_name, row.co_buyer_id),
        ):
            if name and id_number:
                key = pii.id_number_hash(id_number)
                if key not in person_ids and key not in new_people:
                    new_people[key] = _person_values(name, id_number, key)
    person_ids.update(_insert_returning(Person, Person.id_number_hash, list(new_people.values())))

    def person_id(id_number: str | None) -> int | None:
        return person_ids[pii.id_number_hash(id_number)] if id_number else None

    unit_fields = ("location", "use", "area_m2", "building", "room", "project_id")
    new_units: list[dict[str, Any]] = []
    for plan in changing:
        row = plan.row
        fields = dict(
            zip(
                unit_fields,
                (
                    row.unit_location,
                    row.use,
                    row.area,
                    row.building,
                    row.room,
                    projects[row.project_name].id,
                ),
                strict=True,
            )
        )
        if plan.unit is None:
            new_units.append(
                {
                    "unit_number": row.unit_number,
                    "right_type": DEFAULT_RIGHT_TYPE,
                    "right_nature": DEFAULT_RIGHT_NATURE,
                    **fields,
                }
            )
        else:
            for name, value in fields.items():
                setattr(plan.unit, name, value)
    unit_ids = {u.unit_number: u.id for u in (p.unit for p in changing) if u is not None}
    unit_ids.update(_insert_returning(RealEstateUnit, RealEstateUnit.unit_number, new_units))
    new_cases: list[dict[str, Any]] = []
    for plan in changing:
        row = plan.row
        if plan.action == "created":
            new_cases.append(
                {
                    "project_id": projects[row.project_name].id,
                    "unit_id": unit_ids[row.unit_number],
                    "contract_number": row.contract_number,
                    "buyer_id": person_id(row.buyer_id),
                    "co_buyer_id": person_id(row.co_buyer_id) if row.co_buyer_name else None,
                    "has_loan": row.has_loan,
                    "stage": FIRST_STAGE,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        else:
            case = plan.case
            assert case is not None
            case.buyer_id = person_id(row.buyer_id)  # type: ignore[assignment]
            case.co_buyer_id = person_id(row.co_buyer_id) if row.co_buyer_name else None
            case.has_loan = row.has_loan
            case.updated_at = now
    case_ids = _insert_returning(HandoverCase, HandoverCase.contract_number, new_cases)
    events = [
        {
            "case_id": case_id,
            "stage": FIRST_STAGE,
            "reached_at": now,
            "note": "批量导入",
            "actor": actor,
        }
        for case_id in case_ids.values()
    ]
    for chunk in _chunks(events, 1000):
        db.session.execute(insert(HandoverStageEvent), list(chunk))
    db.session.flush()
    return {"projects_created": new_projects, "persons_created": len(new_people)}


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
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Problem(
            409, "import_conflict", "导入时数据被同时修改（可能有另一次导入正在进行），请稍后重试"
        ) from None
    return result
