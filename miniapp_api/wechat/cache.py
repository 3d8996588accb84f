"""Shared key/value caches for WeChat credentials (access_token, jsapi_ticket).

The client only needs four operations, described by :class:`TokenCache`. The app
passes an object that is shared by every worker and machine (Redis in production);
:class:`MemoryCache` is a per-process implementation for tests and single-process
development.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class TokenCache(Protocol):
    """The cache interface the WeChat client expects. Values are strings; ttl in seconds."""

    def get(self, key: str) -> str | None:
        """The value stored under ``key``, or None when absent or expired."""
        ...

    def set(self, key: str, value: str, ttl: int) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds, replacing any value."""
        ...

    def add(self, key: str, value: str, ttl: int) -> bool:
        """Store ``value`` only if ``key`` is absent (set-if-absent). True if it was stored."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key`` (no error when absent)."""
        ...


class MemoryCache:
    """A thread-safe in-process :class:`TokenCache` (tests, single-process development)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._data: dict[str, tuple[str, float]] = {}

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires_at = item
        if self._clock() >= expires_at:
            del self._data[key]
            return None
        return value

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key)

    def set(self, key: str, value: str, ttl: int) -> None:
        with self._lock:
            self._data[key] = (value, self._clock() + ttl)

    def add(self, key: str, value: str, ttl: int) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._data[key] = (value, self._clock() + ttl)
            return True

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


class RedisCache:
    """A :class:`TokenCache` on Redis, shared by all workers and machines.

    ``redis_client`` is a ``redis.Redis`` (or compatible) instance; every key is
    stored under ``prefix`` so that several apps or test runs can share one database.
    """

    def __init__(self, redis_client: Any, prefix: str = "miniapp:") -> None:
        self._redis = redis_client
        self._prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self._prefix}{key}"

    def get(self, key: str) -> str | None:
        value = self._redis.get(self._key(key))
        if value is None:
            return None
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)

    def set(self, key: str, value: str, ttl: int) -> None:
        self._redis.set(self._key(key), value, ex=max(1, int(ttl)))

    def add(self, key: str, value: str, ttl: int) -> bool:
        return bool(self._redis.set(self._key(key), value, ex=max(1, int(ttl)), nx=True))

    def delete(self, key: str) -> None:
        self._redis.delete(self._key(key))
