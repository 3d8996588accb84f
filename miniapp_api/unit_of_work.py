"""One unit of work per request: services flush, the request edge commits once.

Services add and change objects and call :func:`done` (a flush). After the view, the edge
(:func:`init_app`'s ``after_request``) commits when the answer is a success and rolls back
when it is a problem — except for work a service marked with :func:`keep_on_problem`: the
audit event of a refusal (``audit.refuse``), a staff login failure count. Callbacks given to
:func:`after_commit` run once the commit succeeded (key-value writes that must follow the
database, e.g. revoking a token family; on SQLite the store's own connection could not write
while this transaction holds the lock).

Outside a request (CLI commands, the outbox worker, scripts and tests calling services
directly) there is no edge: :func:`done` commits at once and callbacks run at once.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, current_app, g, has_request_context

from .database import db

_KEEP = "uow_keep_on_problem"
_AFTER = "uow_after_commit"


def done() -> None:
    """The service's work is complete: flushed now, committed by the request edge."""
    if has_request_context():
        db.session.flush()
    else:
        _commit()


def keep_on_problem() -> None:
    """Commit what this request recorded even though it answers with a problem."""
    if has_request_context():
        setattr(g, _KEEP, True)
    else:
        _commit()


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once this unit of work is committed (at once outside a request)."""
    if has_request_context():
        g.setdefault(_AFTER, []).append(callback)
    else:
        _commit()
        callback()


def _commit() -> None:
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def _finish(response: Response) -> Response:
    callbacks: list[Callable[[], None]] = g.pop(_AFTER, [])
    keep = g.pop(_KEEP, False)
    # A request that never opened the session (a verification check runs on a connection of
    # its own) costs nothing here.
    opened = db.session.registry.has()
    if response.status_code >= 400 and not keep:
        if opened:
            db.session.rollback()
        return response
    try:
        if opened:
            _commit()
        for callback in callbacks:
            callback()
    except Exception as exc:
        # An outage met at the edge (the database refusing the commit, Redis refusing the
        # session write that follows it) gets the same answer as one met in the view: the
        # app's error handlers turn it into a problem (503 with Retry-After), never a bare 500.
        return current_app.make_response(current_app.handle_user_exception(exc))
    return response


def init_app(app: Flask) -> None:
    app.after_request(_finish)
