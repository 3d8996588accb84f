"""Demo rows of the features built on the register (applications, utility transfers,
alerts), made through their real service functions after :func:`seed.seed_demo`.

``seed-demo`` and ``make run`` call :func:`seed_features`; ``demo-info`` shows the
features' sections (:data:`SECTIONS`). The test template database does not carry them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .alerts import demo_section as alerts_section
from .alerts import seed_alerts
from .applications import demo_section as applications_section
from .applications import seed_applications
from .utilities import demo_section as utilities_section
from .utilities import seed_utilities

# In order: utilities and alerts build on the demo applications.
SEEDS: tuple[Callable[[], int], ...] = (seed_applications, seed_utilities, seed_alerts)
SECTIONS: tuple[Callable[[], dict[str, Any]], ...] = (
    applications_section,
    utilities_section,
    alerts_section,
)


def seed_features() -> dict[str, int]:
    """Add each feature's demo rows once (no commit); how many each one made."""
    return {seed.__name__.removeprefix("seed_"): seed() for seed in SEEDS}
