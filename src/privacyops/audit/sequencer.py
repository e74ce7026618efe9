"""The sequencer: pending events become leaves, and a signed tree head covers them.

Writers only INSERT events. The sequencer first updates its own state row, which
takes that row's lock on PostgreSQL (and the write lock on SQLite), so two
sequencers queue while writers never wait on it. It reads committed pending
events in insert-id order, numbers them after the current size, stores every
complete subtree hash they form, and signs the new head, all in the caller's
transaction: a crash rolls the whole batch back and the next run takes it again.

The batch is written set-based: on PostgreSQL one UPDATE numbers every event of
the batch (the ids go in as one array, their numbers follow its order) and one
INSERT stores every node (three arrays unnested), so a batch costs two
statements whatever its size; SQLite, in-process, takes the same rows through
``executemany``. Either way the UPDATE only touches events still pending, and a
count that differs from the batch raises, so the transaction (and the whole
batch) rolls back rather than commit a tree that skips or repeats an event.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import CursorResult, func, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from privacyops.audit import heads, merkle, tree
from privacyops.audit.leaves import leaf_data_of
from privacyops.audit.models import AuditEvent, AuditLogState, AuditTreeHead

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
    first = compact.size + 1
    ids = [event.id for event in pending]
    nodes: list[tuple[int, int, bytes]] = []
    for event in pending:
        leaf = merkle.leaf_hash(leaf_data_of(event_id=event.id, **_content(event)))
        nodes.extend(compact.append(leaf))
    _number(session, ids, first)
    _store_nodes(session, nodes)
    state.size = compact.size
    head = _store_head(session, key, compact.size, compact.root())
    session.flush()
    return Batch(len(pending), compact.size, head)


class SequencingError(RuntimeError):
    """The batch did not number exactly the events it read: nothing of it is kept."""


_NUMBER_PG = text(
    "UPDATE audit_event AS e SET seq = :first + v.n - 1"
    " FROM unnest(CAST(:ids AS BIGINT[])) WITH ORDINALITY AS v(id, n)"
    " WHERE e.id = v.id AND e.seq IS NULL"
)
_NUMBER_ONE = text("UPDATE audit_event SET seq = :seq WHERE id = :id AND seq IS NULL")
_NODE_ONE = text(
    "INSERT INTO audit_tree_node (level, position, hash) VALUES (:level, :position, :hash)"
)
_NODES_PG = text(
    "INSERT INTO audit_tree_node (level, position, hash)"
    " SELECT v.level, v.position, substring(CAST(:hashes AS BYTEA) FROM CAST(v.n AS INTEGER)"
    " * 32 - 31 FOR 32) FROM unnest(CAST(:levels AS SMALLINT[]), CAST(:positions AS BIGINT[]))"
    " WITH ORDINALITY AS v(level, position, n)"
)


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _array(numbers: Iterable[int]) -> str:
    """A PostgreSQL array literal: the driver adapts a list element by element in Python,
    while a joined string and one blob of hashes cost one C-level pass each."""
    return "{" + ",".join(map(str, numbers)) + "}"


def _number(session: Session, ids: list[int], first: int) -> None:
    """Give ``ids[i]`` the sequence number ``first + i``."""
    if _postgresql(session):
        result = session.execute(_NUMBER_PG, {"ids": _array(ids), "first": first})
    else:
        rows = [{"id": event_id, "seq": first + i} for i, event_id in enumerate(ids)]
        result = session.execute(_NUMBER_ONE, rows)
    numbered = result.rowcount if isinstance(result, CursorResult) else -1
    if numbered != len(ids):
        raise SequencingError(f"numbered {numbered} of {len(ids)} pending events")


def _store_nodes(session: Session, nodes: list[tuple[int, int, bytes]]) -> None:
    if _postgresql(session):
        params = {
            "levels": _array(level for level, _, _ in nodes),
            "positions": _array(position for _, position, _ in nodes),
            "hashes": b"".join(digest for _, _, digest in nodes),
        }
        session.execute(_NODES_PG, params)
        return
    rows = [{"level": lv, "position": p, "hash": h} for lv, p, h in nodes]
    session.execute(_NODE_ONE, rows)


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
