"""Database wiring: the declarative base, engines for SQLite and PostgreSQL, units of work.

Services receive a `Session` and never commit; the face that owns the work (an HTTP
request, a CLI command, a job) commits once through `Database.unit_of_work`.
"""

from __future__ import annotations

import select
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Engine, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, also on SQLite (which drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: pass a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    engine = create_engine(url, pool_size=10, max_overflow=20)
    event.listen(engine, "checkout", _discard_if_closed)
    return engine


def _discard_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pre-ping without the round trip, on every checkout from the pool.

    An idle connection has nothing to read; one the server closed (a restart, an
    idle timeout, ``pg_terminate_backend``) has its end of file, or the server's
    goodbye, waiting on the socket. ``DisconnectionError`` makes the pool discard
    it and hand out another (SQLAlchemy retries the checkout). A request saves a
    ``SELECT 1`` round trip, which on a busy host costs as much as a statement.
    """
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return
    try:
        if dbapi_connection.closed or pgconn.status != 0:  # 0: CONNECTION_OK
            raise DisconnectionError("the connection is closed")
        readable, _, _ = select.select([pgconn.socket], [], [], 0)
    except (OSError, ValueError) as error:
        raise DisconnectionError(str(error)) from error
    except Exception as error:  # the driver's own error for a dead connection
        if type(error).__module__.startswith("psycopg"):
            raise DisconnectionError(str(error)) from error
        raise
    if readable:
        raise DisconnectionError("the server closed the connection")


class Database:
    """One engine and its session factory, owned by the app or the CLI command."""

    def __init__(self, url: str, *, secret: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(
            self.engine, expire_on_commit=False, info={"server_secret": secret}
        )

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """Commit everything done inside the block at once, or nothing if it raises."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
