"""Yearly request metrics, as the CCPA regulations ask a business to publish (11 CCR 7102).

Per right and in total, for requests received in the calendar year (UTC):
received, complied with (in whole or in part: completed), denied, expired
unverified, still open, and the median number of days from receipt to close.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.rights.models import RequestStatus, RequestType, RightsRequest


@dataclass(frozen=True)
class Row:
    right: str
    received: int
    complied: int
    denied: int
    expired: int
    open: int
    median_days_to_close: float | None
    closed_on_time: int


def _row(right: str, requests: list[RightsRequest]) -> Row:
    closed = [r for r in requests if r.closed_at is not None]
    days = [(r.closed_at - r.received_at).total_seconds() / 86400 for r in closed if r.closed_at]
    on_time = sum(
        1 for r in closed if r.closed_at and r.closed_at <= (r.extended_due_at or r.due_at)
    )
    return Row(
        right=right,
        received=len(requests),
        complied=sum(1 for r in requests if r.status == RequestStatus.COMPLETED),
        denied=sum(1 for r in requests if r.status == RequestStatus.DENIED),
        expired=sum(1 for r in requests if r.status == RequestStatus.EXPIRED),
        open=sum(1 for r in requests if r.closed_at is None),
        median_days_to_close=round(median(days), 1) if days else None,
        closed_on_time=on_time,
    )


def yearly(*, session: Session, year: int) -> list[Row]:
    """One row per request type, then ``total``."""
    if not 2000 <= year <= 2100:
        raise ValueError("year must be between 2000 and 2100")
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    requests = list(
        session.scalars(
            select(RightsRequest).where(
                RightsRequest.received_at >= start, RightsRequest.received_at < end
            )
        )
    )
    rows = [_row(t.value, [r for r in requests if r.type == t]) for t in RequestType]
    rows.append(_row("total", requests))
    return rows


def as_dicts(rows: list[Row]) -> list[dict[str, object]]:
    return [asdict(row) for row in rows]


def as_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    fields = list(Row.__dataclass_fields__)
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(asdict(row))
    return out.getvalue()
