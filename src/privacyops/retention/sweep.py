"""Retention sweeps: delete (or anonymise) what has expired, in committed batches.

Every vault row carries its expiry, computed at write from its category's
rule (``collection.intake``), so a sweep needs no rule arithmetic: a row is
due once ``expires_at <= cutoff`` and no active legal hold covers it.

Crash safety. Each batch deletes its rows, records its counts on the sweep
report and its audit event, and then the face's ``checkpoint`` commits, so a
batch is all or nothing. A rerun after a crash simply finds fewer rows: the
rows a committed batch removed are gone, the ones an interrupted batch
touched are all still there. The result of a killed sweep plus a rerun is the
result of one sweep.

Concurrency. On PostgreSQL each batch picks its rows with ``FOR UPDATE SKIP
LOCKED``: two sweeps running at once (which the job lock already prevents)
would take disjoint batches instead of waiting on each other.

What is not swept. Consent events and the audit chain are not vault rows and
the declaration gives them no retention rule: they are proof (of consent, of
what was done) and stay. Telemetry and orders have stores of their own; the
sweep calls their services (partition drops, order purge) unless a hold
reaches them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import BigInteger, any_, bindparam, case, cast, delete, func, not_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.orders import service as orders
from privacyops.policy.render import wording
from privacyops.policy.schema import Declaration
from privacyops.retention.holds import active_holds, held_by, whole_category_held
from privacyops.retention.models import AnonymousCount, LegalHold, SweepReport, SweepStatus
from privacyops.subjects.models import PersonalRecord
from privacyops.telemetry import service as telemetry
from privacyops.telemetry.checks import rules_for

Action = Literal["delete", "anonymize"]
Checkpoint = Callable[[], None]
"""Makes the work so far durable: the face passes its unit of work's commit."""
OnBatch = Callable[[str, int], None]
"""Called inside each batch, before its checkpoint, with the category and the row count."""

DEFAULT_BATCH = 10_000
UNDECLARED = "not declared: the row's own expiry"


def expiry_actions(declaration: Declaration) -> dict[str, Action]:
    """What each category's expiry does: delete, or anonymise where the rule says so.

    A rule states anonymisation with ``on_expiry: anonymize``; a rule without
    it deletes, which is the declaration's default promise.
    """
    actions: dict[str, Action] = {}
    for category in declaration.categories:
        chosen = getattr(category.retention, "on_expiry", "delete")
        actions[category.key] = "anonymize" if chosen == "anonymize" else "delete"
    return actions


def rule_text(declaration: Declaration, category: str) -> str:
    for item in declaration.categories:
        if item.key == category:
            return f"{item.retention.kind}: {wording.retention(item.retention, 'en')}"
    return UNDECLARED


@dataclass
class Line:
    """One category in a preview: what is due, what a hold keeps, under which rule."""

    category: str
    rule: str
    action: Action
    expired: int
    held: int

    @property
    def due(self) -> int:
        return self.expired - self.held


def preview(
    *,
    session: Session,
    declaration: Declaration,
    now: datetime | None = None,
    actions: Mapping[str, Action] | None = None,
) -> list[Line]:
    """What a sweep at ``now`` would remove and keep, per category; changes nothing."""
    cutoff = now or utcnow()
    chosen = {**expiry_actions(declaration), **(actions or {})}
    held = case((held_by(active_holds(session=session, now=cutoff)), 1), else_=0)
    rows = session.execute(
        select(PersonalRecord.category, func.count(), func.coalesce(func.sum(held), 0))
        .where(PersonalRecord.expires_at <= cutoff)
        .group_by(PersonalRecord.category)
        .order_by(PersonalRecord.category)
    )
    return [
        Line(category, rule_text(declaration, category), chosen.get(category, "delete"), n, int(h))
        for category, n, h in rows
    ]


@dataclass(frozen=True)
class Upcoming:
    category: str
    rule: str
    expired: int
    within_7: int
    within_30: int
    within_90: int
    open_ended: int
    held: int
    expired_held: int
    total: int

    @property
    def due(self) -> int:
        """Expired and not held: what the next sweep takes."""
        return self.expired - self.expired_held


