"""Monthly partitions on PostgreSQL: made ahead, made on demand, dropped at expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from tests.telemetry.conftest import Fleet, electrical

from privacyops.audit.models import AuditEvent
from privacyops.db import Database
from privacyops.telemetry import partitions, service
from privacyops.telemetry.checks import rules_for
from privacyops.telemetry.ingest import write_rows
from privacyops.telemetry.models import Reading

NOW = datetime(2030, 6, 15, 12, tzinfo=UTC)


@pytest.fixture
def postgres(db: Database) -> Database:
    if not db.is_postgres:
        pytest.skip("native partitions exist only on PostgreSQL; SQLite keeps one plain table")
    return db


def rows_at(fleet: Fleet, *moments: datetime) -> list[tuple[object, ...]]:
    """Rows as ingest builds them, for times ingest itself would refuse (tests of expiry)."""
    rules = rules_for(fleet.declaration)
    with fleet.db.unit_of_work() as session:
        device = service.device_or_404(session, fleet.vault, "FST-MCB-63-0000123")
        key = device.device_key
    built = []
    for moment in moments:
        rows, rejected, _dups = rules.check(key, [electrical(moment)], moment)
        assert rejected == []
        built.extend(rows)
    return built


def readings(db: Database) -> list[datetime]:
    with db.unit_of_work() as session:
        return sorted(session.scalars(select(Reading.recorded_at)))


def test_partitions_are_created_ahead(postgres: Database) -> None:
    with postgres.unit_of_work() as session:
        service.prepare_partitions(session=session, months=2, now=NOW)
    with postgres.unit_of_work() as session:
        months = set(partitions.existing(session))
        assert service.prepare_partitions(session=session, months=2, now=NOW) == []
    assert {datetime(2030, m, 1).date() for m in (6, 7, 8)} <= months


def test_ingest_creates_the_month_it_needs(postgres: Database, fleet: Fleet) -> None:
    fleet.device()
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(days=300)
    month = partitions.month_of(moment)
    with postgres.unit_of_work() as session:
        name = partitions.existing(session).get(month)
        if name:
            session.execute(text(f"DROP TABLE {name}"))
    partitions.forget()
    assert fleet.ingest([electrical(moment)]).stored == 1
    with postgres.unit_of_work() as session:
        assert month in partitions.existing(session)
    assert readings(postgres) == [moment]


def test_expired_partitions_are_dropped_whole(postgres: Database, fleet: Fleet) -> None:
    fleet.device()
    may, june = datetime(2029, 5, 20, tzinfo=UTC), datetime(2029, 6, 20, tzinfo=UTC)
    with postgres.unit_of_work() as session:
        write_rows(session, rows_at(fleet, datetime(2029, 4, 2, tzinfo=UTC), may, june))
    with postgres.unit_of_work() as session:
        result = service.sweep(
            session=session, declaration=fleet.declaration, actor="test", now=NOW
        )
    # June 2029 ends 2029-07-01, which is less than 365 days before NOW: it stays.
    april, may_month, june_month = (datetime(2029, m, 1).date() for m in (4, 5, 6))
    assert {april, may_month} <= set(result.dropped)
    assert june_month not in result.dropped
    with postgres.unit_of_work() as session:
        months = set(partitions.existing(session))
        events = session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "telemetry.retention_swept")
        ).all()
    assert may_month not in months
    assert june_month in months
    assert readings(postgres) == [june]
    assert len(events) == 1
    assert {"2029-04", "2029-05"} <= set(events[0]["partitions_dropped"])
    with postgres.unit_of_work() as session:
        again = service.sweep(session=session, declaration=fleet.declaration, actor="t", now=NOW)
    assert again.dropped == []


def test_sqlite_deletes_exactly_the_expired_rows(db: Database, fleet: Fleet) -> None:
    if db.is_postgres:
        pytest.skip("PostgreSQL drops whole partitions (test above)")
    fleet.device()
    cutoff = NOW - timedelta(days=365)
    with db.unit_of_work() as session:
        write_rows(session, rows_at(fleet, cutoff - timedelta(minutes=1), cutoff, NOW))
    with db.unit_of_work() as session:
        result = service.sweep(session=session, declaration=fleet.declaration, actor="t", now=NOW)
    assert result.rows_deleted == 1
    assert readings(db) == [cutoff, NOW]
    with db.unit_of_work() as session:
        count = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "telemetry.retention_swept")
        )
    assert count == 1


def test_month_arithmetic() -> None:
    assert partitions.months_between(datetime(2026, 11, 30), datetime(2027, 2, 1)) == [
        datetime(2026, 11, 1).date(),
        datetime(2026, 12, 1).date(),
        datetime(2027, 1, 1).date(),
        datetime(2027, 2, 1).date(),
    ]
    assert partitions.partition_name(datetime(2026, 3, 1).date()) == "telemetry_reading_y2026m03"
    assert not partitions.droppable(
        datetime(2029, 6, 1).date(), retention=timedelta(days=365), now=NOW
    )
