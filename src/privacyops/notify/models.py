"""Outbound messages, in-app messages and the e-mail suppression list.

Nothing readable identifies a person here: the recipient address and any
personal template values (a one-time code, a download link) are AES-256-GCM
ciphertext (``notify.crypto``) that is nulled once the message is sent;
the address is also kept as a keyed blind index (the vault's e-mail index) so
the suppression list can match it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from privacyops.db import Base


class Channel(StrEnum):
    EMAIL = "email"
    IN_APP = "in_app"


class MessageStatus(StrEnum):
    QUEUED = "queued"  # waiting for its first attempt, or for a retry at next_attempt_at
    SENT = "sent"
    FAILED = "failed"  # permanent refusal, or out of attempts
    SUPPRESSED = "suppressed"  # the address is on the suppression list: never sent


class SuppressionReason(StrEnum):
    HARD_BOUNCE = "hard_bounce"
    COMPLAINT = "complaint"
    MANUAL = "manual"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


def new_message_id() -> str:
    """Random, so an id reveals neither order nor volume; known before the insert (it is
    part of the associated data of the message's ciphertexts)."""
    return str(uuid.uuid4())


class OutboundMessage(Base):
    __tablename__ = "outbound_message"
    __table_args__ = (
        CheckConstraint(_in("channel", Channel), name="ck_outbound_message_channel"),
        CheckConstraint(_in("status", MessageStatus), name="ck_outbound_message_status"),
        CheckConstraint(
            "channel = 'email' OR subject_id IS NOT NULL", name="ck_outbound_message_in_app_subject"
        ),
        CheckConstraint(
            "channel = 'in_app' OR status <> 'queued' OR recipient_index IS NOT NULL",
            name="ck_outbound_message_email_index",
        ),
        Index("ix_outbound_message_due", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_message_id)
    channel: Mapped[str] = mapped_column(String(8))
    template: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    subject_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("subject.id", ondelete="RESTRICT"), index=True, default=None
    )
    #: The address, encrypted; nulled once sent or suppressed (kept while failed, for a requeue).
    recipient_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    #: Blind index of the normalised address (matches the suppression list); nulled when the
    #: subject is erased (``service.forget_subject``).
    recipient_index: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True, default=None)
    #: Template values without personal data: ids, dates, counts, public links.
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Personal template values (JSON), encrypted; nulled like the address.
    secret_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    status: Mapped[str] = mapped_column(String(12), default=MessageStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    batch: Mapped[str | None] = mapped_column(String(80), index=True, default=None)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)


class InAppMessage(Base):
    """A message shown in the apps, rendered in the person's language when delivered."""

    __tablename__ = "in_app_message"
    __table_args__ = (Index("ix_in_app_message_subject", "subject_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_message_id)
    subject_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("subject.id", ondelete="RESTRICT")
    )
    #: Unique: delivering the same outbound message twice cannot create two rows.
    outbound_message_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("outbound_message.id", ondelete="CASCADE"), unique=True
    )
    template: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None] = mapped_column(default=None)


class EmailSuppression(Base):
    """Addresses never to send to again (hard bounces, complaints), by blind index only."""

    __tablename__ = "email_suppression"
    __table_args__ = (
        CheckConstraint(_in("reason", SuppressionReason), name="ck_email_suppression_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    address_index: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    reason: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(120))
