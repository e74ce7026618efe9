"""The job queue and the schedule of periodic tasks.

Two partial unique indexes do the locking, on SQLite and PostgreSQL alike:
at most one ``queued`` job per task (a second enqueue of a periodic sweep is
a no-op, not a pile-up) and at most one ``running`` job per task (two
workers can never run the same sweep: the second one's claim violates the
index and it moves on). Workers pick candidates with ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so they do not queue behind each other's claims.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from privacyops.db import Base

BigId = BigInteger().with_variant(Integer, "sqlite")


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def _sql_in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint(_sql_in("status", JobStatus), name="ck_job_status"),
        Index(
            "uq_job_queued_task",
            "task",
            unique=True,
            sqlite_where=text("status = 'queued'"),
            postgresql_where=text("status = 'queued'"),
        ),
        Index(
            "uq_job_running_task",
            "task",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
        Index("ix_job_status_run_at", "status", "run_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    run_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int]
    worker: Mapped[str | None] = mapped_column(String(120), default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    requested_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]


class JobSchedule(Base):
    """When each periodic task is next due; advanced by compare-and-set, so one enqueue wins."""

    __tablename__ = "job_schedule"

    task: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_run_at: Mapped[datetime]
