"""`Idempotency-Key` on partner POSTs, and the commit at the edge of every partner POST.

- same key, same request (method, path, body) within 24 h → the first answer again (status,
  body), nothing done twice;
- same key, other request → 422 ``idempotency_key_reused``;
- same key while the first is still running → 409 ``idempotency_in_progress``.

The first request's record is committed (as "in flight") before the work starts, so a
concurrent duplicate finds it; the answer is stored in the same transaction as the work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Response, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from ..database import db
from ..errors import Problem, from_http_exception, problem_response
from ..models import IdempotencyRecord
from ..partners.guards import authenticate_partner
from . import events

KEEP = timedelta(hours=24)
# A first request still "in flight" after this long has died (its worker crashed between the
# claim and the answer): a retry may take the key over.
IN_FLIGHT_LEASE = timedelta(minutes=10)
HEADER = "Idempotency-Key"
# The header as documented on a partner POST (`bp.doc(parameters=...)`).
HEADER_PARAMETERS = [{"in": "header", "name": HEADER, "schema": {"type": "string"}}]
MAX_KEY = 100


def _request_hash() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b"\0" + request.path.encode() + b"\0")
    if request.mimetype == "multipart/form-data":
        # The boundary is random per request: hash what the form carries instead.
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(f"form:{name}={value}".encode() + b"\0")
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            digest.update(f"file:{name}:{upload.filename}".encode() + b"\0")
            digest.update(upload.stream.read())
            upload.stream.seek(0)
        return digest.hexdigest()
    digest.update((request.mimetype or "").encode() + b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.body or "", status=record.status_code or 200)
    response.headers["Content-Type"] = record.content_type or "application/json"
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _claim(partner_id: int, key: str, request_hash: str) -> IdempotencyRecord | Response:
    """The in-flight record of this request, or the answer to give instead."""
    cutoff = events.now_utc() - KEEP
    existing = db.session.execute(
        select(IdempotencyRecord).where(
            IdempotencyRecord.partner_id == partner_id, IdempotencyRecord.key == key
        )
    ).scalar_one_or_none()
    abandoned = events.now_utc() - IN_FLIGHT_LEASE
    if existing is not None and (
        existing.created_at < cutoff
        or (existing.status_code is None and existing.created_at < abandoned)
    ):
        db.session.delete(existing)
        db.session.flush()
        existing = None
    if existing is None:
        record = IdempotencyRecord(partner_id=partner_id, key=key, request_hash=request_hash)
        db.session.add(record)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            existing = db.session.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.partner_id == partner_id, IdempotencyRecord.key == key
                )
            ).scalar_one()
        else:
            return record
    if existing.request_hash != request_hash:
        raise Problem(
            422, "idempotency_key_reused", "该幂等键已用于另一个不同的请求，请使用新的幂等键"
        )
    if existing.status_code is None:
        raise Problem(409, "idempotency_in_progress", "相同的请求正在处理中，请稍后再查询结果")
    db.session.rollback()
    return _replay(existing)


def _store(record_id: int, response: Response) -> None:
    record = db.session.get(IdempotencyRecord, record_id)
    if record is None:  # pragma: no cover - deleted by a purge meanwhile
        return
    record.status_code = response.status_code
    record.body = response.get_data(as_text=True)
    record.content_type = response.headers.get("Content-Type")


def _release(record_id: int) -> None:
    db.session.rollback()
    db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
    db.session.commit()


def partner_post(view: Callable[..., Any]) -> Callable[..., Any]:
    """Authenticate the partner, honour ``Idempotency-Key``, commit once at the edge.

    Put it right under ``@bp.post`` so it sees the finished response of the inner decorators.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        partner = authenticate_partner()
        key = request.headers.get(HEADER)
        record_id = None
        if key is not None:
            key = key.strip()
            if not key or len(key) > MAX_KEY or not key.isprintable() or not key.isascii():
                raise Problem(
                    422,
                    "validation_failed",
                    "幂等键须为 1–100 个可打印 ASCII 字符",
                    errors={HEADER: ["格式不正确"]},
                )
            claimed = _claim(partner.id, key, _request_hash())
            if isinstance(claimed, Response):
                return claimed
            record_id = claimed.id
        try:
            response = view(*args, **kwargs)
        except Problem as problem:
            db.session.rollback()
            answer = problem_response(problem)
        except HTTPException as exc:
            db.session.rollback()
            answer = problem_response(from_http_exception(exc))
        except Exception:
            if record_id is not None:
                _release(record_id)
            raise
        else:
            answer = response if isinstance(response, Response) else _to_response(response)
            if answer.status_code >= 400:
                db.session.rollback()
        try:
            if record_id is not None:
                _store(record_id, answer)
            db.session.commit()
        except (StaleDataError, IntegrityError):  # a concurrent change won the race
            db.session.rollback()
            answer = problem_response(
                Problem(409, "conflict", "数据已被他人同时修改，请刷新后重试")
            )
            if record_id is not None:
                _store(record_id, answer)
                db.session.commit()
        return answer

    return wrapper


def _to_response(value: Any) -> Response:
    from flask import current_app

    return current_app.make_response(value)


def purge_expired() -> int:
    """Delete records older than 24 h (run from the sender loop or cron)."""
    result = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < events.now_utc() - KEEP)
    )
    return result.rowcount or 0
