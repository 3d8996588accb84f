"""The code-shape limits of issue #10, kept true: modules stay under 500 lines and view
functions under 15 (logic lives in services)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "miniapp_api"
MAX_MODULE_LINES = 500
MAX_VIEW_LINES = 15
ROUTE_METHODS = {"route", "get", "post", "put", "patch", "delete", "arguments", "response"}


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in PACKAGE.rglob("*.py")]


def _blueprint_names(modules: list[tuple[Path, ast.Module]]) -> set[str]:
    """Names bound anywhere in the package to a `Blueprint(...)` (flask or flask-smorest)."""
    names = set()
    for _, tree in modules:
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
                continue
            func = node.value.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called == "Blueprint":
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _is_route(decorator: ast.expr, blueprints: set[str]) -> bool:
    """`@bp.get(...)`, `@bp.route(...)`, `@bp.arguments(...)`, `@bp.response(...)` and the like
    on a Blueprint, or a composed decorator given the Blueprint (`@citizen_route(bp, ...)`)."""
    if not isinstance(decorator, ast.Call):
        return False
    func = decorator.func
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in blueprints
        and func.attr in ROUTE_METHODS
    ):
        return True
    return any(isinstance(arg, ast.Name) and arg.id in blueprints for arg in decorator.args)


def long_views(max_lines: int = MAX_VIEW_LINES) -> list[str]:
    """Route-decorated functions whose `def` to last line is longer than `max_lines`."""
    modules = _modules()
    blueprints = _blueprint_names(modules)
    found = []
    for path, tree in modules:
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if not any(_is_route(d, blueprints) for d in node.decorator_list):
                continue
            lines = node.end_lineno - node.lineno + 1  # type: ignore[operator]
            if lines > max_lines:
                where = path.relative_to(PACKAGE.parent)
                found.append(f"{where}:{node.lineno} {node.name} ({lines} lines)")
    return sorted(found)


def test_the_checker_finds_route_decorated_functions() -> None:
    # The checker itself can fail: with a limit of one line every view is "long".
    views = long_views(max_lines=1)
    assert any("licenses/views.py" in v and "make_copy" in v for v in views)
    assert any("proofs/views.py" in v and "issue_proof" in v for v in views)
    assert any("applications/views.py" in v for v in views)
    assert len(views) > 50


def test_no_view_function_is_over_15_lines() -> None:
    assert long_views() == []


def test_no_module_is_over_500_lines() -> None:
    sizes = {
        str(path.relative_to(PACKAGE.parent)): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    assert sizes  # the walk found the package
    assert {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES} == {}
