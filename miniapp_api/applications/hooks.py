"""Extension points of applications for features built on them (utilities, alerts, …).

A feature registers plain callables; the applications package calls them at fixed points,
inside the request's transaction (they add to the session, never commit):

- ``on(event, listener)``: ``listener(app, previous_status)`` after every status change,
  where ``event`` is the new status (``"accepted"``, ``"registered"``, ``"withdrawn"`` …) or
  ``"filed"`` for a new application (``previous_status`` is then ``None``). A listener may
  raise a ``Problem`` to refuse the change (the request rolls back).
- ``VIEW_EXTENDERS``: ``extend(app, view)`` may add keys (and timeline items) to every
  application view (partner, staff and citizen).
- ``STATS_EXTENDERS``: ``extend(lo, hi) -> dict`` adds figures to ``/stats/applications``.
- ``CSV_COLUMNS``: ``(header, cell(app) -> str)`` adds columns to the staff CSV export.

Listeners run in the order they were registered; each event has its own list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..models import Application

Listener = Callable[["Application", "str | None"], None]

LISTENERS: defaultdict[str, list[Listener]] = defaultdict(list)
VIEW_EXTENDERS: list[Callable[[Application, dict[str, Any]], None]] = []
STATS_EXTENDERS: list[Callable[[datetime, datetime], dict[str, Any]]] = []
CSV_COLUMNS: list[tuple[str, Callable[[Application], str]]] = []


def on(event: str, listener: Listener) -> None:
    """Register ``listener`` for ``event`` (once; registering again is a no-op)."""
    if listener not in LISTENERS[event]:
        LISTENERS[event].append(listener)


def emit(event: str, app: Application, previous: str | None) -> None:
    for listener in list(LISTENERS.get(event, ())):
        listener(app, previous)


def extend_view(app: Application, view: dict[str, Any]) -> dict[str, Any]:
    for extend in VIEW_EXTENDERS:
        extend(app, view)
    return view
