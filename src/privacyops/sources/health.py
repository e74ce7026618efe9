"""Each external source's health: reachable, indexes present, last request, last error.

A check connects and reflects every declared table with the same checks a
request runs (columns, lookup index, primary key, strategies that fit); it
reads no row. The last error is the latest failed request step that names the
source: the step's own record (``request_step.error``), so it survives the
rollback of the failed step's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from privacyops.policy.schema import Declaration
from privacyops.policy.sources import ExternalSource
from privacyops.rights.models import RequestStep, StepStatus
from privacyops.settings import Settings
from privacyops.sources.connector import Connector
from privacyops.sources.errors import ConnectorError
from privacyops.sources.models import SourceHealth
from privacyops.vault.service import Vault


@dataclass(frozen=True)
class SourceStatus:
    name: str
    tables: int
    last_request_at: datetime | None
    checked_at: datetime | None
    reachable: bool | None
    indexes_ok: bool | None
    check_error: str | None
    last_error: str | None
    last_error_at: datetime | None


def _row(session: Session, name: str) -> SourceHealth:
    row = session.get(SourceHealth, name)
    if row is None:
        row = SourceHealth(source=name)
        session.add(row)
    return row


def note_use(*, session: Session, source: str, at: datetime) -> None:
    """A request reached the source (recorded with the request step's own work)."""
    _row(session, source).last_request_at = at


def check(
    *, session: Session, source: ExternalSource, settings: Settings, vault: Vault, now: datetime
) -> SourceHealth:
    """Connect, check every table as a request would, and record what was found."""
    row = _row(session, source.name)
    row.checked_at, row.reachable, row.indexes_ok, row.check_error = now, False, None, None
    try:
        connector = Connector.open(source, settings=settings, vault=vault)
        with connector.connect() as conn:
            row.reachable = True
            problems: list[str] = []
            for spec in source.tables:
                try:
                    connector.table(conn, spec, fresh=True)
                except ConnectorError as error:
                    problems.append(str(error))
            row.indexes_ok = not any("leads no index" in p for p in problems)
            row.check_error = "; ".join(problems) or None
    except ConnectorError as error:
        row.check_error = str(error)
    session.flush()
    return row


def last_errors(*, session: Session, names: list[str]) -> dict[str, tuple[str, datetime | None]]:
    """The latest failed request step naming each source."""
    found: dict[str, tuple[str, datetime | None]] = {}
    for name in names:
        marks = [f"%Error: {name}.%", f"%Error: {name}:%", f"%external source {name}:%"]
        step = session.scalars(
            select(RequestStep)
            .where(
                RequestStep.status == StepStatus.FAILED,
                or_(*(RequestStep.error.like(m) for m in marks)),
            )
            .order_by(RequestStep.started_at.desc())
            .limit(1)
        ).first()
        if step is not None and step.error:
            found[name] = (step.error, step.started_at)
    return found


def overview(*, session: Session, declaration: Declaration) -> list[SourceStatus]:
    names = [s.name for s in declaration.external_sources]
    rows = {r.source: r for r in session.scalars(select(SourceHealth))}
    errors = last_errors(session=session, names=names)
    statuses = []
    for source in declaration.external_sources:
        row = rows.get(source.name)
        error, error_at = errors.get(source.name, (None, None))
        statuses.append(
            SourceStatus(
                name=source.name,
                tables=len(source.tables),
                last_request_at=row.last_request_at if row else None,
                checked_at=row.checked_at if row else None,
                reachable=row.reachable if row else None,
                indexes_ok=row.indexes_ok if row else None,
                check_error=row.check_error if row else None,
                last_error=error,
                last_error_at=error_at,
            )
        )
    return statuses


__all__ = ["SourceStatus", "check", "last_errors", "note_use", "overview"]
