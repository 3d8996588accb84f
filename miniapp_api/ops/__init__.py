"""Operations endpoints: health check (and, with verify/, the published keys)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from ..database import db
from ..errors import Problem

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """200 when the database answers, 503 problem otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not healthy"
        db.session.rollback()
        raise Problem(503, "database_unavailable", "数据库暂时无法访问") from exc
    return jsonify(status="ok")
