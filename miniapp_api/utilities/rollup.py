"""The daily rollup of opted-in utility transfers (``utility_transfers.requested``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..applications.events import china_date
from ..database import db
from ..models import Application, UtilityDailyStat


def bump(day: date, service: str, delta: int) -> None:
    """Add ``delta`` to one (day, service) row, creating it when missing (race-safe)."""
    key = (UtilityDailyStat.day == day, UtilityDailyStat.service == service)
    change = (
        update(UtilityDailyStat).where(*key).values(requested=UtilityDailyStat.requested + delta)
    )
    if db.session.execute(change.execution_options(synchronize_session=False)).rowcount:
        return
    try:
        with db.session.begin_nested():
            db.session.add(UtilityDailyStat(day=day, service=service, requested=delta))
    except IntegrityError:  # another transaction created the row meanwhile
        db.session.execute(change.execution_options(synchronize_session=False))


def on_choice(app: Application, before: set[str], after: set[str]) -> None:
    day = china_date(app.filed_at)
    for service in after - before:
        bump(day, service, 1)
    for service in before - after:
        bump(day, service, -1)


def requested(start: date, end: date) -> dict[str, int]:
    rows = db.session.execute(
        select(UtilityDailyStat.service, func.sum(UtilityDailyStat.requested))
        .where(UtilityDailyStat.day >= start, UtilityDailyStat.day <= end)
        .group_by(UtilityDailyStat.service)
    )
    return {service: int(total or 0) for service, total in rows}


def rebuild() -> int:
    """Recompute the rollup from the applications (after imports or a data fix); no commit."""
    db.session.execute(delete(UtilityDailyStat))
    counts: dict[tuple[date, str], int] = {}
    rows = db.session.execute(
        select(Application.filed_at, Application.utilities)
        .where(Application.kind == "transfer")
        .execution_options(yield_per=10000)
    )
    for filed_at, chosen in rows:
        for item in chosen or []:
            key = (china_date(filed_at), item["service"])
            counts[key] = counts.get(key, 0) + 1
    for (day, service), count in counts.items():
        db.session.add(UtilityDailyStat(day=day, service=service, requested=count))
    db.session.flush()
    return len(counts)
