"""Tables of external sources: per-table erasure progress, and each source's health.

Neither holds a personal value: a progress row names the request, the table
and how many rows changed or were kept; a health row names the source, when a
request last used it and what the last check found.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from privacyops.db import Base


class SourceErasure(Base):
    """One table of an external source erased for a request (committed there and here)."""

    __tablename__ = "source_erasure"
    __table_args__ = (UniqueConstraint("request_id", "table_label", name="uq_source_erasure"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("rights_request.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(64))
    table_label: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(64), default=None)
    erased: Mapped[int] = mapped_column(Integer)
    kept: Mapped[int] = mapped_column(Integer)
    kept_until: Mapped[datetime | None] = mapped_column(default=None)
    law: Mapped[str | None] = mapped_column(Text, default=None)
    done_at: Mapped[datetime]


class SourceHealth(Base):
    """What is known of one external source: last use by a request, last check."""

    __tablename__ = "source_health"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_request_at: Mapped[datetime | None] = mapped_column(default=None)
    checked_at: Mapped[datetime | None] = mapped_column(default=None)
    reachable: Mapped[bool | None] = mapped_column(default=None)
    indexes_ok: Mapped[bool | None] = mapped_column(default=None)
    check_error: Mapped[str | None] = mapped_column(Text, default=None)
