"""Consent reports: decisions by purpose, regime, method and day, from one grouped scan.

The query reads the `occurred_at` range through its index and groups in the
database by (day, purpose, regime, method, state); the smaller cuts are summed
from those groups in Python, so the table is scanned once per report.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, cast, func, select
from sqlalchemy.orm import Session

from privacyops.consent.models import ConsentEvent, ConsentState
from privacyops.db import utcnow

STATES = tuple(s.value for s in ConsentState)


@dataclass
class Report:
    since: date
    until: date
    total: int = 0
    by_purpose: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_regime: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_method: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_day: dict[date, Counter[str]] = field(default_factory=dict)

    def days(self) -> list[tuple[date, Counter[str]]]:
        """Every day of the window, empty days included, oldest first."""
        span = (self.until - self.since).days + 1
        result = []
        for offset in range(span):
            day = self.since + timedelta(days=offset)
            result.append((day, self.by_day.get(day, Counter())))
        return result


def _day_column(session: Session) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", ConsentEvent.occurred_at), Date)
    return func.date(ConsentEvent.occurred_at)


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def report(*, session: Session, days: int = 90, now: datetime | None = None) -> Report:
    """Counts of decisions over the last ``days`` days (today included), in UTC days."""
    end = now or utcnow()
    since = (end - timedelta(days=days - 1)).date()
    start = datetime(since.year, since.month, since.day, tzinfo=end.tzinfo)
    day = _day_column(session)
    rows = session.execute(
        select(
            day,
            ConsentEvent.purpose,
            ConsentEvent.regime,
            ConsentEvent.method,
            ConsentEvent.state,
            func.count(),
        )
        .where(ConsentEvent.occurred_at >= start, ConsentEvent.occurred_at <= end)
        .group_by(
            day, ConsentEvent.purpose, ConsentEvent.regime, ConsentEvent.method, ConsentEvent.state
        )
    )
    result = Report(since=since, until=end.date())
    for raw_day, purpose, regime, method, state, count in rows:
        when = _as_date(raw_day)
        result.total += count
        result.by_purpose[purpose][state] += count
        result.by_regime[regime][state] += count
        result.by_method[method][state] += count
        result.by_day.setdefault(when, Counter())[state] += count
    return result
