"""一窗办事: registration applications filed by partners or at the window, confirmed by the
parties in WeChat, accepted at one window, processed in parallel and tracked to the end.

``init_app(app)`` registers the blueprint and the CLI (``send-webhooks``,
``workday-override``); ``docs/applications.md`` describes the flow.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Blueprint

bp = Blueprint(
    "applications",
    __name__,
    url_prefix="/api/v1",
    description="一窗办事：登记申请的提交、确认、受理、并行办理和查询",
)

from . import views  # noqa: E402,F401


def init_app(app: Flask) -> None:
    from ..extensions import api
    from .cli import register

    api.register_blueprint(bp)
    register(app)
