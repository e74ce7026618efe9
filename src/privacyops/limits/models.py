from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from privacyops.db import Base


class LimitCounter(Base):
    """Hits on one key in the window that began with its first hit and ends at ``ends_at``."""

    __tablename__ = "limit_counter"
    __table_args__ = (Index("ix_limit_counter_ends_at", "ends_at"),)

    key: Mapped[str] = mapped_column(String(240), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    ends_at: Mapped[datetime]
