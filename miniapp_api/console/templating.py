"""Template filters of the console (China time for timestamps)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..clock import CHINA_TZ
from . import bp


@bp.app_template_filter("cn")
def china_time(value: Any) -> str:
    if not isinstance(value, datetime):
        return "" if value is None else str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


@bp.app_template_filter("drop")
def drop(mapping: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k not in keys}
