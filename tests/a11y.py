"""Accessibility measurements made in the browser (not asserted by hand): axe-core through
axe-playwright-python, WCAG contrast of every visible text from computed colours, text sizes,
and the bounding boxes of every tap target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# tests/a11y.js holds two functions: every visible element with its own text (size, weight,
# colour, and the colour behind it alpha-composited up the ancestors; over a gradient the worst
# of its colours counts), and every visible tap target with its box (a visually hidden radio
# counts through its label).
_SOURCE = (Path(__file__).with_name("a11y.js")).read_text(encoding="utf-8")
_TEXT_JS, _TARGETS_JS = (
    part.strip() for part in _SOURCE.split("/* TEXT */")[1].split("/* TARGETS */")
)


def text_samples(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(_TEXT_JS)


def low_contrast(page: Any) -> list[dict[str, Any]]:
    """Texts under 4.5:1 (3:1 for large text), measured from computed styles."""
    return [t for t in text_samples(page) if t["ratio"] < t["need"]]


def small_text(page: Any, minimum: float = 14.0) -> list[dict[str, Any]]:
    return [t for t in text_samples(page) if t["size"] < minimum - 0.01]


def targets(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(_TARGETS_JS)


def small_targets(page: Any, minimum: float) -> list[dict[str, Any]]:
    return [t for t in targets(page) if t["width"] < minimum - 0.5 or t["height"] < minimum - 0.5]


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
