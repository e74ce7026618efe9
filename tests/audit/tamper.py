"""What an intruder with write access to the tables does to the log, one change each."""

from __future__ import annotations

from sqlalchemy import delete, update

from privacyops.audit.models import AuditEvent, AuditLogState, AuditTreeHead, AuditTreeNode
from privacyops.db import Database, utcnow


def forge(db: Database, seq: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(actor="staff:mallory"))


def swap(db: Database, a: int, b: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.seq == a).values(seq=-1))
        conn.execute(update(AuditEvent).where(AuditEvent.seq == b).values(seq=a))
        conn.execute(update(AuditEvent).where(AuditEvent.seq == -1).values(seq=b))


def delete_event(db: Database, seq: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.seq == seq))


def insert(db: Database, seq: int | None) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            AuditEvent.__table__.insert().values(
                seq=seq,
                occurred_at=utcnow(),
                actor="staff:mallory",
                action="forged",
                target_type="x",
                target_id="1",
                details={},
            )
        )


def insert_inside(db: Database, seq: int, size: int) -> None:
    """Shift events ``seq``..``size`` up by one and put a forged event at ``seq``."""
    with db.engine.begin() as conn:
        for n in range(size, seq - 1, -1):
            conn.execute(update(AuditEvent).where(AuditEvent.seq == n).values(seq=n + 1))
    insert(db, seq)


def truncate_events(db: Database, first: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.seq >= first))


def truncate_all(db: Database, keep: int) -> None:
    """Cut events, tree nodes and the sequencer's size to the first ``keep`` (a power of 2)."""
    with db.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.seq > keep))
        for level in range(keep.bit_length() + 2):
            conn.execute(
                delete(AuditTreeNode).where(
                    AuditTreeNode.level == level, AuditTreeNode.position >= keep >> level
                )
            )
        conn.execute(update(AuditLogState).values(size=keep))


def change_head(db: Database, size: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            update(AuditTreeHead).where(AuditTreeHead.size == size).values(root_hash=b"\x01" * 32)
        )
