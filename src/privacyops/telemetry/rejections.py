"""Refused device input, recorded per device: what the console shows and support reads.

A rejection keeps the device's pseudonymous key (also for a serial nobody
registered: if it is registered later its history is there), when, where it
came from (``RejectionSource``), the reason, the size of what was refused and
how many readings it held. Never any of the refused content. Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.telemetry import partitions
from privacyops.telemetry.checks import Rejection as ReadingRejection
from privacyops.telemetry.models import Rejection, RejectionSource

REASON_LIMIT = 300
#: How long a refusal stays visible; the sweep deletes older ones.
KEEP = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class Refused:
    at: datetime
    source: str
    reason: str
    size: int
    readings: int


def record(
    *,
    session: Session,
    device_key: bytes | None,
    source: RejectionSource,
    reason: str,
    size: int,
    readings: int = 0,
    at: datetime | None = None,
    dedupe: str | None = None,
) -> bool:
    """Record one refusal; with ``dedupe``, a second record of the same one is skipped.

    Returns whether a row was written.
    """
    values = {
        "device_key": device_key,
        "at": at or utcnow(),
        "source": source.value,
        "reason": reason[:REASON_LIMIT],
        "size": size,
        "readings": readings,
        "dedupe": dedupe,
    }
    if dedupe is None:
        session.execute(insert(Rejection).values(**values))
        return True
    maker = pg_insert if partitions.is_postgres(session) else sqlite_insert
    statement = maker(Rejection).values(**values).on_conflict_do_nothing()
    return bool(session.execute(statement.returning(Rejection.id)).first())


def summary(rejected: list[ReadingRejection], total: int) -> str:
    """One reason for a batch in which some readings were refused."""
    first = rejected[0]
    return f"{len(rejected)} of {total} readings refused; reading {first.index}: {first.reason}"


def for_device(*, session: Session, device_key: bytes, limit: int = 50) -> list[Refused]:
    rows = session.execute(
        select(Rejection.at, Rejection.source, Rejection.reason, Rejection.size, Rejection.readings)
        .where(Rejection.device_key == device_key)
        .order_by(Rejection.at.desc(), Rejection.id.desc())
        .limit(limit)
    )
    return [Refused(*row) for row in rows]


def counts_for_device(*, session: Session, device_key: bytes) -> dict[str, int]:
    """Refusals of the device by source (``http``, ``mqtt``, ``broker``)."""
    rows = session.execute(
        select(Rejection.source, func.count())
        .where(Rejection.device_key == device_key)
        .group_by(Rejection.source)
    )
    return {source: int(count) for source, count in rows}


def recent(*, session: Session, limit: int = 20) -> list[tuple[bytes | None, Refused]]:
    """The newest refusals of the whole fleet, with the device key they concern."""
    rows = session.execute(
        select(
            Rejection.device_key,
            Rejection.at,
            Rejection.source,
            Rejection.reason,
            Rejection.size,
            Rejection.readings,
        )
        .order_by(Rejection.at.desc(), Rejection.id.desc())
        .limit(limit)
    )
    return [(row[0], Refused(*row[1:])) for row in rows]


def forget_before(session: Session, moment: datetime) -> None:
    session.execute(delete(Rejection).where(Rejection.at < moment))
