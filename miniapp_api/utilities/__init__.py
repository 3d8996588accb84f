"""水电气联动过户: water, power and gas accounts move with the house.

Utilities are partners of kind ``utility`` with one ``service``. The applications package
calls this one through its hooks (``applications.hooks``):

- ``filed`` → utilities only on transfers (normalised choice);
- ``accepted`` → a ``check`` task per opted-in service;
- ``registered`` → a ``transfer`` task per opted-in service;
- ``withdrawn`` / ``rejected`` → pending tasks cancelled;
- view, stats and CSV extenders → the states, the timeline items and the figures.

``docs/utilities.md`` describes the flow and the utility-facing API.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Blueprint

bp = Blueprint(
    "utilities",
    __name__,
    url_prefix="/api/v1",
    description="水电气联动过户：供水、供电、供气单位的协办核验与过户",
)


def _register_hooks() -> None:
    from ..applications import hooks
    from . import progress, tasks

    hooks.on("filed", tasks.check_filing)
    hooks.on("accepted", tasks.on_accepted)
    hooks.on("registered", tasks.on_registered)
    hooks.on("withdrawn", tasks.on_closed)
    hooks.on("rejected", tasks.on_closed)
    if progress.extend_view not in hooks.VIEW_EXTENDERS:
        hooks.VIEW_EXTENDERS.append(progress.extend_view)
    if progress.stats not in hooks.STATS_EXTENDERS:
        hooks.STATS_EXTENDERS.append(progress.stats)
    if not any(header == "水电气联动过户" for header, _ in hooks.CSV_COLUMNS):
        hooks.CSV_COLUMNS.append(("水电气联动过户", progress.csv_cell))


def _register_demo() -> None:
    from ..demo.info import SECTIONS
    from ..demo.seed import SEED_HOOKS
    from ..dev.serve import STARTUP_HOOKS
    from .demo import demo_section, seed_on_startup, seed_utilities

    if seed_utilities not in SEED_HOOKS:
        SEED_HOOKS.append(seed_utilities)
    if seed_on_startup not in STARTUP_HOOKS:
        STARTUP_HOOKS.append(seed_on_startup)
    if demo_section not in SECTIONS:
        SECTIONS.append(demo_section)


def init_app(app: Flask) -> None:
    import os

    from ..extensions import api

    # Working days a utility has to answer a task before it is overdue (env or config).
    app.config.setdefault(
        "UTILITY_ANSWER_WORKING_DAYS", int(os.environ.get("UTILITY_ANSWER_WORKING_DAYS", "2"))
    )
    from . import views  # noqa: F401  (routes)
    from .cli import register

    _register_hooks()
    _register_demo()
    api.register_blueprint(bp)
    register(app)
