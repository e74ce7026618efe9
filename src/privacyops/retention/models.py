"""Legal holds, sweep reports and the anonymous counts that anonymisation leaves behind."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from privacyops.db import Base

#: SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer, "sqlite")


class SweepStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    INTERRUPTED = "interrupted"  # a crash or a kill; the next sweep finishes the work


def new_hold_id() -> str:
    return f"HOLD-{secrets.token_hex(4).upper()}"


def _sql_in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class LegalHold(Base):
    """Data that must outlive its expiry: a subject's, a category's, or a subject's category.

    Active while not lifted and before ``ends_at`` (None: until lifted). The
    reason is staff-written text and stays out of the audit log; the law and
    the reference are what an auditor needs.
    """

    __tablename__ = "legal_hold"
    __table_args__ = (
        CheckConstraint(
            "subject_id IS NOT NULL OR category IS NOT NULL", name="ck_legal_hold_target"
        ),
    )

    id: Mapped[str] = mapped_column(String(20), primary_key=True, default=new_hold_id)
    subject_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("subject.id", ondelete="RESTRICT"), index=True, default=None
    )
    category: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    reason: Mapped[str] = mapped_column(String(500))
    law: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(120), default=None)
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(120))
    lifted_at: Mapped[datetime | None] = mapped_column(index=True, default=None)
    lifted_by: Mapped[str | None] = mapped_column(String(120), default=None)


class SweepReport(Base):
    """One sweep: what went, how many, under which rule, per category (``lines``)."""

    __tablename__ = "retention_sweep"
    __table_args__ = (CheckConstraint(_sql_in("status", SweepStatus), name="ck_sweep_status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(120))
    cutoff: Mapped[datetime]
    batch_size: Mapped[int]
    batches: Mapped[int] = mapped_column(default=0)
    deleted: Mapped[int] = mapped_column(BigInteger, default=0)
    anonymized: Mapped[int] = mapped_column(BigInteger, default=0)
    held: Mapped[int] = mapped_column(BigInteger, default=0)
    #: category -> {"rule", "action", "deleted", "anonymized", "held"}
    lines: Mapped[dict[str, Any]]
    #: other stores swept in the same run (orders, telemetry) and what was skipped, and why
    extras: Mapped[dict[str, Any]]


class AnonymousCount(Base):
    """What an anonymised value leaves: a count per category, field, purpose, region, month.

    No subject, no value, no exact time: a row here cannot single anybody out.
    """

    __tablename__ = "retention_anonymous_count"

    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
