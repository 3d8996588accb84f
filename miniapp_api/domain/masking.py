"""Masking rules for personal data on every view but the holder's own (DOMAIN.md)."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧**明."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(id_number: str) -> str:
    """Keep the first 6 and the last 4: 430681********1234."""
    if len(id_number) < 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask_phone(phone: str) -> str:
    """Keep the first 3 and the last 4: 138****5678."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_contract_number(number: str) -> str:
    """Keep the first 4 and the last 4 characters of a contract filing number."""
    if len(number) <= 8:
        return number[:2] + "*" * max(0, len(number) - 2)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
