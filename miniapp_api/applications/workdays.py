"""Working days on the official Chinese calendar (time limits of registration applications).

Three sources, in order:

1. ``WorkingDayOverride`` rows: the State Council's published schedule as an admin entered it
   (国务院办公厅关于部分节假日安排的通知, published each autumn for the next year). They
   override everything else, so a schedule the package does not know yet is one table away.
2. The ``chinese_calendar`` package (public holidays and make-up working days 调休, 2004 up to
   the last year it ships; it raises ``NotImplementedError`` beyond).
3. Past the package's data: weekends off plus the fixed-date public holidays (元旦 1 Jan,
   劳动节 1 May, 国庆节 1–3 Oct), with a warning in the log — a deadline never fails, it may
   be a little early, and the warning tells the admin to enter the year's schedule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date, timedelta

import chinese_calendar
from sqlalchemy import select

from ..extensions import db
from ..models import WorkingDayOverride

log = logging.getLogger(__name__)

# Fixed-date statutory holidays (the lunar ones move; the override table has them).
FIXED_HOLIDAYS = {(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)}

DayRule = Callable[[date], bool]


def package_is_workday(day: date) -> bool | None:
    """What the calendar package says, or None when it has no data for that year."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def fallback_is_workday(day: date) -> bool:
    return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def load_overrides(start: date, end: date) -> dict[date, bool]:
    """The admin's entries between two days (inclusive)."""
    rows = db.session.execute(
        select(WorkingDayOverride.day, WorkingDayOverride.is_workday).where(
            WorkingDayOverride.day >= start, WorkingDayOverride.day <= end
        )
    ).all()
    return {row.day: bool(row.is_workday) for row in rows}


def is_workday(day: date, overrides: Mapping[date, bool] | None = None) -> bool:
    """One day's answer from the override table, the package, or the fallback (logged)."""
    if overrides is not None and day in overrides:
        return overrides[day]
    known = package_is_workday(day)
    if known is not None:
        return known
    log.warning(
        "working days: no calendar data for %s; using weekends and fixed holidays "
        "(enter the published schedule in working_day_override)",
        day.year,
    )
    return fallback_is_workday(day)


def add_working_days(start: date, days: int, overrides: Mapping[date, bool] | None = None) -> date:
    """The day on which ``days`` working days after ``start`` have passed.

    The start day itself does not count (an application accepted on a Friday with a limit of
    one working day is due on the next working day). ``overrides`` defaults to the table.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    if overrides is None:
        # Generous window: 30 working days never span more than ~70 calendar days.
        overrides = load_overrides(start, start + timedelta(days=days * 3 + 40))
    day, left = start, days
    warned_years: set[int] = set()
    while left > 0:
        day += timedelta(days=1)
        if day in overrides:
            workday = overrides[day]
        else:
            known = package_is_workday(day)
            if known is None:
                if day.year not in warned_years:
                    warned_years.add(day.year)
                    log.warning(
                        "working days: no calendar data for %s; using weekends and fixed "
                        "holidays (enter the published schedule in working_day_override)",
                        day.year,
                    )
                workday = fallback_is_workday(day)
            else:
                workday = known
        if workday:
            left -= 1
    return day


def set_override(day: date, is_workday_: bool, note: str | None = None) -> WorkingDayOverride:
    """Enter or change one day of the published schedule (no commit)."""
    row = db.session.get(WorkingDayOverride, day)
    if row is None:
        row = WorkingDayOverride(day=day, is_workday=is_workday_, note=note)
        db.session.add(row)
    else:
        row.is_workday = is_workday_
        row.note = note
    return row


def set_override_checked(day_text: str, is_workday_: bool, note: str | None) -> WorkingDayOverride:
    """``set_override`` for the admin endpoint: a malformed date is a 404, and audited."""
    from ..domain import audit
    from ..errors import Problem

    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise Problem(404, "not_found", "日期格式应为 YYYY-MM-DD") from None
    if not 2000 <= day.year <= 2100:
        raise Problem(404, "not_found", "日期超出范围")
    row = set_override(day, is_workday_, note)
    audit.record(
        "working_day.set",
        object_type="working_day_override",
        object_id=day.isoformat(),
        detail={"is_workday": is_workday_},
    )
    db.session.flush()
    return row
