"""Named events with a list of listeners per event and per app.

A feature package (alerts, utilities, …) reacts to another package's events without the
emitting code importing it: the feature registers listeners in its ``init_app`` and the
emitter calls :func:`emit` at a clearly named point. Listeners run in the emitter's
transaction (they add rows to the same session, so they commit or roll back with the change);
a listener may raise a ``Problem`` to refuse the change (e.g. a hold refusing 登簿).

Events emitted today (keyword arguments in brackets):

- ``application.before_register`` (app, actor) — just before 登簿 changes the register;
  raising refuses it (``applications/window.py`` ``advance``).
- ``application.list_order`` () — listeners return SQL ORDER BY expressions put before the
  default order of the staff list (``applications/window.py`` ``list_applications``).
- ``encumbrance.added`` (encumbrance, actor) / ``encumbrance.released`` (encumbrance, actor)
  — staff record or end a mortgage, seizure, objection or advance notice
  (``staff/certificate_service.py``).
- ``certificate.cancelled`` (certificate, reason) / ``certificate.superseded``
  (certificate, replacement, reason) — staff cancel or replace a certificate
  (``staff/certificate_service.py``).

Status changes and views of applications have their own extension points in
``applications/hooks.py`` (``on(status, listener)``, ``VIEW_EXTENDERS``); they are the events
``application.status.<status>`` (app, previous) and ``application.view`` (app, view) here,
which ``handover/follow.py`` listens to directly (handover may not import applications).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context

Listener = Callable[..., Any]
_KEY = "bdc_hooks"


def _registry(app: Flask) -> dict[str, list[Listener]]:
    return app.extensions.setdefault(_KEY, {})


def listen(app: Flask, event: str, listener: Listener) -> None:
    """Call ``listener(**payload)`` whenever ``event`` is emitted in this app (once)."""
    listeners = _registry(app).setdefault(event, [])
    if listener not in listeners:
        listeners.append(listener)


def listeners(event: str) -> list[Listener]:
    if not has_app_context():
        return []
    return list(_registry(current_app).get(event, ()))  # type: ignore[arg-type]


def emit(event: str, **payload: Any) -> list[Any]:
    """Run the event's listeners in order; their return values, in the same order."""
    return [listener(**payload) for listener in listeners(event)]
