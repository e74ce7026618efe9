"""What differs between the databases an external source may be: PostgreSQL, MariaDB, SQLite.

Timeouts: every connection and every statement has a bound (the source's
``timeout_seconds``), so a source that hangs stops the request step with an
error instead of holding it: PostgreSQL ``connect_timeout`` and
``statement_timeout``/``lock_timeout``; MariaDB (PyMySQL) ``connect_timeout``,
``read_timeout`` and the session's ``max_statement_time`` and
``innodb_lock_wait_timeout``; SQLite its busy timeout.

Round trips: a request's reads are its own statements only. A pooled
connection is pinged before use only when it has been idle for
``PING_AFTER_SECONDS`` (a connection in steady use is not, and one that broke
while idle is replaced before the request sees it); on PostgreSQL reads run in
autocommit (``reads``), so no ``BEGIN``/``ROLLBACK`` pair frames them.

Indexes: ``leading_columns`` lists the first column of every index, unique
constraint and the primary key, as SQLAlchemy's inspector reports them on
each dialect; a lookup column must be one of them.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

#: A pooled connection idle longer than this is pinged before it is used again.
PING_AFTER_SECONDS = 10.0

_engines: dict[tuple[str, float], Engine] = {}
_engines_lock = threading.Lock()


def connect_args(url: str, timeout: float) -> dict[str, Any]:
    backend = make_url(url).get_backend_name()
    whole = max(1, math.ceil(timeout))
    millis = max(1, int(timeout * 1000))
    if backend == "postgresql":
        return {
            "connect_timeout": whole,
            "options": f"-c statement_timeout={millis} -c lock_timeout={millis}",
        }
    if backend in ("mysql", "mariadb"):
        return {
            "connect_timeout": whole,
            "read_timeout": whole,
            "write_timeout": whole,
            "charset": "utf8mb4",
            "init_command": (
                f"SET SESSION max_statement_time={timeout:.3f}, innodb_lock_wait_timeout={whole}"
            ),
        }
    if backend == "sqlite":
        return {"timeout": timeout, "check_same_thread": False}
    return {}


def engine_for(url: str, *, timeout: float = 10.0) -> Engine:
    """One engine (and pool) per external database and timeout for the life of the process."""
    with _engines_lock:
        engine = _engines.get((url, timeout))
        if engine is None:
            engine = create_engine(url, connect_args=connect_args(url, timeout))
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_foreign_keys)
            _ping_when_idle(engine)
            _engines[(url, timeout)] = engine
        return engine


def reads(conn: Connection) -> Connection:
    """``conn`` for reads only: autocommit on PostgreSQL (no transaction to open and end)."""
    if conn.dialect.name == "postgresql":
        return conn.execution_options(isolation_level="AUTOCOMMIT")
    return conn


def _ping_when_idle(engine: Engine) -> None:
    def fresh(_dbapi: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    def check(dbapi: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        since = record.info.get("idle_since")
        if since is not None and time.monotonic() - since < PING_AFTER_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi)
        except Exception as error:  # the pool replaces the connection and tries again
            raise exc.DisconnectionError(f"ping failed: {type(error).__name__}") from None

    event.listen(engine.pool, "connect", fresh)
    event.listen(engine.pool, "checkin", fresh)
    event.listen(engine.pool, "checkout", check)


def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA foreign_keys=ON")


def dispose_engines() -> None:
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def leading_columns(conn: Connection, table: str, schema: str | None) -> set[str]:
    """The first column of each index, unique constraint and the primary key of the table."""
    insp = inspect(conn)
    # SQLite backs an inline UNIQUE with an automatic index it does not list by default.
    auto = {"include_auto_indexes": True} if conn.dialect.name == "sqlite" else {}
    lists: list[list[str | None]] = [
        *(
            list[str | None](ix["column_names"])
            for ix in insp.get_indexes(table, schema=schema, **auto)
        ),
        *(
            list[str | None](uc["column_names"])
            for uc in insp.get_unique_constraints(table, schema=schema)
        ),
        list(insp.get_pk_constraint(table, schema=schema)["constrained_columns"]),
    ]
    return {str(names[0]) for names in lists if names and names[0] is not None}


__all__ = [
    "PING_AFTER_SECONDS",
    "connect_args",
    "dispose_engines",
    "engine_for",
    "leading_columns",
    "reads",
]
