"""The disclosure log and lawful-authority requests. Neither holds a personal value.

A disclosure names the subject, the recipient, the categories (never their
values), the purpose, the basis, the destination country, who and when.
``abroad`` and ``sensitive`` are fixed when the row is written, so the
yearly cross-border counters are one indexed aggregate.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from privacyops.db import Base
from privacyops.subjects.models import BigId


class AuthorityStatus(StrEnum):
    PENDING = "pending"  # recorded, waiting for the privacy officer
    APPROVED = "approved"
    REFUSED = "refused"
    DISCLOSED = "disclosed"  # approved and answered


class AuthorityRequest(Base):
    """A request from a court, regulator or police for a subject's data (PIPL art. 13(3))."""

    __tablename__ = "authority_request"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(repr(s.value) for s in AuthorityStatus) + ")",
            name="ck_authority_request_status",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    authority: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    legal_basis: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    subject_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("subject.id", ondelete="RESTRICT"), index=True, default=None
    )
    status: Mapped[str] = mapped_column(String(16), default=AuthorityStatus.PENDING.value)
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(120), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decision_note: Mapped[str | None] = mapped_column(Text, default=None)
    may_tell_subject: Mapped[bool | None] = mapped_column(Boolean, default=None)
    no_notice_reason: Mapped[str | None] = mapped_column(Text, default=None)


class Disclosure(Base):
    __tablename__ = "disclosure"
    __table_args__ = (Index("ix_disclosure_year_abroad_country", "year", "abroad", "country"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("subject.id", ondelete="RESTRICT"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(64), index=True)
    recipient_kind: Mapped[str] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(2))
    abroad: Mapped[bool] = mapped_column(Boolean)
    sensitive: Mapped[bool] = mapped_column(Boolean)
    categories: Mapped[list[Any]] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(String(64))
    basis: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    disclosed_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(120))
    authority_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("authority_request.id", ondelete="RESTRICT"), index=True, default=None
    )
