"""Tables of external sources: per-table erasure progress, and each source's health.

None holds a personal value: a progress row names the request, the table
and how many rows changed or were kept; an intent row names the rows a table's
erasure is about to change (their primary keys) and a keyed digest of the values
they get; a health row names the source, when a request last used it and what
the last check found.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
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


class SourceErasureIntent(Base):
    """A table's erasure about to commit in the external database, recorded here first.

    ``rows`` is ``[[primary key values], digest]`` per row: the digest is keyed with
    the request's secret over the values the row gets, so a rerun after a crash
    between the two commits tells an erased row from an untouched one without
    erasing it a second time. Removed with the table's ``SourceErasure`` commit.
    """

    __tablename__ = "source_erasure_intent"
    __table_args__ = (
        UniqueConstraint("request_id", "table_label", name="uq_source_erasure_intent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("rights_request.id", ondelete="CASCADE"), index=True
    )
    table_label: Mapped[str] = mapped_column(String(200))
    rows: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]


class SourceHealth(Base):
    """What is known of one external source: last use by a request, last check."""

    __tablename__ = "source_health"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_request_at: Mapped[datetime | None] = mapped_column(default=None)
    checked_at: Mapped[datetime | None] = mapped_column(default=None)
    reachable: Mapped[bool | None] = mapped_column(default=None)
    indexes_ok: Mapped[bool | None] = mapped_column(default=None)
    check_error: Mapped[str | None] = mapped_column(Text, default=None)
