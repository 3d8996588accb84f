"""Dates and times: the one definition of China time and of how dates are written.

Stored times are timezone-aware UTC; documents, pages and messages show them in China time
(UTC+8, no daylight saving). Plain functions, no app imports: the renderer uses them too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), "CST")


def utcnow() -> datetime:
    return datetime.now(UTC)


def utcnow_seconds(now: datetime | None = None) -> datetime:
    """Now (or ``now``) without microseconds, as printed and signed on documents."""
    return (now or datetime.now(UTC)).replace(microsecond=0)


def china_today(now: datetime | None = None) -> date:
    """The calendar day in China (ages of children are counted on it)."""
    return (now or datetime.now(UTC)).astimezone(CHINA_TZ).date()


def iso(value: datetime) -> str:
    """``2026-11-30T08:00:00Z`` (f-strings: strftime is several times slower on the hot path)."""
    v = value.astimezone(UTC)
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}Z"


def day(value: datetime | None) -> str | None:
    """A date in China time, ``2026-11-30``."""
    if value is None:
        return None
    local = value.astimezone(CHINA_TZ)
    return f"{local.year:04d}-{local.month:02d}-{local.day:02d}"


def date_zh(value: date) -> str:
    """``2026年11月30日``."""
    return f"{value.year}年{value.month:02d}月{value.day:02d}日"


def day_zh(value: datetime | None) -> str:
    """A date as printed on Chinese documents, in China time: ``2026年11月30日``."""
    if value is None:
        return ""
    return date_zh(value.astimezone(CHINA_TZ))


def time_zh(value: datetime) -> str:
    """``2026年11月30日 16:00:00（北京时间）``."""
    local = value.astimezone(CHINA_TZ)
    return f"{day_zh(value)} {local.hour:02d}:{local.minute:02d}:{local.second:02d}（北京时间）"


def minutes_cn(value: datetime) -> str:
    """``2026-11-30 16:00`` in China time (messages)."""
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def yyyymmdd_cn(value: datetime) -> str:
    """``20261130``: the China-time day in serial numbers."""
    return value.astimezone(CHINA_TZ).strftime("%Y%m%d")
