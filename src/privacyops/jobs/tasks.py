"""The periodic work of every domain, each a face over that domain's service functions.

Each task commits per batch or per item through its own unit of work and is
safe to run again: what a previous run finished is not done twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from privacyops.db import utcnow
from privacyops.incidents import announcements, clocks
from privacyops.jobs import queue
from privacyops.jobs.registry import JobContext, periodic
from privacyops.notify.backends import backend_from_settings
from privacyops.notify.delivery import deliver_due
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


@periodic(
    "retention_release",
    every=timedelta(hours=1),
    description="Erase data an erasure kept for a law or a hold, once its period has ended",
)
def retention_release(ctx: JobContext) -> dict[str, Any]:
    with ctx.db.unit_of_work() as session:
        released = release_expired_retention(session=session, vault=ctx.vault, actor=ctx.actor)
    return {"released": released}


@periodic(
    "package_expiry",
    every=timedelta(hours=1),
    description="Delete access-package files past their download expiry",
)
def package_expiry(ctx: JobContext) -> dict[str, Any]:
    with ctx.db.unit_of_work() as session:
        removed = remove_package_files(
            session=session, settings=ctx.settings, expired_before=utcnow()
        )
    return {"files_removed": removed}


@periodic(
    "incident_clock_reminders",
    every=timedelta(minutes=5),
    description="Remind the privacy officer of breach-notification clocks nearing their due time",
)
def incident_clock_reminders(ctx: JobContext) -> dict[str, Any]:
    with ctx.db.unit_of_work() as session:
        made = clocks.remind_due_clocks(
            session,
            utcnow(),
            vault=ctx.vault,
            declaration=ctx.declaration,
            base_url=ctx.settings.public_url,
        )
        return {"reminders": len(made)}


@periodic(
    "notify_delivery",
    every=timedelta(minutes=1),
    description="Send queued e-mail and in-app messages, retrying failures with backoff",
)
def notify_delivery(ctx: JobContext) -> dict[str, Any]:
    with ctx.db.unit_of_work() as session:
        report = deliver_due(
            session=session,
            vault=ctx.vault,
            backend=backend_from_settings(ctx.settings),
            now=utcnow(),
            checkpoint=session.commit,
        )
        return {
            "sent": report.sent,
            "retried": report.retried,
            "failed": report.failed,
            "suppressed": report.suppressed,
        }


@periodic(
    "telemetry_partitions",
    every=timedelta(days=1),
    description="Create the telemetry reading partitions of the coming months (PostgreSQL)",
)
def telemetry_partitions(ctx: JobContext) -> dict[str, Any]:
    with ctx.db.unit_of_work() as session:
        made = telemetry.prepare_partitions(session=session)
    return {"created": [m.isoformat()[:7] for m in made]}


@periodic(
    "rights_expire_unverified",
    every=timedelta(minutes=15),
    description="Close rights requests whose requester never completed verification",
)
def rights_expire_unverified(ctx: JobContext) -> dict[str, Any]:
    with ctx.db.unit_of_work() as session:
        expired = decisions.expire_unverified(
            session=session, vault=ctx.vault, now=utcnow(), settings=ctx.settings
        )
        return {"expired": len(expired)}


@periodic(
    "rights_deadlines",
    every=timedelta(hours=1),
    description="Count rights requests past their due date (shown in jobs and the audit run)",
)
def rights_deadlines(ctx: JobContext) -> dict[str, Any]:
    with ctx.db.unit_of_work() as session:
        return {"overdue": len(deadlines.overdue_requests(session=session, now=utcnow()))}


@periodic(
    "policy_announcements",
    every=timedelta(minutes=10),
    description="Announce published policy updates through the channels the declaration names",
)
def policy_announcements(ctx: JobContext) -> dict[str, Any]:
    with ctx.db.unit_of_work() as session:
        done = announcements.announce_pending(
            session=session, vault=ctx.vault, actor=ctx.actor, base_url=ctx.settings.public_url
        )
        return {"announced": done}


@periodic(
    "job_history_prune",
    every=timedelta(days=1),
    description="Forget finished job runs older than two weeks",
)
def job_history_prune(ctx: JobContext) -> dict[str, Any]:
    return {"deleted": queue.prune_history(db=ctx.db, now=utcnow())}
