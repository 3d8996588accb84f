"""Validators for the registry's identifiers (formats in shared/DOMAIN.md)."""

from __future__ import annotations

import re
from datetime import date

# --- 身份证号 (GB 11643-1999) --------------------------------------------------------------
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")


def normalize_id_number(value: str) -> str:
    return value.strip().upper()


def id_number_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def is_valid_id_number(value: str) -> bool:
    """18 chars, a real birth date, and the ISO 7064 MOD 11-2 check character."""
    value = normalize_id_number(value)
    if not _ID_RE.match(value):
        return False
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if birth.year < 1900:
        return False
    return id_number_check_char(value[:17]) == value[17]


def birth_date_of(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def gender_of(id_number: str) -> str:
    return "M" if int(id_number[16]) % 2 else "F"


# --- 不动产单元号 (GB/T 37346-2019) ---------------------------------------------------------
# 6 county + 3 zone + 3 subzone + 2 letters parcel feature + 5 parcel sequence
# + 1 fixture code (F house, L forest, Q other, W none) + 4 building + 4 unit.
_UNIT_RE = re.compile(r"^\d{6}\d{3}\d{3}[A-Z]{2}\d{5}[FLQW]\d{4}\d{4}$")


def is_valid_unit_number(value: str) -> bool:
    return bool(_UNIT_RE.match(value))


# --- 证书号 ---------------------------------------------------------------------------------
_CERT_RE = re.compile(
    r"^(?P<province>[\u4e00-\u9fff])\((?P<year>\d{4})\)(?P<city>[\u4e00-\u9fff]{2,12}?)"
    r"不动产(?P<kind>权|证明)第(?P<seq>\d{7})号$"
)


def normalize_certificate_number(value: str) -> str:
    """Accept full-width brackets and stray spaces as typed from paper."""
    return value.strip().replace("（", "(").replace("）", ")").replace(" ", "")


def parse_certificate_number(value: str) -> dict[str, str] | None:
    match = _CERT_RE.match(normalize_certificate_number(value))
    if not match:
        return None
    parts = match.groupdict()
    parts["kind"] = "property" if parts["kind"] == "权" else "registration"
    return parts


def is_valid_certificate_number(value: str) -> bool:
    return parse_certificate_number(value) is not None


def format_certificate_number(province: str, year: int, city: str, kind: str, seq: int) -> str:
    word = "不动产权" if kind == "property" else "不动产证明"
    return f"{province}({year}){city}{word}第{seq:07d}号"


# --- 印制编号 (project choice: 2-digit province code + 9 digits) -----------------------------
_SERIAL_RE = re.compile(r"^\d{11}$")


def is_valid_print_serial(value: str) -> bool:
    return bool(_SERIAL_RE.match(value.strip()))


# --- 统一社会信用代码 (GB 32100-2015) -------------------------------------------------------
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def is_valid_uscc(value: str) -> bool:
    if len(value) != 18 or any(c not in _USCC_CHARS for c in value):
        return False
    return uscc_check_char(value[:17]) == value[17]


# --- 证照标识 (license_id) with ISO 7064 MOD 37,36 ----------------------------------------
LICENSE_TYPE_PROPERTY = "11100000MB03271699001"
LICENSE_TYPE_REGISTRATION = "11100000MB03271699022"
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LICENSE_RE = re.compile(
    r"^1\.2\.156\.3005\.2\.(?P<type>[0-9A-Z]{21})\.(?P<issuer>[0-9A-Z]{18})\."
    r"(?P<seq>\d{1,12})\.001\.(?P<check>[0-9A-Z])$"
)


def iso7064_mod37_36_check_char(text: str) -> str:
    """ISO/IEC 7064 hybrid system MOD 37,36 over 0-9A-Z (other characters are skipped).

    Project interpretation: the check character covers every alphanumeric character of the
    identifier before it, with the dots left out.
    """
    p = 36
    for char in text.upper():
        if char not in _ALNUM:
            continue
        s = (p + _ALNUM.index(char)) % 36 or 36
        p = (s * 2) % 37
    return _ALNUM[(37 - p) % 36]


def make_license_id(type_code: str, issuer_code: str, sequence: int) -> str:
    body = f"1.2.156.3005.2.{type_code}.{issuer_code}.{sequence}.001"
    return f"{body}.{iso7064_mod37_36_check_char(body)}"


def is_valid_license_id(value: str) -> bool:
    match = _LICENSE_RE.match(value)
    if not match:
        return False
    return iso7064_mod37_36_check_char(value[:-2]) == match["check"]
