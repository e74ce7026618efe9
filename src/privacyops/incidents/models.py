"""The breach register: incidents, their tasks, timeline, reports, notices and reminders,
the public notices page and the history of policy-update announcements.

No personal value is stored here: an incident names data categories and counts
subjects, never who they are; notices to people live in notify, keyed by
``batch`` (the incident id) and a per-subject idempotency key.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from privacyops.db import Base


class IncidentStatus(StrEnum):
    OPEN = "open"
    CONTAINED = "contained"
    NOTIFIED = "notified"
    CLOSED = "closed"


class Risk(StrEnum):
    UNLIKELY = "unlikely"  # unlikely to result in a risk: documented, no regulator notice
    LIKELY = "likely"  # likely risk: regulator notice
    HIGH = "high"  # high risk: individuals too


class NoticeKind(StrEnum):
    BREACH = "breach"
    POLICY = "policy"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


def new_id() -> str:
    return str(uuid.uuid4())


class Incident(Base):
    __tablename__ = "incident"
    __table_args__ = (
        CheckConstraint(_in("status", IncidentStatus), name="ck_incident_status"),
        CheckConstraint(_in("risk", Risk), name="ck_incident_risk"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    detected_at: Mapped[datetime]
    aware_at: Mapped[datetime]
    systems: Mapped[list[str]] = mapped_column(JSON)
    categories: Mapped[list[str]] = mapped_column(JSON)
    risk: Mapped[str] = mapped_column(String(16))
    risk_reasons: Mapped[str] = mapped_column(Text, default="")
    encrypted: Mapped[bool] = mapped_column(Boolean, default=False)
    crypto_shredded: Mapped[bool] = mapped_column(Boolean, default=False)
    major: Mapped[bool] = mapped_column(Boolean, default=False)
    critical_infrastructure: Mapped[bool] = mapped_column(Boolean, default=False)
    consequences: Mapped[str] = mapped_column(Text, default="")
    measures: Mapped[list[str]] = mapped_column(JSON)
    lessons: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime]


class IncidentTask(Base):
    __tablename__ = "incident_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]


class IncidentNote(Base):
    """One line of the incident's timeline."""

    __tablename__ = "incident_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)


class IncidentReport(Base):
    """The regulator report for one regime, drafted from the incident and then edited."""

    __tablename__ = "incident_report"
    __table_args__ = (UniqueConstraint("incident_id", "regime", name="uq_incident_report_regime"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    regime: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(120))


class IncidentNotice(Base):
    """A notice recorded as sent: to a regulator, to individuals, or as a public notice.

    ``regime`` null means every regime of the incident (a public notice).
    A clock is met once a notice of its audience and stage is recorded.
    """

    __tablename__ = "incident_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    regime: Mapped[str | None] = mapped_column(String(16), default=None)
    audience: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(40))
    sent_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(120))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class ClockReminder(Base):
    """A reminder to the privacy officer that a clock nears; one per clock and threshold."""

    __tablename__ = "incident_clock_reminder"
    __table_args__ = (
        UniqueConstraint("incident_id", "clock", "threshold", name="uq_incident_clock_reminder"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    clock: Mapped[str] = mapped_column(String(200))
    threshold: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime]
    created_at: Mapped[datetime]


class PublicNotice(Base):
    """A bilingual notice on the public notices page (breach or policy update)."""

    __tablename__ = "public_notice"
    __table_args__ = (CheckConstraint(_in("kind", NoticeKind), name="ck_public_notice_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    incident_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("incident.id", ondelete="SET NULL"), default=None
    )
    policy_version: Mapped[str | None] = mapped_column(String(40), default=None)
    prominent: Mapped[bool] = mapped_column(Boolean, default=False)
    title_en: Mapped[str] = mapped_column(String(300))
    title_zh: Mapped[str] = mapped_column(String(300))
    body_en: Mapped[str] = mapped_column(Text)
    body_zh: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(index=True)


class PolicyAnnouncement(Base):
    """One announcement of a published policy version, through the declared channels."""

    __tablename__ = "policy_announcement"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    change_class: Mapped[str] = mapped_column(String(10))
    prominent: Mapped[bool] = mapped_column(Boolean)
    consent_required: Mapped[bool] = mapped_column(Boolean)
    renew_consent_for: Mapped[list[str]] = mapped_column(JSON)
    channels: Mapped[list[str]] = mapped_column(JSON)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    announced_at: Mapped[datetime]
    announced_by: Mapped[str] = mapped_column(String(120))
