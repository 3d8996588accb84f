"""The staff console: server-rendered pages under /staff/ for the registry's window.

Plain HTML forms (no JavaScript needed) over the same domain functions as the staff API, with
its own cookie session (HttpOnly, Secure, SameSite=Strict, path /staff), CSRF on every form
(Flask-WTF's CSRFProtect, checked only here) and its own strict CSP. ``docs/console.md``
shows each screen. ``create_app`` registers the blueprint and calls ``init_app(app)``.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/staff",
    template_folder="templates",
)

from . import (  # noqa: E402,F401
    applications,
    audit_log,
    auth,
    certificates,
    figures,
    handover,
    notifications,
    templating,
)


def init_app(app: Flask) -> None:
    """Session (scoped to /staff) and CSRF (checked by the console only); create_app registers
    the blueprint."""
    from .auth import csrf
    from .session import ConsoleSessions

    app.session_interface = ConsoleSessions(app.session_interface)
    # CSRFProtect would otherwise check every POST of the app (the JSON API has no cookies and
    # needs none); the console's before_request calls csrf.protect() itself.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid as long as the session is
    csrf.init_app(app)
