"""Telemetry as the rest of the system uses it. No HTTP; never commits.

The domain's public surface: the registry and ownership (``registry``), batch
ingest (``ingest``), feeds and exports (``feeds``), and here the two functions
data subject rights need and the retention sweep.

Rights. ``readings_for_subject`` yields a person's readings: of each device
they owned, only inside their ownership periods and only the kinds those
periods link. ``unlink_subject`` (erasure) deletes the person's ownership
periods, so nothing in the database attributes any reading to them any more.
The readings themselves stay by default, as pseudonymous device data under the
device key: the declaration keeps the three categories for a fixed 365 days
(not for the life of the account), they describe the device, which may pass to
another owner, and keeping them makes erasure cost the same for any amount of
data. They then leave by partition drop at their declared expiry. A rights
executor that must remove them at once passes ``delete_readings=True``
(an indexed delete per period, before the periods go).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.policy.schema import Declaration
from privacyops.telemetry import messages, partitions, rejections
from privacyops.telemetry.checks import rules_for
from privacyops.telemetry.feeds import (
    Alarm,
    ConsentCheck,
    Point,
    alarms_for_device,
    alarms_for_subject,
    electrical_series,
    export_kinds,
    export_rows,
    in_period,
    period_clause,
    recent_alarms,
)
from privacyops.telemetry.ingest import BatchResult, ingest_batch
from privacyops.telemetry.models import VALUE_COLUMNS, Device, Ownership, Reading
from privacyops.telemetry.registry import (
    DeviceAuthError,
    TelemetryError,
    authenticate,
    claim,
    count_devices,
    device_or_404,
    find_device,
    get_device,
    list_devices,
    periods_of_device,
    periods_of_subject,
    register_device,
    reissue_secret,
    release,
)

STREAM_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class LinkedReading:
    """One reading attributed to a person (for an access or portability package)."""

    device_id: int
    device_model: str
    kind: str
    recorded_at: datetime
    values: dict[str, object]


def readings_for_subject(session: Session, subject_id: str) -> Iterator[LinkedReading]:
    """The subject's readings, device by device and oldest first, streamed in chunks.

    Bounded by the subject's ownership periods and the kinds each links; a
    reading from before a claim or after a release is someone else's or nobody's.
    """
    periods = session.execute(
        select(Ownership, Device)
        .join(Device, Device.id == Ownership.device_id)
        .where(Ownership.subject_id == subject_id)
        .order_by(Ownership.claimed_at, Ownership.id)
    ).all()
    values = [getattr(Reading, name) for name in VALUE_COLUMNS]
    for period, device in periods:
        kinds = sorted(period.kinds())
        if not kinds:
            continue
        query = in_period(
            select(Reading.recorded_at, Reading.kind, *values).where(
                Reading.device_key == device.device_key, Reading.kind.in_(kinds)
            ),
            period,
        )
        rows = session.execute(
            query.order_by(Reading.recorded_at, Reading.kind).execution_options(
                yield_per=STREAM_CHUNK
            )
        )
        for row in rows:
            yield LinkedReading(
                device_id=device.id,
                device_model=device.model,
                kind=row[1],
                recorded_at=row[0],
                values={k: v for k, v in zip(VALUE_COLUMNS, row[2:], strict=True) if v is not None},
            )


@dataclass(frozen=True, slots=True)
class UnlinkResult:
    periods: int
    readings_deleted: int


def unlink_subject(
    session: Session,
    subject_id: str,
    *,
    actor: str = "system:rights",
    delete_readings: bool = False,
) -> UnlinkResult:
    """Erase the link between a subject and every reading: delete its ownership periods.

    Open periods end with them (the device is unowned from now on). With
    ``delete_readings`` the readings inside the periods are deleted first.
    Idempotent: a second call finds nothing and records nothing.
    """
    periods = session.execute(
        select(Ownership, Device.device_key)
        .join(Device, Device.id == Ownership.device_id)
        .where(Ownership.subject_id == subject_id)
    ).all()
    if not periods:
        return UnlinkResult(0, 0)
    deleted = 0
    if delete_readings:
        for period, key in periods:
            result = cast(
                CursorResult[Any],
                session.execute(
                    delete(Reading).where(
                        Reading.device_key == key,
                        Reading.kind.in_(sorted(period.kinds())),
                        *period_clause(period),
                    ),
                    execution_options={"synchronize_session": False},
                ),
            )
            deleted += result.rowcount
    session.execute(
        delete(Ownership).where(Ownership.subject_id == subject_id),
        execution_options={"synchronize_session": False},
    )
    audit.record(
        session=session,
        actor=actor,
        action="telemetry.subject_unlinked",
        target_type="subject",
        target_id=subject_id,
        details={"periods": len(periods), "readings_deleted": deleted},
    )
    return UnlinkResult(len(periods), deleted)


@dataclass
class SweepResult:
    created: list[date] = field(default_factory=list)
    dropped: list[date] = field(default_factory=list)
    rows_deleted: int = 0
    kept_reason: str | None = None


def prepare_partitions(
    *, session: Session, months: int = 3, now: datetime | None = None
) -> list[date]:
    """Create this month's partition and ``months`` ahead (PostgreSQL; nothing on SQLite)."""
    return partitions.create_ahead(session, now=now or utcnow(), months=months)


def sweep(
    *, session: Session, declaration: Declaration, actor: str, now: datetime | None = None
) -> SweepResult:
    """Apply the declared retention: drop expired partitions (PostgreSQL) or rows (SQLite)."""
    now = now or utcnow()
    rules = rules_for(declaration)
    retentions = {kind: rules.retention(kind) for kind in rules.kinds}
    result = SweepResult()
    if partitions.is_postgres(session):
        longest = [r for r in retentions.values() if r is not None]
        if len(longest) < len(retentions):
            result.kept_reason = "a telemetry category has no fixed retention; nothing dropped"
        else:
            result.dropped = partitions.drop_expired(session, retention=max(longest), now=now)
    else:
        cutoffs = {kind: now - r for kind, r in retentions.items() if r is not None}
        result.rows_deleted = partitions.delete_expired(session, cutoffs=cutoffs)
    messages.forget_before(session, now - messages.KEEP_BATCH_IDS)
    rejections.forget_before(session, now - rejections.KEEP)
    if result.dropped or result.rows_deleted:
        audit.record(
            session=session,
            actor=actor,
            action="telemetry.retention_swept",
            target_type="table",
            target_id=partitions.PARENT,
            details={
                "partitions_dropped": [m.isoformat()[:7] for m in result.dropped],
                "rows_deleted": result.rows_deleted,
            },
        )
    return result


__all__ = [
    "Alarm",
    "BatchResult",
    "ConsentCheck",
    "DeviceAuthError",
    "LinkedReading",
    "Point",
    "SweepResult",
    "TelemetryError",
    "UnlinkResult",
    "alarms_for_device",
    "alarms_for_subject",
    "authenticate",
    "claim",
    "count_devices",
    "device_or_404",
    "electrical_series",
    "export_kinds",
    "export_rows",
    "find_device",
    "get_device",
    "ingest_batch",
    "list_devices",
    "periods_of_device",
    "periods_of_subject",
    "prepare_partitions",
    "readings_for_subject",
    "recent_alarms",
    "register_device",
    "reissue_secret",
    "release",
    "sweep",
    "unlink_subject",
]
