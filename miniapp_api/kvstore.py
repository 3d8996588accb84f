"""A small shared key-value store with expiry: Redis when REDIS_URL is set, else the database.

It holds what every worker must share: single-use login states, the access-token denylist and
WeChat's access_token / jsapi_ticket. The database backend runs each operation in its own short
transaction, so call it before a request writes through db.session or after it commits
(SQLite allows one writer at a time).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from .database import db
from .models.system import KeyValueEntry


class KeyValueStore:
    def __init__(self) -> None:
        self._redis: Any = None
        self._prefix = "bdc:"
        self._app: Any = None

    def init_app(self, app: Any) -> None:
        self._app = app
        app.extensions["kvstore"] = self
        url = app.config.get("REDIS_URL")
        if url:
            import redis

            self._redis = redis.Redis.from_url(
                url, socket_timeout=2, socket_connect_timeout=2, decode_responses=True
            )
            self._prefix = app.config.get("REDIS_PREFIX", "bdc:")
        else:
            self._redis = None

    @property
    def backend(self) -> str:
        return "redis" if self._redis is not None else "database"

    @property
    def redis(self) -> Any:
        return self._redis

    # database helpers -------------------------------------------------------------------
    @staticmethod
    def _table() -> Any:
        return KeyValueEntry.__table__

    @staticmethod
    def _engine() -> Any:
        return db.engine

    # public API -------------------------------------------------------------------------
    def get(self, key: str) -> str | None:
        if self._redis is not None:
            return self._redis.get(self._prefix + key)
        table = self._table()
        with self._engine().connect() as conn:
            row = conn.execute(
                select(table.c.value, table.c.expires_at).where(table.c.key == key)
            ).first()
        if row is None or row.expires_at <= time.time():
            return None
        return row.value

    def set(self, key: str, value: str, ttl: int) -> None:
        if self._redis is not None:
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

    def purge_expired(self) -> int:
        if self._redis is not None:
            return 0
        table = self._table()
        with self._engine().begin() as conn:
            return conn.execute(delete(table).where(table.c.expires_at <= time.time())).rowcount
