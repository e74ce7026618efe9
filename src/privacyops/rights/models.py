"""Data subject requests: the request, its verification codes, its steps and its package.

A request is answered for the data subject it names; the requester's contact
details live in the vault under that subject (created for the request when the
person is not known yet), so nothing here holds a readable personal value.
Execution is split into steps, each recorded, so a rerun after a crash continues
from the last finished step instead of starting over (or stopping silently).
"""

from __future__ import annotations

import secrets
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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from privacyops.db import Base


class RequestType(StrEnum):
    ACCESS = "access"
    PORTABILITY = "portability"
    CORRECTION = "correction"
    DELETION = "deletion"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    WITHDRAW_CONSENT = "withdraw_consent"
    COMPLAINT = "complaint"
    INQUIRY = "inquiry"


class RequestStatus(StrEnum):
    PENDING_VERIFICATION = "pending_verification"
    VERIFIED = "verified"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DENIED = "denied"
    EXPIRED = "expired"


class Channel(StrEnum):
    PRIVACY_CENTER = "privacy_center"
    API = "api"
    EMAIL = "email"
    CONTACT_PAGE = "contact_page"
    ACCOUNT = "account"


class VerificationLevel(StrEnum):
    """After the CCPA regulations' degrees of certainty (11 CCR 7062)."""

    NONE = "none"  # opt-outs and complaints need no verification
    REASONABLE = "reasonable"  # one data point: a code to the e-mail or phone on file
    REASONABLY_HIGH = "reasonably_high"  # two or more: code plus another matching data point


class StepStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


def new_request_id() -> str:
    return "DSR-" + secrets.token_hex(6).upper()


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class RightsRequest(Base):
    __tablename__ = "rights_request"
    __table_args__ = (
        CheckConstraint(_in("type", RequestType), name="ck_rights_request_type"),
        CheckConstraint(_in("status", RequestStatus), name="ck_rights_request_status"),
        Index("ix_rights_request_open_due", "status", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(20), primary_key=True, default=new_request_id)
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("subject.id", ondelete="RESTRICT"), index=True
    )
    contact_kind: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    region_code: Mapped[str | None] = mapped_column(String(3), default=None)
    regime: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime]
    due_at: Mapped[datetime]
    extended_due_at: Mapped[datetime | None] = mapped_column(default=None)
    extension_reason: Mapped[str | None] = mapped_column(Text, default=None)
    verification_level: Mapped[str] = mapped_column(String(20))
    verified_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    decision_reason: Mapped[str | None] = mapped_column(Text, default=None)
    #: Non-personal facts about the request (chosen purposes, deadline basis, outcome).
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The requester's free-text details, encrypted under the subject's key.
    details_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    status_token_hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(120))
    #: The address or number the requester gave, sealed under the rights contact key (not the
    #: subject's key, so the notice that confirms an erasure can still be sent); removed once
    #: the request is closed and its last notice queued.
    contact_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


class VerificationCode(Base):
    __tablename__ = "verification_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("rights_request.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class RequestStep(Base):
    """One unit of a request's execution; (request, name) is unique so reruns find it."""

    __tablename__ = "request_step"
    __table_args__ = (UniqueConstraint("request_id", "name", name="uq_request_step_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("rights_request.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default=StepStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RequestNote(Base):
    """Staff notes and timeline entries shown on the request's page (no personal values)."""

    __tablename__ = "request_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("rights_request.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)


class AccessPackage(Base):
    """A built access/portability package: an encrypted zip on disk, downloadable until expiry."""

    __tablename__ = "access_package"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("rights_request.id", ondelete="CASCADE"), unique=True
    )
    path: Mapped[str] = mapped_column(String(500))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    #: The file's AES-256-GCM key, wrapped like a field of the subject (so erasure kills it).
    key_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    download_token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    downloaded_at: Mapped[datetime | None] = mapped_column(default=None)
