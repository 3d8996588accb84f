"""Reading a 交房即交证 CSV file: decoding, header aliases, one validated :class:`Row` per
line, and the per-row error list (columns: docs/handover.md, "CSV import").

Row numbers are spreadsheet rows: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app

from ..domain.validators import (
    is_valid_id_number,
    is_valid_unit_number,
    normalize_id_number,
)
from ..errors import Problem
from ..inputs import has_bad_text, has_unprintable_text

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
