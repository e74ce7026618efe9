"""Monthly partitions of ``telemetry_reading`` on PostgreSQL, and retention by dropping them.

The parent is a native ``PARTITION BY RANGE (recorded_at)`` table (created by
the migration). Each calendar month (UTC) is one partition named
``telemetry_reading_yYYYYmMM``. Partitions are created ahead of time
(``create_ahead``, run daily by ``privacyops devices partitions``) and, as a
safety net, by ingest for any month a batch needs that does not exist yet, so
an acknowledged reading is never refused for want of a partition.

Retention drops whole partitions: a month goes once every reading in it is past
the longest declared retention of the three categories (``drop_expired``).
DETACH and DROP are O(1) and leave no dead rows, where DELETE would write WAL
for every row and leave vacuum work (measured: 0.01 s against 0.59 s and
271 MB of WAL for one day of 200k rows). The price is granularity: a reading is removed
between its expiry and one month after it. SQLite has no partitions; its sweep
deletes exactly the expired rows of each kind.

Creating a partition takes an ACCESS EXCLUSIVE lock on the parent until the
creating transaction ends. It runs inside the caller's transaction (a crash or
rollback then leaves nothing half made); an advisory lock orders concurrent
creators, and the process-wide cache of known months is only updated after the
commit, so a rolled-back creation is never believed to exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, text
from sqlalchemy.orm import Session

from privacyops.telemetry.models import Reading
from privacyops.vault import hooks

PARENT = "telemetry_reading"
PREFIX = f"{PARENT}_y"
_NAME = re.compile(rf"^{PREFIX}(\d{{4}})m(\d{{2}})$")
_ADVISORY_KEY = 0x7E1E_0001  # serialises partition DDL across processes
_known: dict[str, set[date]] = {}


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def month_of(moment: datetime | date) -> date:
    return date(moment.year, moment.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def months_between(first: datetime | date, last: datetime | date) -> list[date]:
    months, month, end = [], month_of(first), month_of(last)
    while month <= end:
        months.append(month)
        month = next_month(month)
    return months


def partition_name(month: date) -> str:
    return f"{PREFIX}{month.year:04d}m{month.month:02d}"


def _bound(month: date) -> str:
    return f"{month.isoformat()} 00:00:00+00"


def _cache(session: Session) -> set[date]:
    return _known.setdefault(str(session.get_bind().engine.url), set())


def forget() -> None:
    """Forget which months exist (after someone dropped partitions by hand)."""
    _known.clear()


def existing(session: Session) -> dict[date, str]:
    """The partitions attached to the parent now, by month (PostgreSQL only)."""
    names = session.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = CAST(:parent AS regclass)"
        ),
        {"parent": PARENT},
    )
    found: dict[date, str] = {}
    for name in names:
        match = _NAME.match(name)
        if match:
            found[date(int(match[1]), int(match[2]), 1)] = name
    return found


def ensure(session: Session, months: Iterable[date]) -> list[date]:
    """Create the missing partitions among ``months``; returns the months created."""
    if not is_postgres(session):
        return []
    known = _cache(session)
    missing = sorted({m for m in months if m not in known})
    if not missing:
        return []
    present = set(existing(session))
    created = [m for m in missing if m not in present]
    if created:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
        for month in created:
            session.execute(
                text(
                    f"CREATE TABLE IF NOT EXISTS {partition_name(month)} PARTITION OF {PARENT} "
                    f"FOR VALUES FROM ('{_bound(month)}') TO ('{_bound(next_month(month))}')"
                )
            )
    settled = present | set(created)
    hooks.after_commit(session, lambda: known.update(settled))
    return created


def create_ahead(session: Session, *, now: datetime, months: int = 3) -> list[date]:
    """Partitions for this month and ``months`` after it; returns those created."""
    first = month_of(now)
    wanted = [first]
    for _ in range(months):
        wanted.append(next_month(wanted[-1]))
    return ensure(session, wanted)


def droppable(month: date, *, retention: timedelta, now: datetime) -> bool:
    """Every reading of ``month`` is past ``retention``: its newest possible one too."""
    end = datetime(*next_month(month).timetuple()[:3], tzinfo=UTC)
    return end + retention <= now


def drop_expired(session: Session, *, retention: timedelta, now: datetime) -> list[date]:
    """Detach and drop every partition whose readings have all expired; returns their months."""
    dropped = [
        (month, name)
        for month, name in sorted(existing(session).items())
        if droppable(month, retention=retention, now=now)
    ]
    if dropped:
        # Ingest waits while the parent is locked; give up rather than stall it for long.
        session.execute(text("SET LOCAL lock_timeout = '5s'"))
    for _month, name in dropped:
        session.execute(text(f"ALTER TABLE {PARENT} DETACH PARTITION {name}"))
        session.execute(text(f"DROP TABLE {name}"))
    gone = {month for month, _name in dropped}
    known = _cache(session)
    hooks.after_commit(session, lambda: known.difference_update(gone))
    return sorted(gone)


def delete_expired(session: Session, *, cutoffs: dict[str, datetime]) -> int:
    """Retention row by row (no partitions): readings older than their kind's cutoff."""
    removed = 0
    for kind, cutoff in cutoffs.items():
        result = cast(
            CursorResult[Any],
            session.execute(
                delete(Reading).where(Reading.kind == kind, Reading.recorded_at < cutoff),
                execution_options={"synchronize_session": False},
            ),
        )
        removed += result.rowcount
    return removed
