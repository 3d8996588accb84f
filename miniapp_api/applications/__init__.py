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


def _register_demo() -> None:
    from ..demo.info import SECTIONS
    from ..demo.seed import SEED_HOOKS
    from ..dev.serve import STARTUP_HOOKS
    from .demo import demo_section, seed_applications, seed_on_startup

    if seed_applications not in SEED_HOOKS:
        SEED_HOOKS.append(seed_applications)
    if seed_on_startup not in STARTUP_HOOKS:
        STARTUP_HOOKS.append(seed_on_startup)  # `make run`
    if demo_section not in SECTIONS:
        SECTIONS.append(demo_section)


_register_demo()


def _limits(text: str) -> dict[str, int]:
    """``transfer=5,mortgage=3`` → {"transfer": 5, "mortgage": 3}."""
    limits = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        kind, _, days = item.partition("=")
        limits[kind.strip()] = int(days)
    return limits


def init_app(app: Flask) -> None:
    """Blueprint, CLI and settings (from the environment unless the app config has them)."""
    import os

    from ..extensions import api
    from .cli import register

    app.config.setdefault(
        "APPLICATION_LOOKUP_LIMIT", os.environ.get("APPLICATION_LOOKUP_LIMIT", "10 per minute")
    )
    app.config.setdefault(
        "APPLICATION_TIME_LIMITS", _limits(os.environ.get("APPLICATION_TIME_LIMITS", ""))
    )
    api.register_blueprint(bp)
    register(app)
