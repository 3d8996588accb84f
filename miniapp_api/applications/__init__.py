"""一窗办事: registration applications filed by partners or at the window, confirmed by the
parties in WeChat, accepted at one window, processed in parallel and tracked to the end.

``create_app`` registers the blueprint and the CLI (``send-webhooks``,
``workday-override``); ``init_app(app)`` reads the settings;
``docs/applications.md`` describes the flow.
"""

from __future__ import annotations

import os

from flask import Flask
from flask_smorest import Blueprint

bp = Blueprint(
    "applications",
    __name__,
    url_prefix="/api/v1",
    description="一窗办事：登记申请的提交、确认、受理、并行办理和查询",
)

from . import views  # noqa: E402,F401


def _limits(text: str) -> dict[str, int]:
    """``transfer=5,mortgage=3`` → {"transfer": 5, "mortgage": 3}."""
    limits = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        kind, _, days = item.partition("=")
        limits[kind.strip()] = int(days)
    return limits


def init_app(app: Flask) -> None:
    """Settings (from the environment unless the app config has them)."""
    app.config.setdefault(
        "APPLICATION_LOOKUP_LIMIT", os.environ.get("APPLICATION_LOOKUP_LIMIT", "10 per minute")
    )
    app.config.setdefault(
        "APPLICATION_TIME_LIMITS", _limits(os.environ.get("APPLICATION_TIME_LIMITS", ""))
    )
