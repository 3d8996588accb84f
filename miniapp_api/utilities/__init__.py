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

import os

from flask import Flask
from flask_smorest import Blueprint

from ..applications import hooks
from . import progress, tasks

bp = Blueprint(
    "utilities",
    __name__,
    url_prefix="/api/v1",
    description="水电气联动过户：供水、供电、供气单位的协办核验与过户",
)

from . import views  # noqa: E402,F401


def _register_hooks(app: Flask) -> None:
    hooks.on(app, "filed", tasks.check_filing)
    hooks.on(app, "accepted", tasks.on_accepted)
    hooks.on(app, "registered", tasks.on_registered)
    hooks.on(app, "withdrawn", tasks.on_closed)
    hooks.on(app, "rejected", tasks.on_closed)
    hooks.add_view_extender(app, progress.extend_view)
    hooks.add_stats_extender(app, progress.stats)
    hooks.add_csv_column(app, "水电气联动过户", progress.csv_cell)


def init_app(app: Flask) -> None:
    """Settings and the listeners on applications' events (``create_app`` calls it)."""
    # Working days a utility has to answer a task before it is overdue (env or config).
    app.config.setdefault(
        "UTILITY_ANSWER_WORKING_DAYS", int(os.environ.get("UTILITY_ANSWER_WORKING_DAYS", "2"))
    )
    _register_hooks(app)
