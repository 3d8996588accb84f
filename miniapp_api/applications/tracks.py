"""The parallel tracks of a transfer (网签备案, 缴税) and the clock stopped by a correction."""

from __future__ import annotations

from datetime import timedelta

from ..errors import Problem
from ..models import Application
from . import events, workdays


def resume_clock(app: Application) -> None:
    """Extend the promised date by the working days the application stood in correction."""
    if app.paused_at is None or app.promised_date is None:
        app.paused_at = None
        return
    start, end = events.china_date(app.paused_at), events.china_date(events.now_utc())
    overrides = workdays.load_overrides(start, end + timedelta(days=120))
    stopped = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if workdays.is_workday(day, overrides):
            stopped += 1
    if stopped:
        app.promised_date = workdays.add_working_days(app.promised_date, stopped, overrides)
    app.paused_at = None


def report_tax(app: Application, receipt_number: str, actor: str) -> Application:
    """A tax partner's report (or the window's): deed tax paid for a transfer."""
    if app.kind != "transfer" or app.status not in ("submitted", "accepted", "reviewed"):
        raise Problem(409, "track_not_open", "该申请当前不需要或不接受缴税信息")
    if app.tax_paid_at is not None:
        raise Problem(409, "track_already_done", "该申请的缴税已经办结")
    app.tax_receipt = receipt_number
    app.tax_paid_at = events.now_utc()
    app.updated_at = app.tax_paid_at
    events.add_track_event(app, "tax", actor, receipt_number)
    return app


def complete_track(app: Application, track: str, reference: str, actor: str) -> Application:
    if track == "tax":
        return report_tax(app, reference, actor)
    if app.kind != "transfer" or app.status not in ("submitted", "accepted", "reviewed"):
        raise Problem(409, "track_not_open", "该申请当前不需要或不接受网签备案信息")
    if app.contract_filing_at is not None:
        raise Problem(409, "track_already_done", "该申请的网签备案已经办结")
    app.contract_filing_ref = reference
    app.contract_filing_at = events.now_utc()
    app.updated_at = app.contract_filing_at
    events.add_track_event(app, "contract_filing", actor, reference)
    return app
