"""The sweep report: opened with the plan, counted batch by batch, finished with the other
stores' results, each step an audit event; and the reports kept for the console."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.orders import service as orders
from privacyops.policy.schema import Declaration
from privacyops.retention.holds import active_holds
from privacyops.retention.models import SweepReport, SweepStatus
from privacyops.retention.planning import Line
from privacyops.telemetry import service as telemetry
from privacyops.telemetry.checks import rules_for


def open_report(
    *, session: Session, plan: Sequence[Line], actor: str, cutoff: datetime, batch: int
) -> SweepReport:
    report = SweepReport(
        started_at=utcnow(),
        status=SweepStatus.RUNNING.value,
        actor=actor,
        cutoff=cutoff,
        batch_size=batch,
        lines={
            line.category: {
                "rule": line.rule,
                "action": line.action,
                "deleted": 0,
                "anonymized": 0,
                "held": line.held,
            }
            for line in plan
        },
        extras={},
        held=sum(line.held for line in plan),
    )
    session.add(report)
    session.flush()
    return report


def count_batch(
    *, session: Session, report: SweepReport, line: Line, count: int, actor: str
) -> None:
    """Add a batch's rows to the report and record it in the audit log."""
    column = "anonymized" if line.action == "anonymize" else "deleted"
    entry: dict[str, Any] = dict(report.lines.get(line.category) or {})
    entry[column] = int(entry.get(column, 0)) + count
    report.lines = {**report.lines, line.category: entry}
    report.batches += 1
    if column == "deleted":
        report.deleted += count
    else:
        report.anonymized += count
    audit.record(
        session=session,
        actor=actor,
        action="retention.batch_swept",
        target_type="retention_sweep",
        target_id=report.id,
        details={
            "category": line.category,
            "rule": line.rule,
            "action": line.action,
            "rows": count,
        },
    )


def finish(
    *,
    session: Session,
    report: SweepReport,
    declaration: Declaration,
    actor: str,
    cutoff: datetime,
    other_stores: bool,
) -> None:
    """Run the other stores' sweeps (when asked), close the report and record the sweep."""
    if other_stores:
        report.extras = _other_stores(session, declaration, actor, cutoff)
    report.status = SweepStatus.DONE.value
    report.finished_at = utcnow()
    audit.record(
        session=session,
        actor=actor,
        action="retention.swept",
        target_type="retention_sweep",
        target_id=report.id,
        details={
            "cutoff": cutoff.isoformat(),
            "deleted": report.deleted,
            "anonymized": report.anonymized,
            "held": report.held,
            # A list, not a mapping by key: category keys such as ``ip_address`` are the
            # names the audit log refuses as keys (they would normally carry a value).
            "categories": [
                {"category": key, **{k: v for k, v in entry.items() if k != "rule"}}
                for key, entry in sorted(report.lines.items())
            ],
            "other_stores": report.extras,
        },
    )
    session.flush()


def close_interrupted(*, session: Session) -> int:
    """Mark sweeps left ``running`` by a crash as interrupted.

    Only the holder of the sweep lock may call this: then no other sweep can
    be running, and every ``running`` report is a dead one.
    """
    result = session.execute(
        update(SweepReport)
        .where(SweepReport.status == SweepStatus.RUNNING.value)
        .values(status=SweepStatus.INTERRUPTED.value, finished_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _other_stores(
    session: Session, declaration: Declaration, actor: str, cutoff: datetime
) -> dict[str, Any]:
    """Orders and telemetry keep their own tables and sweeps; skip one that a hold reaches."""
    holds = active_holds(session=session, now=cutoff)
    extras: dict[str, Any] = {}
    order_holds = [h for h in holds if h.category in (None, orders.CATEGORY)]
    blocked = [h.id for h in order_holds if h.subject_id is None]
    for hold in order_holds:
        if hold.subject_id is not None and any(
            o.expires_at <= cutoff
            for o in orders.orders_of(session=session, subject_id=hold.subject_id)
        ):
            blocked.append(hold.id)
    if blocked:
        extras["orders"] = {"purged": 0, "skipped": f"held by {', '.join(sorted(blocked))}"}
    else:
        extras["orders"] = {
            "purged": orders.purge_expired(session=session, actor=actor, now=cutoff)
        }
    kinds = {rules.category for rules in rules_for(declaration).kinds.values()}
    telemetry_holds = sorted(h.id for h in holds if h.category in kinds)
    if telemetry_holds:
        extras["telemetry"] = {"skipped": f"held by {', '.join(telemetry_holds)}"}
    else:
        result = telemetry.sweep(session=session, declaration=declaration, actor=actor, now=cutoff)
        extras["telemetry"] = {
            "partitions_dropped": [m.isoformat()[:7] for m in result.dropped],
            "rows_deleted": result.rows_deleted,
            **({"note": result.kept_reason} if result.kept_reason else {}),
        }
    return extras


def reports(*, session: Session, limit: int = 50) -> list[SweepReport]:
    query = select(SweepReport).order_by(SweepReport.started_at.desc(), SweepReport.id.desc())
    return list(session.scalars(query.limit(limit)))


def get_report(*, session: Session, report_id: int) -> SweepReport | None:
    return session.get(SweepReport, report_id)
