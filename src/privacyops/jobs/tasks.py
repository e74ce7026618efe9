"""The periodic work of every domain, each a face over that domain's service functions.

Each task runs in a unit of work from the registry (``in_unit_of_work``), or,
when it commits per batch, opens its own (``periodic``). Each is safe to run
again: what a previous run finished is not done twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from privacyops.db import utcnow
from privacyops.incidents import announcements, clocks
from privacyops.jobs import queue
from privacyops.jobs.registry import JobContext, TaskRun, in_unit_of_work, periodic
from privacyops.notify.backends import backend_from_settings
from privacyops.notify.delivery import DeliveryReport, deliver_due
from privacyops.retention import service as retention
from privacyops.rights import deadlines, decisions
from privacyops.rights.executors import release_expired_retention, remove_package_files
from privacyops.telemetry import service as telemetry


def run_sweep(ctx: JobContext, *, batch: int = retention.DEFAULT_BATCH) -> dict[str, Any]:
    with ctx.db.unit_of_work() as session:
        retention.close_interrupted(session=session)
    with ctx.db.unit_of_work() as session:

        def checkpoint() -> None:
            session.commit()
            ctx.heartbeat()

        report = retention.sweep(
            session=session,
            declaration=ctx.declaration,
            actor=ctx.actor,
            checkpoint=checkpoint,
            batch=batch,
        )
        return {
            "report": report.id,
            "deleted": report.deleted,
            "anonymized": report.anonymized,
            "held": report.held,
        }


@periodic(
    "retention_sweep",
    every=timedelta(hours=1),
    description="Delete or anonymise expired vault rows (holds kept), purge orders, drop telemetry",
)
def retention_sweep(ctx: JobContext) -> dict[str, Any]:
    return run_sweep(ctx)


@in_unit_of_work(
    "retention_release",
    every=timedelta(hours=1),
    description="Erase data an erasure kept for a law or a hold, once its period has ended",
    result="released",
)
def retention_release(run: TaskRun) -> int:
    return release_expired_retention(session=run.session, vault=run.vault, actor=run.actor)


@in_unit_of_work(
    "package_expiry",
    every=timedelta(hours=1),
    description="Delete access-package files past their download expiry",
    result="files_removed",
)
def package_expiry(run: TaskRun) -> int:
    return remove_package_files(session=run.session, settings=run.settings, expired_before=utcnow())


@in_unit_of_work(
    "incident_clock_reminders",
    every=timedelta(minutes=5),
    description="Remind the privacy officer of breach-notification clocks nearing their due time",
    result="reminders",
)
def incident_clock_reminders(run: TaskRun) -> int:
    made = clocks.remind_due_clocks(
        run.session,
        utcnow(),
        vault=run.vault,
        declaration=run.declaration,
        base_url=run.settings.public_url,
    )
    return len(made)


@in_unit_of_work(
    "notify_delivery",
    every=timedelta(minutes=1),
    description="Send queued e-mail and in-app messages, retrying failures with backoff",
    result=("sent", "retried", "failed", "suppressed"),
)
def notify_delivery(run: TaskRun) -> DeliveryReport:
    return deliver_due(
        session=run.session,
        vault=run.vault,
        backend=backend_from_settings(run.settings),
        now=utcnow(),
        checkpoint=run.session.commit,
    )


@in_unit_of_work(
    "telemetry_partitions",
    every=timedelta(days=1),
    description="Create the telemetry reading partitions of the coming months (PostgreSQL)",
    result="created",
)
def telemetry_partitions(run: TaskRun) -> list[str]:
    return [m.isoformat()[:7] for m in telemetry.prepare_partitions(session=run.session)]


@in_unit_of_work(
    "rights_expire_unverified",
    every=timedelta(minutes=15),
    description="Close rights requests whose requester never completed verification",
    result="expired",
)
def rights_expire_unverified(run: TaskRun) -> int:
    expired = decisions.expire_unverified(
        session=run.session, vault=run.vault, now=utcnow(), settings=run.settings
    )
    return len(expired)


@in_unit_of_work(
    "rights_deadlines",
    every=timedelta(hours=1),
    description="Count rights requests past their due date (shown in jobs and the audit run)",
    result="overdue",
)
def rights_deadlines(run: TaskRun) -> int:
    return len(deadlines.overdue_requests(session=run.session, now=utcnow()))


@in_unit_of_work(
    "policy_announcements",
    every=timedelta(minutes=10),
    description="Announce published policy updates through the channels the declaration names",
    result="announced",
)
def policy_announcements(run: TaskRun) -> list[str]:
    return announcements.announce_pending(
        session=run.session, vault=run.vault, actor=run.actor, base_url=run.settings.public_url
    )


@periodic(
    "job_history_prune",
    every=timedelta(days=1),
    description="Forget finished job runs older than two weeks",
)
def job_history_prune(ctx: JobContext) -> dict[str, Any]:
    return {"deleted": queue.prune_history(db=ctx.db, now=utcnow())}
