"""Tables of the executors: standing objections, and data kept back from an erasure.

Neither holds a personal value: an objection names a subject and a purpose;
a retention line names the erased subject, the subject that now holds the
retained values (encrypted under its own key), the category, the law and
until when.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from privacyops.db import Base


class Objection(Base):
    """Processing of ``purpose`` (a legitimate-interests one) stopped for the subject."""

    __tablename__ = "rights_objection"
    __table_args__ = (
        UniqueConstraint("subject_id", "purpose", "request_id", name="uq_rights_objection"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("subject.id", ondelete="RESTRICT"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(
        ForeignKey("rights_request.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None] = mapped_column(default=None)
    lifted_by: Mapped[str | None] = mapped_column(String(120), default=None)


class RetainedData(Base):
    """What an erasure kept because a law requires it, and where it is now.

    ``holder_subject_id`` is the retention subject that holds the re-encrypted
    vault values (None for rows kept in place in an external source).
    ``released_at`` is set once the period ended and the holder was erased.
    """

    __tablename__ = "rights_retained"
    __table_args__ = (
        UniqueConstraint("request_id", "source", "category", name="uq_rights_retained"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("rights_request.id", ondelete="RESTRICT"), index=True
    )
    erased_subject_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("subject.id", ondelete="RESTRICT"), index=True
    )
    holder_subject_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("subject.id", ondelete="RESTRICT"), index=True, default=None
    )
    source: Mapped[str] = mapped_column(String(160))
    category: Mapped[str] = mapped_column(String(64))
    law: Mapped[str] = mapped_column(Text)
    records: Mapped[int] = mapped_column(Integer)
    #: When the period ends (the latest expiry kept); None while an open-ended hold lasts.
    retained_until: Mapped[datetime | None] = mapped_column(index=True, default=None)
    created_at: Mapped[datetime]
    released_at: Mapped[datetime | None] = mapped_column(default=None)
