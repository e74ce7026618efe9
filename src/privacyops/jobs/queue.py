"""The job queue on our own tables: enqueue, claim, run, finish, retry with backoff.

Every function here is a face: it owns its short transactions, because a
claim is only a claim once it is committed and visible to other workers.

- ``schedule_due`` advances ``job_schedule`` by compare-and-set and enqueues
  the tasks that are due; the partial unique index keeps one queued job per
  task, so many schedulers (one per worker) enqueue each run once.
- ``claim`` picks due jobs (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and
  flips one to ``running``; the second partial unique index refuses a second
  running job of the same task, which is the lock that keeps two workers off
  the same sweep. On SQLite, which has no row locks, the compare-and-set on
  ``status`` decides.
- A job that raises is retried after an exponential backoff until its
  ``max_attempts``; a job whose worker died (no heartbeat for
  ``stall_after``) is queued again by any worker.
- ``exclusive`` gives a command-line run the same lock as a worker's.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import Database, utcnow
from privacyops.jobs.models import Job, JobSchedule, JobStatus
from privacyops.jobs.registry import JobContext, PeriodicTask, task, tasks
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings
from privacyops.vault.service import Vault

log = logging.getLogger("privacyops.jobs")

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
STALL_AFTER = timedelta(minutes=10)
KEEP_HISTORY = timedelta(days=14)


class BusyError(Exception):
    """The task is running somewhere else right now."""

    def __init__(self, task_name: str, worker: str | None, since: datetime | None) -> None:
        where = f" on {worker}" if worker else ""
        when = f" since {since:%Y-%m-%d %H:%M:%S} UTC" if since else ""
        super().__init__(f"{task_name} is already running{where}{when}")
        self.task = task_name


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def backoff(attempts: int) -> timedelta:
    """30 s after the first failure, doubling, at most an hour."""
    delay: timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(LONGEST_RETRY, delay)


def describe(error: BaseException) -> str:
    """An error for the job row: a database error by class and SQLSTATE only (its message
    may quote a value), anything else by class and message."""
    if isinstance(error, SQLAlchemyError):
        code = getattr(getattr(error, "orig", None), "sqlstate", None)
        return f"{type(error).__name__}" + (f" (SQLSTATE {code})" if code else "")
    return f"{type(error).__name__}: {error}"[:1000]


def _insert_once(session: Session, job: Job) -> bool:
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        return False
    return True


def enqueue(
    *,
    session: Session,
    task_name: str,
    requested_by: str,
    run_at: datetime | None = None,
) -> Job | None:
    """Queue a run of a task; None if one is already waiting (it will do the same work)."""
    spec = task(task_name)
    now = utcnow()
    job = Job(
        task=spec.name,
        status=JobStatus.QUEUED.value,
        run_at=run_at or now,
        attempts=0,
        max_attempts=spec.max_attempts,
        requested_by=requested_by,
        created_at=now,
    )
    return job if _insert_once(session, job) else None


def schedule_due(*, db: Database, now: datetime, only: set[str] | None = None) -> list[str]:
    """Enqueue every periodic task whose time has come; returns the names enqueued."""
    enqueued: list[str] = []
    for spec in tasks():
        if only is not None and spec.name not in only:
            continue
        with db.unit_of_work() as session:
            if session.get(JobSchedule, spec.name) is None:
                try:
                    with session.begin_nested():
                        session.add(JobSchedule(task=spec.name, next_run_at=now))
                        session.flush()
                except IntegrityError:
                    pass
            won = session.execute(
                update(JobSchedule)
                .where(JobSchedule.task == spec.name, JobSchedule.next_run_at <= now)
                .values(next_run_at=now + spec.every)
            )
            if int(getattr(won, "rowcount", 0) or 0) == 1 and enqueue(
                session=session, task_name=spec.name, requested_by="schedule"
            ):
                enqueued.append(spec.name)
    return enqueued


def recover_stalled(*, db: Database, now: datetime, stall_after: timedelta = STALL_AFTER) -> int:
    """Queue again the running jobs whose worker stopped sending heartbeats."""
    recovered = 0
    with db.unit_of_work() as session:
        stalled = list(
            session.scalars(
                select(Job).where(
                    Job.status == JobStatus.RUNNING.value, Job.heartbeat_at < now - stall_after
                )
            )
        )
        for job in stalled:
            try:
                with session.begin_nested():
                    job.status = JobStatus.QUEUED.value
                    job.error = f"worker {job.worker} stopped answering; queued again"
                    job.worker, job.run_at = None, now
                    session.flush()
            except IntegrityError:
                job.status, job.finished_at = JobStatus.FAILED.value, now
                job.error = f"worker {job.worker} stopped answering; a newer run is queued"
            recovered += 1
    return recovered


def claim(*, db: Database, worker: str, now: datetime, only: set[str] | None = None) -> Job | None:
    """Take one due job and mark it running (committed), or None if there is none for us."""
    postgres = db.is_postgres
    with db.unit_of_work() as session:
        query = (
            select(Job.id, Job.task)
            .where(Job.status == JobStatus.QUEUED.value, Job.run_at <= now)
            .order_by(Job.run_at, Job.id)
            .limit(20)
        )
        if only is not None:
            query = query.where(Job.task.in_(sorted(only)))
        if postgres:
            query = query.with_for_update(skip_locked=True)
        for job_id, _task in session.execute(query).all():
            try:
                with session.begin_nested():
                    taken = session.execute(
                        update(Job)
                        .where(Job.id == job_id, Job.status == JobStatus.QUEUED.value)
                        .values(
                            status=JobStatus.RUNNING.value,
                            worker=worker,
                            started_at=now,
                            heartbeat_at=now,
                            attempts=Job.attempts + 1,
                            error=None,
                        )
                    )
            except IntegrityError:
                continue  # the same task is running elsewhere: its lock
            if int(getattr(taken, "rowcount", 0) or 0) == 1:
                return session.get_one(Job, job_id, populate_existing=True)
    return None


def heartbeat(*, db: Database, job_id: int) -> None:
    with db.unit_of_work() as session:
        session.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow()))


def _finish(
    db: Database, job: Job, result: dict[str, Any] | None, error: BaseException | None
) -> Job:
    now = utcnow()
    with db.unit_of_work() as session:
        row = session.get_one(Job, job.id, populate_existing=True)
        if error is None:
            row.status, row.result, row.finished_at = JobStatus.DONE.value, result, now
            return row
        message = describe(error)
        if row.attempts < row.max_attempts:
            try:
                with session.begin_nested():
                    row.status, row.worker, row.error = JobStatus.QUEUED.value, None, message
                    row.run_at = now + backoff(row.attempts)
                    session.flush()
                return row
            except IntegrityError:
                message += "; a newer run is already queued"
        row.status, row.finished_at, row.error = JobStatus.FAILED.value, now, message
        audit.record(
            session=session,
            actor=f"system:jobs:{row.task}",
            action="job.failed",
            target_type="job",
            target_id=row.id,
            details={"task": row.task, "attempts": row.attempts, "error": message[:300]},
        )
        return row


def _context(
    db: Database, settings: Settings, policy: PolicyStore, vault: Vault, job_id: int, name: str
) -> JobContext:
    return JobContext(
        db=db,
        settings=settings,
        policy=policy,
        vault=vault,
        now=utcnow(),
        actor=f"system:jobs:{name}",
        heartbeat=lambda: heartbeat(db=db, job_id=job_id),
    )


def run_claimed(
    *, db: Database, settings: Settings, policy: PolicyStore, vault: Vault, job: Job
) -> Job:
    """Run a claimed job and record how it ended (retry, fail or done)."""
    spec: PeriodicTask = task(job.task)
    ctx = _context(db, settings, policy, vault, job.id, spec.name)
    try:
        result = spec.run(ctx)
    except Exception as error:
        log.warning("job %s (%s) failed: %s", job.id, job.task, describe(error))
        return _finish(db, job, None, error)
    except BaseException:
        # Interrupted (Ctrl-C, shutdown): hand the job back at once rather than after a stall.
        with db.unit_of_work() as session:
            session.execute(
                update(Job)
                .where(Job.id == job.id, Job.status == JobStatus.RUNNING.value)
                .values(status=JobStatus.QUEUED.value, worker=None, run_at=utcnow())
            )
        raise
    return _finish(db, job, result, None)


@dataclass
class Exclusive:
    job: Job
    context: JobContext
    result: dict[str, Any] | None = None


@contextmanager
def exclusive(
    *,
    db: Database,
    settings: Settings,
    policy: PolicyStore,
    vault: Vault,
    task_name: str,
    holder: str,
) -> Iterator[Exclusive]:
    """Hold a task's lock for a run outside the queue (a command line), recorded as a job."""
    spec = task(task_name)
    now = utcnow()
    with db.unit_of_work() as session:
        job = Job(
            task=spec.name,
            status=JobStatus.RUNNING.value,
            run_at=now,
            attempts=1,
            max_attempts=1,
            worker=holder,
            started_at=now,
            heartbeat_at=now,
            requested_by=holder,
            created_at=now,
        )
        if not _insert_once(session, job):
            running = session.scalar(
                select(Job).where(Job.task == spec.name, Job.status == JobStatus.RUNNING.value)
            )
            raise BusyError(
                spec.name,
                running.worker if running else None,
                running.started_at if running else None,
            )
    held = Exclusive(job, _context(db, settings, policy, vault, job.id, spec.name))
    try:
        yield held
    except BaseException as error:
        _finish(db, job, None, error)
        raise
    _finish(db, job, held.result, None)


def prune_history(*, db: Database, now: datetime, keep: timedelta = KEEP_HISTORY) -> int:
    from sqlalchemy import delete

    with db.unit_of_work() as session:
        result = session.execute(
            delete(Job).where(
                Job.status.in_([JobStatus.DONE.value, JobStatus.FAILED.value]),
                Job.finished_at < now - keep,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


def recent(*, session: Session, limit: int = 50, task_name: str | None = None) -> list[Job]:
    query = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
    if task_name is not None:
        query = query.where(Job.task == task_name)
    return list(session.scalars(query))


def schedule(*, session: Session) -> dict[str, datetime]:
    return {row.task: row.next_run_at for row in session.scalars(select(JobSchedule))}
