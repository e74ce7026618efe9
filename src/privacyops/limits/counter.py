"""Rate limits that hold across processes: one row per key, counted by one atomic statement.

``take`` is a single ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` (SQLite 3.35+
and PostgreSQL): the first hit of a key opens a window of ``window`` seconds,
later hits inside it add one, a hit after it opens a new window. Whatever the
number of web workers, the database hands out the counts one by one, so N
workers allow what one allows.

Each hit is committed at once on a connection of its own, not in the caller's
transaction: a request that fails and rolls back still counts, and the counter
row is locked only for the statement, so hits on one busy key (every login from
one proxy address) never wait for the slow work (a password hash) of another.
Call it before the request's session writes anything (on SQLite a second writer
would wait for the first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Table, case, delete, update
from sqlalchemy.dialects import postgresql, sqlite

from privacyops.db import Database, utcnow
from privacyops.limits.models import LimitCounter

_table: Table = LimitCounter.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Hit:
    """The key's count after this hit, and whether it was within the limit."""

    hits: int
    allowed: bool
    ends_at: datetime


def _upsert(conn: Connection, key: str, window: timedelta, now: datetime) -> tuple[int, datetime]:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(_table).values(key=key, hits=1, started_at=now, ends_at=now + window)
    new = statement.excluded
    expired = _table.c.ends_at <= new.started_at
    statement = statement.on_conflict_do_update(
        index_elements=[_table.c.key],
        set_={
            "hits": case((expired, 1), else_=_table.c.hits + 1),
            "started_at": case((expired, new.started_at), else_=_table.c.started_at),
            "ends_at": case((expired, new.ends_at), else_=_table.c.ends_at),
        },
    ).returning(_table.c.hits, _table.c.ends_at)
    row = conn.execute(statement).one()
    return int(row[0]), row[1]


def take(
    *, db: Database, key: str, limit: int, window: timedelta, now: datetime | None = None
) -> Hit:
    """Count one hit on ``key``; ``allowed`` is false past ``limit`` hits in the window."""
    with db.engine.begin() as conn:
        hits, ends_at = _upsert(conn, key, window, now or utcnow())
    return Hit(hits=hits, allowed=hits <= limit, ends_at=ends_at)


def take_all(
    *, db: Database, keys: list[str], limit: int, window: timedelta, now: datetime | None = None
) -> bool:
    """One hit on each key in one transaction; true if every key is within ``limit``."""
    moment = now or utcnow()
    with db.engine.begin() as conn:
        counts = [_upsert(conn, key, window, moment)[0] for key in sorted(keys)]
    return all(count <= limit for count in counts)


def give_back(*, db: Database, keys: list[str]) -> None:
    """Undo one hit per key (a login that succeeded does not count against the account)."""
    with db.engine.begin() as conn:
        conn.execute(
            update(_table)
            .where(_table.c.key.in_(keys), _table.c.hits > 0)
            .values(hits=_table.c.hits - 1)
        )


def sweep(*, db: Database, now: datetime | None = None) -> int:
    """Delete the rows whose window has ended; returns how many."""
    with db.engine.begin() as conn:
        result = conn.execute(delete(_table).where(_table.c.ends_at <= (now or utcnow())))
    return int(result.rowcount or 0)
