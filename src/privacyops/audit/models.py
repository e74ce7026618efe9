"""The audit log: events, the Merkle tree over them, and its signed tree heads.

A transaction only inserts ``AuditEvent`` rows (``seq`` NULL: pending). The
sequencer gives them sequence numbers, stores the hash of every complete subtree
in ``AuditTreeNode`` (so a proof reads O(log n) rows) and signs a tree head.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from privacyops.db import Base


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_target", "target_type", "target_id"),
        # Only the pending events, in insert order: the sequencer's next batch is the first
        # rows of this index, however long the log (see the sequencer).
        Index(
            "ix_audit_event_pending",
            "id",
            postgresql_where=text("seq IS NULL"),
            sqlite_where=text("seq IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    """Position in the log, from 1; NULL until the sequencer takes the event."""
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80), index=True)
    target_type: Mapped[str] = mapped_column(String(60))
    target_id: Mapped[str] = mapped_column(String(120))
    details: Mapped[dict[str, Any]]

    @property
    def pending(self) -> bool:
        return self.seq is None


class AuditTreeNode(Base):
    """Hash of leaves [position * 2**level, (position + 1) * 2**level); level 0: leaf hashes."""

    __tablename__ = "audit_tree_node"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditTreeHead(Base):
    """A signed statement of the tree's size and root at a moment (RFC 9162 tree head)."""

    __tablename__ = "audit_tree_head"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    key_id: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the raw public key that signed it."""


class AuditLogState(Base):
    """The sequencer's own row: its lock (writers never touch it) and the tree size."""

    __tablename__ = "audit_log_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
