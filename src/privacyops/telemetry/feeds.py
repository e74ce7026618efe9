"""What is read back: alarms per device and per account, chart series, analytics exports.

Every read goes through an index: alarms through the partial alarm indexes,
one device's readings through the primary key (device_key, recorded_at, kind),
so each costs what the device or the period holds, not what the table holds.
A person's view (alarms per account) is bounded by their ownership periods and
by the kinds their periods link; a device's view (support looking at a device)
is the device's own history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from privacyops.policy.schema import Declaration
from privacyops.telemetry.checks import CATEGORY
from privacyops.telemetry.models import VALUE_COLUMNS, Device, Ownership, Reading, ReadingKind
from privacyops.telemetry.pseudonyms import MonthlyPseudonyms
from privacyops.vault.service import Vault

#: (session, subject_id, purpose) -> whether the subject's data may be used for the purpose.
ConsentCheck = Callable[[Session, str, str], bool]
STREAM_CHUNK = 2000
AnySelect = Select[*tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Alarm:
    device_id: int
    serial_tail: str
    model: str
    occurred_at: datetime
    alarm_type: str | None
    alarm_code: str | None
    severity: str | None
    cleared_at: datetime | None


_ALARM_COLUMNS = (
    Device.id,
    Device.serial_tail,
    Device.model,
    Reading.recorded_at,
    Reading.alarm_type,
    Reading.alarm_code,
    Reading.severity,
    Reading.cleared_at,
)


def _alarms(query: AnySelect, limit: int, session: Session) -> list[Alarm]:
    rows = session.execute(query.order_by(Reading.recorded_at.desc()).limit(limit))
    return [Alarm(*tuple(row)) for row in rows]


def _alarm_query() -> AnySelect:
    return (
        select(*_ALARM_COLUMNS)
        .join(Device, Device.device_key == Reading.device_key)
        .where(Reading.kind == ReadingKind.ALARM.value)
    )


def alarms_for_device(*, session: Session, device: Device, limit: int = 50) -> list[Alarm]:
    query = _alarm_query().where(Reading.device_key == device.device_key)
    return _alarms(query, limit, session)


def recent_alarms(*, session: Session, limit: int = 20) -> list[Alarm]:
    """The newest alarms of the whole fleet."""
    return _alarms(_alarm_query(), limit, session)


def period_clause(period: Ownership) -> list[ColumnElement[bool]]:
    """Readings inside an ownership period: [claimed_at, released_at)."""
    clause = [Reading.recorded_at >= period.claimed_at]
    if period.released_at is not None:
        clause.append(Reading.recorded_at < period.released_at)
    return clause


def in_period(query: AnySelect, period: Ownership) -> AnySelect:
    return query.where(*period_clause(period))


def alarms_for_subject(*, session: Session, subject_id: str, limit: int = 50) -> list[Alarm]:
    """The account's alarms: of its devices, only while it owned them, only if alarms are linked."""
    periods = session.execute(
        select(Ownership, Device.device_key)
        .join(Device, Device.id == Ownership.device_id)
        .where(Ownership.subject_id == subject_id)
    ).all()
    found: list[Alarm] = []
    for period, key in periods:
        if ReadingKind.ALARM.value not in period.kinds():
            continue
        query = in_period(_alarm_query().where(Reading.device_key == key), period)
        found.extend(_alarms(query, limit, session))
    found.sort(key=lambda alarm: alarm.occurred_at, reverse=True)
    return found[:limit]


@dataclass(frozen=True, slots=True)
class Point:
    at: datetime
    voltage: float | None
    power: float | None


def electrical_series(
    *, session: Session, device: Device, start: datetime, end: datetime
) -> list[Point]:
    """The device's voltage and power readings in [start, end), oldest first."""
    rows = session.execute(
        select(Reading.recorded_at, Reading.voltage, Reading.power)
        .where(
            Reading.device_key == device.device_key,
            Reading.kind == ReadingKind.ELECTRICAL.value,
            Reading.recorded_at >= start,
            Reading.recorded_at < end,
        )
        .order_by(Reading.recorded_at)
    )
    return [Point(*row) for row in rows]


EXPORT_COLUMNS = ("pseudonym", "recorded_at", "kind", *VALUE_COLUMNS)


def export_kinds(declaration: Declaration, purpose: str) -> list[str]:
    """Reading kinds whose category is declared for ``purpose``."""
    return [
        kind.value
        for kind in ReadingKind
        if purpose in declaration.category(CATEGORY[kind]).purposes
    ]


def _excluded_periods(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    purpose: str,
    needs_consent: bool,
    may_process: ConsentCheck,
) -> dict[bytes, list[tuple[datetime, datetime | None, frozenset[str]]]]:
    """Per device: periods in the window whose owner may not be used for ``purpose``."""
    query = (
        select(Ownership, Device.device_key)
        .join(Device, Device.id == Ownership.device_id)
        .where(Ownership.claimed_at < end)
        .where((Ownership.released_at.is_(None)) | (Ownership.released_at > start))
    )
    answers: dict[str, bool] = {}
    excluded: dict[bytes, list[tuple[datetime, datetime | None, frozenset[str]]]] = {}
    for period, key in session.execute(query):
        if not needs_consent:
            continue
        allowed = answers.get(period.subject_id)
        if allowed is None:
            allowed = answers[period.subject_id] = may_process(session, period.subject_id, purpose)
        if not allowed:
            span = (period.claimed_at, period.released_at, period.kinds())
            excluded.setdefault(key, []).append(span)
    return excluded


def export_rows(
    *,
    session: Session,
    vault: Vault,
    declaration: Declaration,
    start: datetime,
    end: datetime,
    purpose: str,
    may_process: ConsentCheck,
) -> Iterator[tuple[object, ...]]:
    """Readings in [start, end) for ``purpose``, under monthly pseudonyms, in ``EXPORT_COLUMNS``.

    Only kinds declared for the purpose; where the purpose needs consent, a
    reading inside an ownership period is left out unless its owner consented
    (a reading outside every period is linked to nobody, so it stays). Rows are
    streamed in chunks in storage order (no sort of the whole range), never held whole.
    """
    kinds = export_kinds(declaration, purpose)
    if not kinds:
        return
    excluded = _excluded_periods(
        session,
        start=start,
        end=end,
        purpose=purpose,
        needs_consent=declaration.purpose(purpose).requires_consent,
        may_process=may_process,
    )
    names = MonthlyPseudonyms(vault.keystore)
    columns = [getattr(Reading, name) for name in ("device_key", "recorded_at", "kind")]
    query = (
        select(*columns, *(getattr(Reading, name) for name in VALUE_COLUMNS))
        .where(Reading.recorded_at >= start, Reading.recorded_at < end, Reading.kind.in_(kinds))
        .execution_options(yield_per=STREAM_CHUNK)
    )
    for row in session.execute(query):
        key, at, kind = row[0], row[1], row[2]
        spans = excluded.get(key)
        if spans and any(
            kind in linked and begun <= at and (ended is None or at < ended)
            for begun, ended, linked in spans
        ):
            continue
        yield (names.of(key, at), at, kind, *row[3:])
