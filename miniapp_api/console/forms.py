"""Form input through the API's own request schemas (the same rules as the JSON API), and
the post-redirect-get round of an action (the commit, a message, back to the page)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Response, flash, redirect
from marshmallow import Schema, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import unit_of_work
from ..database import db
from ..errors import Problem


class FormInvalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def messages(errors: Any) -> str:
    if isinstance(errors, dict):
        return "；".join(f"{key}：{messages(value)}" for key, value in errors.items())
    if isinstance(errors, list):
        return "，".join(messages(e) for e in errors)
    return str(errors)


def as_int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def load(
    schema: Schema,
    form: Any,
    fields: Iterable[str],
    integers: Iterable[str] = (),
    optional: Iterable[str] = (),
) -> dict[str, Any]:
    """Take ``fields`` from a form (blank optional ones left out) and load them with an API
    schema; integers are converted first (the schemas take JSON integers only)."""
    data: dict[str, Any] = {}
    skip_blank = set(optional)
    for name in fields:
        raw = form.get(name)
        if raw is None or (raw.strip() == "" and name in skip_blank):
            continue
        data[name] = as_int(raw) if name in integers else raw.strip()
        if name in integers and data[name] is None:
            raise FormInvalid(f"{name}：须为整数")
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise FormInvalid(messages(exc.messages)) from None


def act(work: Callable[[], Any], success: str, back: str | Callable[[], str]) -> Response:
    """Run one action (flushed; the unit of work commits at the edge); a refusal (Problem,
    invalid form, lost race) is shown on the page it came from and nothing is written."""
    try:
        work()
        unit_of_work.done()
    except FormInvalid as exc:
        db.session.rollback()
        flash(f"填写有误：{exc.message}", "error")
    except Problem as problem:
        db.session.rollback()
        flash(problem.detail, "error")
    except StaleDataError:
        db.session.rollback()
        flash("该记录已被他人同时修改，请刷新后重试", "error")
    except IntegrityError:
        db.session.rollback()
        flash("数据已被他人同时修改，请刷新后重试", "error")
    else:
        flash(success, "ok")
    return redirect(back() if callable(back) else back, code=303)