def upcoming(
    *, session: Session, declaration: Declaration, now: datetime | None = None
) -> list[Upcoming]:
    """Per category: already expired, expiring within 7, 30 and 90 days, no expiry yet, held
    (all held rows, and the expired ones among them)."""
    moment = now or utcnow()
    expiry = PersonalRecord.expires_at
    held = held_by(active_holds(session=session, now=moment))

    def within(days: int) -> Any:
        edge = moment + timedelta(days=days)
        return func.coalesce(func.sum(case(((expiry > moment) & (expiry <= edge), 1), else_=0)), 0)

    rows = session.execute(
        select(
            PersonalRecord.category,
            func.coalesce(func.sum(case((expiry <= moment, 1), else_=0)), 0),
            within(7),
            within(30),
            within(90),
            func.coalesce(func.sum(case((expiry.is_(None), 1), else_=0)), 0),
            func.coalesce(func.sum(case((held, 1), else_=0)), 0),
            func.coalesce(func.sum(case(((expiry <= moment) & held, 1), else_=0)), 0),
            func.count(),
        )
        .group_by(PersonalRecord.category)
        .order_by(PersonalRecord.category)
    )
    found = {
        category: Upcoming(category, rule_text(declaration, category), *map(int, numbers))
        for category, *numbers in rows
    }
    for item in declaration.categories:
        found.setdefault(
            item.key, Upcoming(item.key, rule_text(declaration, item.key), 0, 0, 0, 0, 0, 0, 0, 0)
        )
    return sorted(found.values(), key=lambda u: u.category)


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


def _delete_batch(
    session: Session,
    category: str,
    cutoff: datetime,
    batch: int,
    holds: Sequence[LegalHold],
    after: int,
) -> Batch:
    rows = _take(session, category, cutoff, batch, holds, after)
    return len(rows), max((row[0] for row in rows), default=after)


def _anonymize_batch(
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


def _line(report: SweepReport, key: str) -> dict[str, Any]:
    line: dict[str, Any] = dict(report.lines.get(key) or {})
    return line


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


def sweep(
    *,
    session: Session,
    declaration: Declaration,
    actor: str,
    checkpoint: Checkpoint,
    now: datetime | None = None,
    batch: int = DEFAULT_BATCH,
    actions: Mapping[str, Action] | None = None,
    on_batch: OnBatch | None = None,
    other_stores: bool = True,
) -> SweepReport:
    """Remove every expired, unheld vault row as of ``now``; returns the finished report.

    ``actions`` overrides what expiry does per category (see
    ``expiry_actions``). ``other_stores`` also runs the orders and telemetry
    sweeps. The caller holds the sweep lock.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    cutoff = now or utcnow()
    chosen = {**expiry_actions(declaration), **(actions or {})}
    plan = preview(session=session, declaration=declaration, now=cutoff, actions=chosen)
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
    checkpoint()
    for line in plan:
        if line.due <= 0:
            continue
        work = _anonymize_batch if line.action == "anonymize" else _delete_batch
        column = "anonymized" if line.action == "anonymize" else "deleted"
        after = 0
        while True:
            # Holds are re-read per batch: one placed while a sweep runs is honoured at once.
            holds = active_holds(session=session, now=cutoff)
            if whole_category_held(holds, line.category):
                break
            count, after = work(session, line.category, cutoff, batch, holds, after)
            if count == 0:
                break
            entry = _line(report, line.category)
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
            if on_batch is not None:
                on_batch(line.category, count)
            session.flush()
            checkpoint()
            if count < batch:
                break
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
    checkpoint()
    return report


def reports(*, session: Session, limit: int = 50) -> list[SweepReport]:
    query = select(SweepReport).order_by(SweepReport.started_at.desc(), SweepReport.id.desc())
    return list(session.scalars(query.limit(limit)))


def get_report(*, session: Session, report_id: int) -> SweepReport | None:
    return session.get(SweepReport, report_id)
