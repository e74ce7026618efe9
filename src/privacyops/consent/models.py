"""Consent records as proof: append-only events, the notices they refer to, cookie scans.

`consent_event` is the write-hot table. Each row is one decision about one purpose,
narrow and never updated: a withdrawal is a new row. It has no foreign keys (a
subject id is checked by the service before the insert, and a key lookup per
insert is what made consent writes slow elsewhere) and exactly three indexes,
one for each read that matters:

- the history of one subject, and of one pseudonymous browser (`cookie_index`),
  read newest first to find the current state per purpose (partial indexes:
  each row has one of the two);
- reports by day (`occurred_at`).

A browser is known only by the blind index of the random id its banner
generated; the id itself, e-mail addresses and full IP addresses never reach
this table.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from privacyops.db import Base

#: SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer, "sqlite")


class ConsentState(StrEnum):
    GRANTED = "granted"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"


class Method(StrEnum):
    """How a decision was obtained (the receipt's `collectionMethod`)."""

    BANNER = "banner"  # "Accept all" / "Reject all" on the banner
    PREFERENCES = "preferences"  # per-category choice in the preferences dialog
    FORM = "form"  # a form of the website or an app, sent by the integration
    API = "api"  # any other integration call (an in-app toggle)
    GPC = "gpc"  # the browser's Global Privacy Control signal, no click
    JURISDICTION_DEFAULT = "jurisdiction_default"  # the regime's default, applied and shown


def _sql_in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class ConsentEvent(Base):
    __tablename__ = "consent_event"
    __table_args__ = (
        CheckConstraint(_sql_in("state", ConsentState), name="ck_consent_event_state"),
        CheckConstraint(_sql_in("method", Method), name="ck_consent_event_method"),
        CheckConstraint(
            "subject_id IS NOT NULL OR cookie_index IS NOT NULL", name="ck_consent_event_who"
        ),
        Index(
            "ix_consent_event_subject",
            "subject_id",
            "id",
            sqlite_where=text("subject_id IS NOT NULL"),
            postgresql_where=text("subject_id IS NOT NULL"),
        ),
        Index(
            "ix_consent_event_cookie",
            "cookie_index",
            "id",
            sqlite_where=text("cookie_index IS NOT NULL"),
            postgresql_where=text("cookie_index IS NOT NULL"),
        ),
        Index("ix_consent_event_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    receipt_id: Mapped[str] = mapped_column(String(36))
    """One choice (one click, one call) gives one receipt covering several purposes."""
    subject_id: Mapped[str | None] = mapped_column(String(36), default=None)
    cookie_index: Mapped[bytes | None] = mapped_column(LargeBinary(32), default=None)
    purpose: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(20))
    policy_version: Mapped[str] = mapped_column(String(40))
    notice_version: Mapped[str] = mapped_column(String(40))
    notice_hash: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(5))
    regime: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime]
    ip_prefix: Mapped[str | None] = mapped_column(String(45), default=None)
    """The network, never the address: /24 for IPv4, /48 for IPv6."""
    ua_family: Mapped[str | None] = mapped_column(String(40), default=None)
    actor: Mapped[str] = mapped_column(String(120))


class ConsentNotice(Base):
    """The exact wording a person was shown, stored once and referred to by its SHA-256."""

    __tablename__ = "consent_notice"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(40))
    lang: Mapped[str] = mapped_column(String(5))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    first_used_at: Mapped[datetime]


class CookieScan(Base):
    """One run of `privacyops cookies scan`: what a real browser stored, what broke the rules."""

    __tablename__ = "cookie_scan"

    id: Mapped[int] = mapped_column(primary_key=True)
    scanned_at: Mapped[datetime] = mapped_column(index=True)
    url: Mapped[str] = mapped_column(String(2000))
    region: Mapped[str | None] = mapped_column(String(10), default=None)
    ok: Mapped[bool] = mapped_column(Boolean)
    violations: Mapped[int] = mapped_column(Integer)
    findings: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(120))
