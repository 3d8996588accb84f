"""Core statements run straight on the DBAPI cursor — the verification hot path only.

SQLAlchemy's per-execution machinery (execution context, result metadata, events) costs
100–250 µs per statement, as much as the query itself. A :class:`RawStatement` is compiled
by SQLAlchemy once per dialect — so the SQL, the parameter style, the bind casts and the
column types are exactly SQLAlchemy's — and then executed on the connection's DBAPI cursor,
applying the same bind and result processors the types define (e.g. SQLite's datetime text,
``UTCDateTime``, ``Numeric`` → ``Decimal``, JSON). Engine events do not fire for these
statements.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement


class _Prepared:
    def __init__(self, stmt: Any, dialect: Dialect) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = str(compiled)
        self.positional: list[str] | None = (
            list(compiled.positiontup or []) if compiled.positional else None
        )
        self.bind: dict[str, Callable[[Any], Any] | None] = {
            key: bind.type._cached_bind_processor(dialect) for key, bind in compiled.binds.items()
        }
        self.bind_keys = {bind.key: key for key, bind in compiled.binds.items()}
        # Positional drivers (sqlite3): per position, the caller's name and its processor.
        names = {key: name for name, key in self.bind_keys.items()}
        self.plan = (
            [(names.get(key, key), self.bind.get(key)) for key in self.positional]
            if self.positional is not None
            else None
        )
        self.dialect = dialect
        self.columns = list(getattr(stmt, "selected_columns", []) or [])
        self.row: Any = None
        self.result: list[Callable[[Any], Any] | None] | None = None
        if self.columns:
            names = [c.key for c in self.columns]
            if len(set(names)) != len(names):
                raise ValueError(f"duplicate column names in {names}")
            self.row = namedtuple("Row", names)

    def result_processors(self, description: Any) -> list[Callable[[Any], Any] | None]:
        """Per column, from the types and the driver's type codes (first execution)."""
        if self.result is None:
            self.result = [
                c.type._cached_result_processor(self.dialect, d[1])
                for c, d in zip(self.columns, description, strict=True)
            ]
        return self.result

    def params(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        if self.plan is not None:
            row = []
            for name, proc in self.plan:
                value = values[name]
                row.append(value if proc is None or value is None else proc(value))
            return tuple(row)
        converted: dict[str, Any] = {}
        for name, value in values.items():
            key = self.bind_keys.get(name, name)
            proc = self.bind.get(key)
            converted[key] = proc(value) if proc is not None and value is not None else value
        return converted


class RawStatement:
    """A statement compiled per dialect and executed on the raw DBAPI cursor."""

    def __init__(self, stmt: ClauseElement) -> None:
        self.stmt = stmt
        self._prepared: dict[str, _Prepared] = {}

    def _for(self, dialect: Dialect) -> _Prepared:
        key = f"{dialect.name}+{dialect.driver}"
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self._prepared[key] = _Prepared(self.stmt, dialect)
        return prepared

    def all(self, conn: Connection, values: Mapping[str, Any]) -> list[Any]:
        """Rows as named tuples (the statement's column keys)."""
        prepared = self._for(conn.dialect)
        params = prepared.params(values)
        cursor = None
        try:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            cursor.execute(prepared.sql, params)
            rows = cursor.fetchall()
            procs = prepared.result_processors(cursor.description)
        except conn.dialect.loaded_dbapi.Error as exc:
            _translate(conn, exc, prepared.sql, params, cursor)
        finally:
            _close(cursor)
        make = prepared.row._make
        if not any(procs):
            return [make(r) for r in rows]
        return [
            make(
                p(v) if p is not None and v is not None else v
                for p, v in zip(procs, r, strict=True)
            )
            for r in rows
        ]

    def run(self, conn: Connection, values: Mapping[str, Any]) -> None:
        """Execute a statement without rows (an insert)."""
        prepared = self._for(conn.dialect)
        params = prepared.params(values)
        cursor = None
        try:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            cursor.execute(prepared.sql, params)
        except conn.dialect.loaded_dbapi.Error as exc:
            _translate(conn, exc, prepared.sql, params, cursor)
        finally:
            _close(cursor)


def scalar(conn: Connection, sql: str) -> Any:
    """First column of the first row of a fixed statement (``SELECT 1`` of /healthz), on the
    raw cursor with the same error translation as the hot path's statements."""
    cursor = None
    try:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(sql)
        row = cursor.fetchone()
    except conn.dialect.loaded_dbapi.Error as exc:
        _translate(conn, exc, sql, None, cursor)
    finally:
        _close(cursor)
    return row[0] if row else None


def _translate(conn: Connection, exc: Exception, sql: str, params: Any, cursor: Any) -> None:
    """Raise the driver's error as SQLAlchemy would for its own statements: a ``DBAPIError``
    (``OperationalError``, ``IntegrityError`` …) whose ``connection_invalidated`` says whether
    the connection died. On a disconnect the connection is invalidated and so is every
    connection its pool handed out before (they are replaced at their next checkout), so a
    database restart or a terminated backend costs one retry, never a pool of dead
    connections. (``Connection._handle_dbapi_exception`` is what ``Connection.execute``
    itself calls on a driver error.)"""
    conn._handle_dbapi_exception(exc, sql, params, cursor, None)


def _close(cursor: Any) -> None:
    if cursor is None:
        return
    with suppress(Exception):  # closing a cursor of a dead connection may fail; no matter
        cursor.close()
