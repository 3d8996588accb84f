"""The daily rollup behind `GET /api/v1/stats/applications` (answers at 1,000,000
applications without scanning them): one row per China filing day, kind and channel."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError

from ..clock import china_today
from ..database import db
from ..models import Application, ApplicationDailyStat


def _bump(day: date, kind: str, channel: str, **increments: int) -> None:
    values = {
        name: getattr(ApplicationDailyStat, name) + amount for name, amount in increments.items()
    }
    key = (
        ApplicationDailyStat.day == day,
        ApplicationDailyStat.kind == kind,
        ApplicationDailyStat.channel == channel,
    )
    result = db.session.execute(
        update(ApplicationDailyStat)
        .where(*key)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                ApplicationDailyStat(
                    day=day,
                    kind=kind,
                    channel=channel,
                    filed=increments.get("filed", 0),
                    completed=increments.get("completed", 0),
                    on_time=increments.get("on_time", 0),
                )
            )
    except IntegrityError:  # another transaction created the row meanwhile
        db.session.execute(
            update(ApplicationDailyStat)
            .where(*key)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def on_filed(app: Application) -> None:
    _bump(china_today(app.filed_at), app.kind, app.channel, filed=1)


def on_completed(app: Application) -> None:
    assert app.completed_at is not None
    on_time = app.promised_date is None or china_today(app.completed_at) <= app.promised_date
    _bump(china_today(app.filed_at), app.kind, app.channel, completed=1, on_time=int(on_time))


REBUILD_PG = """
INSERT INTO application_daily_stat (day, kind, channel, filed, completed, on_time)
SELECT (filed_at AT TIME ZONE 'Asia/Shanghai')::date, kind, channel, count(*),
       count(*) FILTER (WHERE status = 'completed' AND completed_at IS NOT NULL),
       count(*) FILTER (WHERE status = 'completed' AND completed_at IS NOT NULL AND
                        (promised_date IS NULL OR
                         (completed_at AT TIME ZONE 'Asia/Shanghai')::date <= promised_date))
FROM application GROUP BY 1, 2, 3
"""


def rebuild() -> int:
    """Recompute every rollup row from the applications (after imports or a data fix)."""
    db.session.execute(delete(ApplicationDailyStat))
    if db.session.get_bind().dialect.name == "postgresql":
        return db.session.execute(text(REBUILD_PG)).rowcount or 0
    counts: dict[tuple[date, str, str], list[int]] = {}
    rows = db.session.execute(
        select(
            Application.filed_at,
            Application.kind,
            Application.channel,
            Application.status,
            Application.completed_at,
            Application.promised_date,
        ).execution_options(yield_per=10000)
    )
    for filed_at, kind, channel, status, completed_at, promised in rows:
        entry = counts.setdefault((china_today(filed_at), kind, channel), [0, 0, 0])
        entry[0] += 1
        if status == "completed" and completed_at is not None:
            entry[1] += 1
            if promised is None or china_today(completed_at) <= promised:
                entry[2] += 1
    db.session.add_all(
        ApplicationDailyStat(
            day=day, kind=kind, channel=channel, filed=v[0], completed=v[1], on_time=v[2]
        )
        for (day, kind, channel), v in counts.items()
    )
    db.session.flush()
    return len(counts)


def totals(start: date, end: date) -> list[tuple[str, str, int, int, int]]:
    return [
        (r.kind, r.channel, int(r.filed or 0), int(r.completed or 0), int(r.on_time or 0))
        for r in db.session.execute(
            select(
                ApplicationDailyStat.kind,
                ApplicationDailyStat.channel,
                func.sum(ApplicationDailyStat.filed).label("filed"),
                func.sum(ApplicationDailyStat.completed).label("completed"),
                func.sum(ApplicationDailyStat.on_time).label("on_time"),
            )
            .where(ApplicationDailyStat.day >= start, ApplicationDailyStat.day <= end)
            .group_by(ApplicationDailyStat.kind, ApplicationDailyStat.channel)
        )
    ]
