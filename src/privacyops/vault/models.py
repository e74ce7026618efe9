"""The database half of each subject's data key (see ``shares`` for the other half)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from privacyops.db import Base


class SubjectKey(Base):
    """One row per subject that ever had a data key.

    ``wrapped_key`` is the subject's database share, wrapped by master key
    ``key_id`` (``WrappedKey.to_bytes()``). Shredding nulls both and sets
    ``destroyed_at``; the row stays as a tombstone so that no new key is ever
    created for an erased subject.
    """

    __tablename__ = "subject_key"

    subject_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("subject.id", ondelete="RESTRICT"), primary_key=True
    )
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    key_id: Mapped[str | None] = mapped_column(String(255), index=True, default=None)
    created_at: Mapped[datetime]
    destroyed_at: Mapped[datetime | None] = mapped_column(index=True, default=None)
