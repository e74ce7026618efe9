"""One batch of a sweep: pick the next due rows by id, delete them (or count them
anonymously, then delete them) and say how far the batch got.

Each batch is one statement on the rows it removes, so a batch is all or
nothing once the sweep's checkpoint commits it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, any_, bindparam, cast, delete, not_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from privacyops.retention.holds import held_by
from privacyops.retention.models import AnonymousCount, LegalHold
from privacyops.subjects.models import PersonalRecord


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


#: The rows a batch picks, under an alias so that a DELETE around it cannot correlate it away.
DUE = aliased(PersonalRecord, name="due")


def _due(
    category: str,
    cutoff: datetime,
    batch: int,
    holds: Sequence[LegalHold],
    after: int,
    postgres: bool,
    *columns: Any,
) -> Any:
    """The next batch of due rows after id ``after``.

    Keyset by id: each batch starts where the last one ended, so a long sweep
    never walks again over the rows (on PostgreSQL, the dead tuples) that its
    earlier batches removed; without it every batch rescans them and a sweep
    of 10^6 rows slows down batch by batch.
    """
    query = select(*columns).where(
        DUE.category == category, DUE.expires_at <= cutoff, DUE.id > after
    )
    if holds:
        query = query.where(not_(held_by(holds, DUE)))
    query = query.order_by(DUE.id).limit(batch)
    return query.with_for_update(skip_locked=True, of=DUE) if postgres else query


def _among(column: Any, ids: list[int], postgres: bool) -> Any:
    """``column IN ids``; on PostgreSQL as one array parameter (``= ANY``)."""
    if postgres:
        return column == any_(
            cast(bindparam("ids", ids, type_=ARRAY(BigInteger)), ARRAY(BigInteger))
        )
    return column.in_(ids)


Batch = tuple[int, int]
"""Rows removed by a batch, and the highest id it looked at (where the next one starts)."""


def _take(
    session: Session,
    category: str,
    cutoff: datetime,
    batch: int,
    holds: Sequence[LegalHold],
    after: int,
    *returning: Any,
) -> Sequence[Any]:
    """Delete the next batch of due rows; the rows really deleted come back (id first).

    Counting what the DELETE returns, not what a SELECT saw, keeps two sweeps at
    once from counting a row twice. On PostgreSQL the batch is chosen with
    ``FOR UPDATE SKIP LOCKED`` and deleted by one array parameter (``= ANY``):
    ``WHERE id IN (subquery)`` is planned there as a hash semi-join over the
    whole table, once per batch. SQLite runs the subquery form well, and as a
    single statement it takes the write lock before it reads.
    """
    postgres = _is_postgres(session)
    if postgres:
        ids = list(session.scalars(_due(category, cutoff, batch, holds, after, True, DUE.id)))
        if not ids:
            return []
        doomed = _among(PersonalRecord.id, ids, True)
    else:
        chosen = _due(category, cutoff, batch, holds, after, False, DUE.id).scalar_subquery()
        doomed = PersonalRecord.id.in_(chosen)
    statement = delete(PersonalRecord).where(doomed).returning(PersonalRecord.id, *returning)
    return session.execute(statement, execution_options={"synchronize_session": False}).all()


def delete_batch(
    session: Session,
    category: str,
    cutoff: datetime,
    batch: int,
    holds: Sequence[LegalHold],
    after: int,
) -> Batch:
    rows = _take(session, category, cutoff, batch, holds, after)
    return len(rows), max((row[0] for row in rows), default=after)


def anonymize_batch(
    session: Session,
    category: str,
    cutoff: datetime,
    batch: int,
    holds: Sequence[LegalHold],
    after: int,
) -> Batch:
    rows = _take(
        session,
        category,
        cutoff,
        batch,
        holds,
        after,
        PersonalRecord.field,
        PersonalRecord.purpose,
        PersonalRecord.region,
        PersonalRecord.collected_at,
    )
    if not rows:
        return 0, after
    counts = Counter(
        (field, purpose, region, collected.strftime("%Y-%m"))
        for _, field, purpose, region, collected in rows
    )
    values = [
        {"category": category, "field": f, "purpose": p, "region": r, "month": m, "count": n}
        for (f, p, r, m), n in sorted(counts.items())
    ]
    insert = pg_insert if _is_postgres(session) else sqlite_insert
    statement = insert(AnonymousCount).values(values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["category", "field", "purpose", "region", "month"],
            set_={"count": AnonymousCount.count + statement.excluded.count},
        )
    )
    return len(rows), max(row[0] for row in rows)
