"""Operations endpoints: health check (and, with verify/, the published keys)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy.exc import DBAPIError

from ..domain.rawsql import scalar
from ..errors import Problem
from ..extensions import kv
from ..verification.service import check_connection

bp = Blueprint("ops", __name__)

RETRY_AFTER = "5"


def _database_answers() -> bool:
    """One ``SELECT 1`` on the connection public verification uses (its own pool, raw cursor,
    autocommit); a connection that died since it was pooled is replaced once, as a check does.
    The ORM's engine reaches the same database and pre-pings its own connections, so a second
    probe through it would tell nothing more (and cost every health poll a second checkout)."""
    for attempt in (1, 2):
        try:
            with check_connection() as conn:
                scalar(conn, "SELECT 1")
            return True
        except DBAPIError as exc:
            if attempt == 2 or not exc.connection_invalidated:
                return False
    return False  # pragma: no cover - the loop returns


def _require_healthy() -> None:
    """Raise the 503 problem naming the first dependency (database, then Redis) that does not
    answer."""
    try:
        database_ok = _database_answers()
    except Exception:
        database_ok = False
    if not database_ok:
        raise Problem(
            503,
            "database_unavailable",
            "数据库暂时无法访问",
            headers={"Retry-After": RETRY_AFTER},
            dependency="database",
        )
    if not kv.healthy():
        raise Problem(
            503,
            "service_unavailable",
            "缓存服务（Redis）暂时无法访问",
            headers={"Retry-After": RETRY_AFTER},
            dependency="redis",
        )


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """200 when the database (and Redis, when configured) answers; else 503 naming it."""
    _require_healthy()
    return jsonify(status="ok")
