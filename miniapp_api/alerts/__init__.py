"""产权变动提醒: registered holders are told at once when anything is lodged against their
property (applications filed or accepted, 登簿, encumbrances, certificates cancelled or
replaced), in WeChat and in an in-app inbox, and can stop a fraud with "这不是我办的".

``create_app`` registers the blueprint and the ``alerts-digest`` command; ``init_app(app)``
the hook listeners (``domain/hooks.py``); ``docs/alerts.md`` describes it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Blueprint

from ..applications import hooks as application_hooks
from ..domain import hooks
from . import holds, raising
from .raising import on_application_status

bp = Blueprint(
    "alerts",
    __name__,
    url_prefix="/api/v1",
    description="产权变动提醒：登记申请、限制、证书变化即时提醒，异议暂停登簿，月度核验报告",
)

from . import views  # noqa: E402,F401


def _on_filed(app: Any, previous: str | None) -> None:
    on_application_status(app, None, app.status)


def _on_accepted(app: Any, previous: str | None) -> None:
    on_application_status(app, previous, "accepted")


def _on_registered(app: Any, previous: str | None) -> None:
    on_application_status(app, previous, "registered")


def _listen(app: Flask) -> None:
    # The applications' own extension points (applications/hooks.py, shared with utilities).
    application_hooks.on(app, "filed", _on_filed)
    application_hooks.on(app, "accepted", _on_accepted)
    application_hooks.on(app, "registered", _on_registered)
    application_hooks.add_view_extender(app, holds.add_review_flag)
    # Named events of domain/hooks.py, per app.
    hooks.listen(app, "application.before_register", holds.refuse_if_held)
    hooks.listen(app, "application.list_order", holds.disputed_first)
    hooks.listen(
        app, "encumbrance.added", lambda encumbrance, **_: raising.on_encumbrance(encumbrance, True)
    )
    hooks.listen(
        app,
        "encumbrance.released",
        lambda encumbrance, **_: raising.on_encumbrance(encumbrance, False),
    )
    hooks.listen(
        app,
        "certificate.cancelled",
        lambda certificate, **_: raising.on_certificate(certificate, "cancelled"),
    )
    hooks.listen(
        app,
        "certificate.superseded",
        lambda certificate, replacement=None, **_: raising.on_certificate(
            certificate, "superseded", replacement
        ),
    )


def init_app(app: Flask) -> None:
    """The listeners on applications', encumbrances' and certificates' events."""
    _listen(app)
