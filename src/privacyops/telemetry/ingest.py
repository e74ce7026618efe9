"""A device's batch of readings: checked reading by reading, then written in bulk.

Good readings are stored and bad ones reported by index (``checks``); a
reading already stored (same device, time and kind) is acknowledged again and
not stored twice, so a device may resend a batch whose answer it never got.
Nothing here commits: the face commits before it answers, so an acknowledged
reading is durable.

Writing. On PostgreSQL the rows go in by binary ``COPY`` inside a savepoint,
the fastest path there is. COPY cannot skip conflicts, so if the batch holds a
reading that is already stored the savepoint is rolled back and the batch goes
through a temporary table and ``INSERT … SELECT … ON CONFLICT DO NOTHING``;
resends are rare, so they pay for the slower path and first sends do not. On
SQLite one ``executemany`` of ``INSERT … ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import psycopg
from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.policy.schema import Declaration
from privacyops.telemetry import partitions
from privacyops.telemetry.checks import Rejection, Row, rules_for
from privacyops.telemetry.models import COLUMNS, Device, ReadingKind

MAX_READINGS = 5000
TABLE = partitions.PARENT
STAGING = "telemetry_reading_incoming"
_COLUMN_LIST = ", ".join(COLUMNS)
_PG_TYPES = {
    "device_key": "bytea",
    "recorded_at": "timestamptz",
    "cleared_at": "timestamptz",
    "energy": "float8",
    "online": "bool",
    "signal_strength": "int2",
}
_FLOATS = {"voltage", "current", "power", "power_factor", "frequency", "temperature"}
PG_TYPES = [_PG_TYPES.get(c, "float4" if c in _FLOATS else "text") for c in COLUMNS]
_FIRMWARE = COLUMNS.index("firmware_version")
_SQLITE_INSERT = (
    f"INSERT INTO {TABLE} ({_COLUMN_LIST}) VALUES ({', '.join('?' for _ in COLUMNS)}) "  # noqa: S608 - constant column names
    "ON CONFLICT DO NOTHING"
)


@dataclass
class BatchResult:
    accepted: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)


def ingest_batch(
    *,
    session: Session,
    declaration: Declaration,
    device: Device,
    readings: Sequence[object],
    now: datetime | None = None,
) -> BatchResult:
    """Check and store one device's readings; ``device`` is already authenticated."""
    now = now or utcnow()
    rows, rejected, duplicates = rules_for(declaration).check(device.device_key, readings, now)
    stored = 0
    if rows:
        note_device(device, rows)  # first: writing may turn the times into text
        stored = write_rows(session, rows)
    return BatchResult(
        accepted=len(readings) - len(rejected),
        stored=stored,
        duplicates=duplicates + len(rows) - stored,
        rejected=rejected,
    )


def note_device(device: Device, rows: list[Row]) -> None:
    """Last seen, and the firmware the newest status reading reports."""
    newest: datetime = max(row[1] for row in rows)  # type: ignore[type-var, assignment]
    if device.last_seen_at is None or newest > device.last_seen_at:
        device.last_seen_at = newest
    status = [r for r in rows if r[2] == ReadingKind.STATUS and r[_FIRMWARE] is not None]
    if status:
        latest = max(status, key=lambda r: r[1])  # type: ignore[arg-type, return-value]
        if latest[1] == newest and latest[_FIRMWARE] != device.firmware:
            device.firmware = str(latest[_FIRMWARE])


def write_rows(session: Session, rows: Sequence[Row]) -> int:
    """Store rows (``checks.Row``, times UTC) and return how many were new. Consumes ``rows``:
    the SQLite writer turns their times into text in place."""
    if partitions.is_postgres(session):
        times = [row[1] for row in rows]
        partitions.ensure(session, partitions.months_between(min(times), max(times)))  # type: ignore[type-var, arg-type]
        return _write_postgres(session, rows)
    return _write_sqlite(session, rows)


def _dbapi(session: Session) -> Any:
    return session.connection().connection.dbapi_connection


def _copy(cursor: psycopg.Cursor[Any], table: str, rows: Sequence[Row]) -> None:
    with cursor.copy(f"COPY {table} ({_COLUMN_LIST}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(PG_TYPES)
        for row in rows:
            copy.write_row(row)


def _write_postgres(session: Session, rows: Sequence[Row]) -> int:
    try:
        # The connection is asked for once the savepoint has begun: that emits the
        # SAVEPOINT, which SQLAlchemy otherwise sends lazily, on the first ORM statement.
        with session.begin_nested(), _dbapi(session).cursor() as cursor:
            _copy(cursor, TABLE, rows)
        return len(rows)
    except psycopg.errors.UniqueViolation:
        pass  # some were stored before: the savepoint is gone, take the idempotent path
    connection: psycopg.Connection[Any] = _dbapi(session)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {STAGING} "
            f"(LIKE {TABLE} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        _copy(cursor, STAGING, rows)
        cursor.execute(
            f"INSERT INTO {TABLE} ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM {STAGING} "  # noqa: S608 - constant names
            "ON CONFLICT DO NOTHING"
        )
        stored: int = cursor.rowcount
        cursor.execute(f"DELETE FROM {STAGING}")  # noqa: S608 - constant name
    return stored


def sqlite_time(moment: object) -> str:
    """The text SQLAlchemy's SQLite DateTime writes and reads: UTC, no zone, microseconds."""
    return cast(datetime, moment).isoformat(" ", "microseconds")[:26]


def _write_sqlite(session: Session, rows: Sequence[Row]) -> int:
    for row in rows:
        row[1] = sqlite_time(row[1])
        if row[-1] is not None:
            row[-1] = sqlite_time(row[-1])
    cursor = _dbapi(session).cursor()
    try:
        cursor.executemany(_SQLITE_INSERT, rows)
        stored: int = cursor.rowcount
    finally:
        cursor.close()
    return stored
