"""Extension points of applications for features built on them (utilities, alerts, …).

A feature's ``init_app`` (called from ``create_app``) registers plain callables per app
(they live in the app's ``domain/hooks.py`` registry, never in module globals); the
applications package calls them at fixed points, inside the request's transaction (they add
to the session, never commit):

- ``on(flask_app, event, listener)``: ``listener(app, previous_status)`` after every status
  change, where ``event`` is the new status (``"accepted"``, ``"registered"``, ``"withdrawn"``
  …) or ``"filed"`` for a new application (``previous_status`` is then ``None``). A listener
  may raise a ``Problem`` to refuse the change (the request rolls back).
- ``add_view_extender``: ``extend(app, view)`` may add keys (and timeline items) to every
  application view (partner, staff and citizen).
- ``add_stats_extender``: ``extend(lo, hi) -> dict`` adds figures to ``/stats/applications``.
- ``add_csv_column``: ``(header, cell(app) -> str)`` adds a column to the staff CSV export.

Listeners run in the order they were registered; each event has its own list.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, has_app_context

from ..domain import hooks as events

if TYPE_CHECKING:
    from ..models import Application

Listener = Callable[["Application", "str | None"], None]
_CSV = "application_csv_columns"


def on(flask_app: Flask, event: str, listener: Listener) -> None:
    """Register ``listener`` for ``event`` (once; registering again is a no-op)."""
    events.listen(flask_app, f"application.status.{event}", listener)


def emit(event: str, app: Application, previous: str | None) -> None:
    for listener in events.listeners(f"application.status.{event}"):
        listener(app, previous)


def add_view_extender(flask_app: Flask, extend: Callable[..., None]) -> None:
    events.listen(flask_app, "application.view", extend)


def extend_view(app: Application, view: dict[str, Any]) -> dict[str, Any]:
    for extend in events.listeners("application.view"):
        extend(app, view)
    return view


def add_stats_extender(flask_app: Flask, extend: Callable[[datetime, datetime], dict]) -> None:
    events.listen(flask_app, "application.stats", extend)


def stats_extenders() -> list[Callable[[datetime, datetime], dict[str, Any]]]:
    return events.listeners("application.stats")


def add_csv_column(flask_app: Flask, header: str, cell: Callable[[Application], str]) -> None:
    columns = flask_app.extensions.setdefault(_CSV, [])
    if not any(existing == header for existing, _ in columns):
        columns.append((header, cell))


def csv_columns() -> list[tuple[str, Callable[[Application], str]]]:
    if not has_app_context():
        return []
    return list(current_app.extensions.get(_CSV, ()))
