"""Plain, frozen input records for the renderers.

The application fills these from its database rows; the renderers never see
ORM objects, Flask or the network.  Row types (holders, family members,
units) are named tuples, so plain tuples such as ``("张三", None)`` are
accepted as well.  Sequences are normalised to tuples so that a document is
immutable once built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

CO_OWNERSHIP_KINDS = ("单独所有", "共同共有", "按份共有")
PROOF_SCOPES = ("个人", "家庭")


class Holder(NamedTuple):
    """A right holder (权利人) and, for 按份共有, the share text (e.g. "50%")."""

    name: str
    share: str | None = None


class FamilyMember(NamedTuple):
    """A family member included in a 家庭 housing-proof query."""

    relation: str  # e.g. 配偶, 子女
    name: str
    id_masked: str


class PropertyUnit(NamedTuple):
    """One unit found by a housing-proof query."""

    location: str
    area_m2: Decimal | str
    use: str
    certificate_number: str
    holder_names: Sequence[str] | str


def format_area(value: Decimal | str | int | float) -> str:
    """Format an area in m² with exactly two decimals ("89.5" -> "89.50")."""
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"invalid area: {value!r}") from exc
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"invalid area: {value!r}")
    return f"{amount.quantize(Decimal('0.01')):f}"


def _freeze(obj: object, name: str, row_type: type | None = None) -> None:
    value = getattr(obj, name)
    if isinstance(value, str):
        raise TypeError(f"{name} must be a sequence, not a string")
    items = tuple(value)
    if row_type is not None:
        items = tuple(row_type(*item) for item in items)
    object.__setattr__(obj, name, items)


def _require_text(obj: object, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name} must be a non-empty string")


@dataclass(frozen=True)
class LicenseDocument:
    """An e-license (电子证照) of a 不动产权证书 plus its annotation (加注)."""

    registry_name: str
    certificate_number: str
    license_id: str
    holders: Sequence[Holder]
    co_ownership: str
    location: str
    unit_number: str
    right_type: str
    right_nature: str
    use: str
    area_m2: Decimal | str
    term: str
    notes: Sequence[str]
    issued_on: date
    # Annotation (加注) of this downloaded copy.
    maker: str
    made_at: datetime
    purpose: str
    valid_until: datetime
    verification_url: str
    copy_serial: str
    # 权利其他状况 lines (structure, floors, ...); empty prints "/".
    other_conditions: Sequence[str] = field(default=())

    def __post_init__(self) -> None:
        _freeze(self, "holders", Holder)
        _freeze(self, "notes")
        _freeze(self, "other_conditions")
        if not self.holders:
            raise ValueError("a license needs at least one holder")
        if self.co_ownership not in CO_OWNERSHIP_KINDS:
            raise ValueError(f"co_ownership must be one of {CO_OWNERSHIP_KINDS}")
        _require_text(
            self,
            "registry_name",
            "certificate_number",
            "license_id",
            "location",
            "unit_number",
            "maker",
            "purpose",
            "verification_url",
            "copy_serial",
        )
        format_area(self.area_m2)  # validates


@dataclass(frozen=True)
class ProofDocument:
    """A housing proof (有房/无房证明, 不动产登记信息查询结果证明)."""

    registry_name: str
    serial: str
    applicant_name: str
    applicant_id_masked: str
    scope: str
    family_members: Sequence[FamilyMember]
    purpose: str
    queried_at: datetime
    has_property: bool
    units: Sequence[PropertyUnit]
    issued_at: datetime
    valid_until: datetime
    verification_url: str

    def __post_init__(self) -> None:
        _freeze(self, "family_members", FamilyMember)
        _freeze(self, "units", PropertyUnit)
        units = []
        for unit in self.units:
            names = unit.holder_names
            names = (names,) if isinstance(names, str) else tuple(names)
            format_area(unit.area_m2)  # validates
            units.append(unit._replace(holder_names=names))
        object.__setattr__(self, "units", tuple(units))
        if self.scope not in PROOF_SCOPES:
            raise ValueError(f"scope must be one of {PROOF_SCOPES}")
        if self.scope == "个人" and self.family_members:
            raise ValueError("a 个人 proof has no family members")
        if self.has_property != bool(self.units):
            raise ValueError("has_property must be True exactly when units are given")
        _require_text(
            self,
            "registry_name",
            "serial",
            "applicant_name",
            "applicant_id_masked",
            "purpose",
            "verification_url",
        )
