"""The sequencer: pending events become leaves, and a signed tree head covers them.

Writers only INSERT events. The sequencer first updates its own state row, which
takes that row's lock on PostgreSQL (and the write lock on SQLite), so two
sequencers queue while writers never wait on it. It reads committed pending
events in insert-id order, numbers them after the current size, stores every
complete subtree hash they form, and signs the new head, all in the caller's
transaction: a crash rolls the whole batch back and the next run takes it again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from privacyops.audit import heads, merkle, tree
from privacyops.audit.leaves import leaf_data_of
from privacyops.audit.models import AuditEvent, AuditLogState, AuditTreeHead, AuditTreeNode

DEFAULT_BATCH = 5000


@dataclass(frozen=True)
class Batch:
    sequenced: int
    tree_size: int
    head: heads.TreeHead | None


def _lock_state(session: Session) -> AuditLogState:
    session.execute(
        update(AuditLogState)
        .where(AuditLogState.id == tree.STATE_ID)
        .values(size=AuditLogState.size),
        execution_options={"synchronize_session": False},
    )
    state = session.get(AuditLogState, tree.STATE_ID, populate_existing=True)
    if state is None:
        state = AuditLogState(id=tree.STATE_ID, size=0)
        session.add(state)
        session.flush()
    return state


def _right_edge(session: Session, size: int) -> merkle.CompactRange:
    nodes = tree.StoredNodes(session)
    keys = tree.edge(size)
    nodes.preload(keys)
    compact = merkle.CompactRange()
    compact.hashes = [nodes(level, position) for level, position in keys]
    compact.size = size
    return compact


def sequence_batch(
    *, session: Session, key: Ed25519PrivateKey, batch: int = DEFAULT_BATCH
) -> Batch:
    """Sequence up to ``batch`` pending events and sign the new head (no commit)."""
    state = _lock_state(session)
    pending = session.execute(
        select(
            AuditEvent.id,
            AuditEvent.occurred_at,
            AuditEvent.actor,
            AuditEvent.action,
            AuditEvent.target_type,
            AuditEvent.target_id,
            AuditEvent.details,
        )
        .where(AuditEvent.seq.is_(None))
        .order_by(AuditEvent.id)
        .limit(batch)
    ).all()
    if not pending:
        if state.size == 0 and heads.latest(session=session) is None:
            return Batch(0, 0, _store_head(session, key, 0, merkle.EMPTY_ROOT))
        return Batch(0, state.size, None)
    compact = _right_edge(session, state.size)
    numbers: list[dict[str, int]] = []
    nodes: list[dict[str, object]] = []
    for event in pending:
        numbers.append({"id": event.id, "seq": compact.size + 1})
        leaf = merkle.leaf_hash(leaf_data_of(event_id=event.id, **_content(event)))
        for level, position, digest in compact.append(leaf):
            nodes.append({"level": level, "position": position, "hash": digest})
    session.execute(update(AuditEvent), numbers)
    session.execute(insert(AuditTreeNode), nodes)
    state.size = compact.size
    head = _store_head(session, key, compact.size, compact.root())
    session.flush()
    return Batch(len(pending), compact.size, head)


def _content(row: Row[Any]) -> dict[str, Any]:
    return {
        "occurred_at": row.occurred_at,
        "actor": row.actor,
        "action": row.action,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "details": row.details,
    }


def _store_head(
    session: Session, key: Ed25519PrivateKey, size: int, root_hash: bytes
) -> heads.TreeHead:
    previous = heads.latest(session=session)
    stamp = int(time.time() * 1000)
    if previous is not None:
        stamp = max(stamp, previous.timestamp_ms)
    head = heads.sign(key, size, root_hash, stamp)
    session.add(
        AuditTreeHead(
            size=head.size,
            root_hash=head.root_hash,
            timestamp_ms=head.timestamp_ms,
            signature=head.signature,
            key_id=head.key_id,
        )
    )
    session.flush()
    return head


def pending_count(*, session: Session) -> int:
    return session.scalar(select(func.count()).where(AuditEvent.seq.is_(None))) or 0
