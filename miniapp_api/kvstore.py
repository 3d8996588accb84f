"""A small shared key-value store with expiry: Redis when REDIS_URL is set, else the database.

It holds what every worker must share: single-use login states, staff idle markers and lockout
counters, and WeChat's access_token / jsapi_ticket. Values that must survive a Redis restart —
the logout denylist — are stored with ``durable=True`` and always live in the database. The
database backend runs each operation in its own short transaction, so call it before a request
writes through db.session or after it commits (SQLite allows one writer at a time).

Every Redis command gives up after ``REDIS_TIMEOUT`` seconds (one immediate retry when a
pooled connection was closed by a Redis restart, none after a timeout); a Redis that is down
raises ``redis.ConnectionError`` or ``TimeoutError``, which the error handlers answer with 503
``service_unavailable``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from .database import db
from .models.system import KeyValueEntry

log = logging.getLogger(__name__)


class KeyValueStore:
    def __init__(self) -> None:
        self._redis: Any = None
        self._prefix = "bdc:"
        self._app: Any = None

    def init_app(self, app: Any) -> None:
        self._app = app
        app.extensions["kvstore"] = self
        url = app.config.get("REDIS_URL")
        self._timeout = float(app.config.get("REDIS_TIMEOUT", 0.5))
        if url:
            import redis

            self._redis = redis.Redis.from_url(url, decode_responses=True, **self.client_options())
            self._prefix = app.config.get("REDIS_PREFIX", "bdc:")
        else:
            self._redis = None

    def client_options(self) -> dict[str, Any]:
        """Options of every Redis client (ours and the rate limiter's): short timeouts, one
        immediate retry — for a connection that was closed under us (a Redis restart), not for
        a timeout: a Redis that does not answer within ``REDIS_TIMEOUT`` (paused, overloaded)
        would only make the request wait as long again."""
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        timeout = getattr(self, "_timeout", 0.5)
        return {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry": Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
        }

    @property
    def backend(self) -> str:
        return "redis" if self._redis is not None else "database"

    @property
    def redis(self) -> Any:
        return self._redis

    def healthy(self) -> bool:
        """Redis answers a PING (always True for the database backend, which /healthz
        checks on its own)."""
        if self._redis is None:
            return True
        try:
            return bool(self._redis.ping())
        except Exception:
            return False

    # database helpers -------------------------------------------------------------------
    @staticmethod
    def _table() -> Any:
        return KeyValueEntry.__table__

    @staticmethod
    def _engine() -> Any:
        return db.engine

    # public API -------------------------------------------------------------------------
    def get(self, key: str, *, durable: bool = False) -> str | None:
        if self._redis is not None and not durable:
            return self._redis.get(self._prefix + key)
        table = self._table()
        with self._engine().connect() as conn:
            row = conn.execute(
                select(table.c.value, table.c.expires_at).where(table.c.key == key)
            ).first()
        if row is None or row.expires_at <= time.time():
            return None
        return row.value

    def set(self, key: str, value: str, ttl: int, *, durable: bool = False) -> None:
        """Store `key` for `ttl` seconds. ``durable=True``: in the database (what the durable
        reads consult), mirrored into Redis when it answers (other tools may watch it)."""
        if self._redis is not None and not durable:
            self._redis.set(self._prefix + key, value, ex=max(1, int(ttl)))
            return
        table = self._table()
        expires = time.time() + ttl
        with self._engine().begin() as conn:
            updated = conn.execute(
                update(table).where(table.c.key == key).values(value=value, expires_at=expires)
            ).rowcount
            if not updated:
                conn.execute(insert(table).values(key=key, value=value, expires_at=expires))
        if self._redis is not None:
            import redis

            try:
                self._redis.set(self._prefix + key, value, ex=max(1, int(ttl)))
            except (redis.ConnectionError, redis.TimeoutError):
                log.warning("redis unavailable: durable key %s kept in the database only", key)

    def add(self, key: str, value: str, ttl: int) -> bool:
        """Set only if absent (or expired); True when this call set it."""
        if self._redis is not None:
            return bool(self._redis.set(self._prefix + key, value, ex=max(1, int(ttl)), nx=True))
        table = self._table()
        now = time.time()
        with self._engine().begin() as conn:
            conn.execute(delete(table).where(table.c.key == key, table.c.expires_at <= now))
        try:
            with self._engine().begin() as conn:
                conn.execute(insert(table).values(key=key, value=value, expires_at=now + ttl))
        except IntegrityError:
            return False
        return True

    def pop(self, key: str) -> str | None:
        """Atomically read and delete a key (single-use values such as login states)."""
        if self._redis is not None:
            return self._redis.getdel(self._prefix + key)
        table = self._table()
        with self._engine().begin() as conn:
            row = conn.execute(
                select(table.c.value, table.c.expires_at).where(table.c.key == key)
            ).first()
            if row is None:
                return None
            deleted = conn.execute(delete(table).where(table.c.key == key)).rowcount
        if not deleted or row.expires_at <= time.time():
            return None
        return row.value

    def delete(self, key: str) -> None:
        if self._redis is not None:
            self._redis.delete(self._prefix + key)
            return
        table = self._table()
        with self._engine().begin() as conn:
            conn.execute(delete(table).where(table.c.key == key))

    def any_present(self, keys: list[str], *, durable: bool = False) -> bool:
        """Whether any of `keys` is set (one query or one MGET)."""
        if not keys:
            return False
        if self._redis is not None and not durable:
            return any(v is not None for v in self._redis.mget([self._prefix + k for k in keys]))
        table = self._table()
        with self._engine().connect() as conn:
            row = conn.execute(
                select(table.c.key)
                .where(table.c.key.in_(keys), table.c.expires_at > time.time())
                .limit(1)
            ).first()
        return row is not None

    def purge_expired(self) -> int:
        """Delete expired database entries (durable ones too when Redis holds the rest)."""
        table = self._table()
        with self._engine().begin() as conn:
            return conn.execute(delete(table).where(table.c.expires_at <= time.time())).rowcount
