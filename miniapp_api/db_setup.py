"""Engine settings that make SQLite behave like a proper transactional database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

MMAP_BYTES = 2**31 - 2**16  # SQLite's default ceiling (SQLITE_MAX_MMAP_SIZE)


def configure_engine_events(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Read the database file through a memory map (shared with the OS page cache and the
        # other workers) instead of copying each page into a private cache: at 1,000,000
        # certificates a check touches pages all over a 2 GB file (docs/performance.md).
        cursor.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        cursor.close()
