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

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.policy.schema import Declaration
from privacyops.retention import reporting
from privacyops.retention.batches import anonymize_batch, delete_batch
from privacyops.retention.holds import active_holds, whole_category_held
from privacyops.retention.models import SweepReport
from privacyops.retention.planning import Action, expiry_actions, preview

Checkpoint = Callable[[], None]
"""Makes the work so far durable: the face passes its unit of work's commit."""
OnBatch = Callable[[str, int], None]
"""Called inside each batch, before its checkpoint, with the category and the row count."""

DEFAULT_BATCH = 10_000


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
    report = reporting.open_report(
        session=session, plan=plan, actor=actor, cutoff=cutoff, batch=batch
    )
    checkpoint()
    for line in plan:
        if line.due <= 0:
            continue
        work = anonymize_batch if line.action == "anonymize" else delete_batch
        after = 0
        while True:
            # Holds are re-read per batch: one placed while a sweep runs is honoured at once.
            holds = active_holds(session=session, now=cutoff)
            if whole_category_held(holds, line.category):
                break
            count, after = work(session, line.category, cutoff, batch, holds, after)
            if count == 0:
                break
            reporting.count_batch(
                session=session, report=report, line=line, count=count, actor=actor
            )
            if on_batch is not None:
                on_batch(line.category, count)
            session.flush()
            checkpoint()
            if count < batch:
                break
    reporting.finish(
        session=session,
        report=report,
        declaration=declaration,
        actor=actor,
        cutoff=cutoff,
        other_stores=other_stores,
    )
    checkpoint()
    return report
