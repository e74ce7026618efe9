"""Data subjects, their identities (blind indexes only) and their encrypted personal values.

Nothing personal is stored here in plaintext: an identity is a keyed blind
index (``vault.blind_index``), a value is AES-256-GCM ciphertext under the
subject's data key (``vault.crypto``). Country and region code stay readable
because every rule (jurisdiction, deadlines, consent model) is decided by
them; they are coarse and never identify a person alone.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from privacyops.db import Base
from privacyops.vault.blind_index import IdentityKind

#: SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer, "sqlite")


class SubjectKind(StrEnum):
    """The declaration's ``data_subjects`` keys (a test keeps both in step)."""

    CUSTOMER = "customer"
    BUSINESS_CONTACT = "business_contact"  # a contact at a key-account customer
    PROSPECT = "prospect"  # someone who contacted us
    VISITOR = "visitor"


class AgeStatus(StrEnum):
    """The age gate's answer for a subject (``collection.age``).

    ``adult`` means the gate lets the subject be processed like any account: of age
    where it applies, or a minor whose verified parental consent is on record
    (``Subject.parental_consent_at``).
    """

    UNKNOWN = "unknown"
    ADULT = "adult"
    MINOR_PENDING_PARENTAL_CONSENT = "minor_pending_parental_consent"
    MINOR_REFUSED = "minor_refused"


class SubjectState(StrEnum):
    ACTIVE = "active"
    RESTRICTED = "restricted"  # processing restricted: stored, not otherwise used
    ERASED = "erased"  # data key destroyed, identities deleted


def _sql_in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


def new_subject_id() -> str:
    """A random UUID: reveals neither order nor count, safe as a file name (key shares)."""
    return str(uuid.uuid4())


class Subject(Base):
    __tablename__ = "subject"
    __table_args__ = (
        CheckConstraint(_sql_in("state", SubjectState), name="ck_subject_state"),
        CheckConstraint(_sql_in("age_status", AgeStatus), name="ck_subject_age_status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_subject_id)
    kind: Mapped[str] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    region_code: Mapped[str | None] = mapped_column(String(3), default=None)
    jurisdiction: Mapped[str | None] = mapped_column(String(16), index=True, default=None)
    age_status: Mapped[str] = mapped_column(String(40), default=AgeStatus.UNKNOWN.value)
    #: The consent age the gate applied (policy minimum or the stricter local law).
    age_threshold: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    parental_consent_at: Mapped[datetime | None] = mapped_column(default=None)
    state: Mapped[str] = mapped_column(String(16), index=True, default=SubjectState.ACTIVE.value)
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    erased_at: Mapped[datetime | None] = mapped_column(default=None)


class Identity(Base):
    """One way to recognise a subject: only the blind index, never the value.

    Unique per (kind, blind_index): an e-mail address belongs to at most one
    subject, and finding its owner is one index lookup.
    """

    __tablename__ = "identity"
    __table_args__ = (
        UniqueConstraint("kind", "blind_index", name="uq_identity_kind_blind_index"),
        CheckConstraint(_sql_in("kind", IdentityKind), name="ck_identity_kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("subject.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    blind_index: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime]


class PersonalRecord(Base):
    """One encrypted personal value and everything needed to govern it (invariant 2).

    Subject, category, purpose, region, collection time and expiry are never
    null, except ``expires_at`` while the retention rule waits for an event
    (``account_life``: the clock starts when the account closes); the
    retention sweep reads ``expires_at`` through its index. ``ciphertext`` is
    bound to (subject, category, field) by its AAD, so it cannot be moved to
    another row and still decrypt.
    """

    __tablename__ = "personal_record"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("subject.id", ondelete="RESTRICT"), index=True
    )
    category: Mapped[str] = mapped_column(String(64), index=True)
    field: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(32))
    collected_at: Mapped[datetime]
    expires_at: Mapped[datetime | None] = mapped_column(index=True, default=None)
    notice_version: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(64))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
