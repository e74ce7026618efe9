"""Full recomputation of the log: every leaf from its event, every node, every head.

The stream walks events in sequence order once, rebuilding the tree's right edge
(``merkle.CompactRange``); each stored tree head is compared with the root
recomputed at its size, and its signature checked with the public key. A head
exported earlier and kept outside is checked the same way: even someone who
rewrote the events, the tree and re-signed every head with the server's key
cannot make the recomputed root at that size match the root the auditor kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import and_, func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session, aliased

from privacyops.audit import heads, merkle, signing, tree
from privacyops.audit.leaves import leaf_data_of
from privacyops.audit.models import AuditEvent, AuditTreeHead, AuditTreeNode
from privacyops.audit.sequencer import pending_count

BATCH = 5000


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    broken_seq: int | None = None
    problem: str | None = None
    broken_head: int | None = None
    tree_size: int = 0
    heads_checked: int = 0
    pending: int = 0
    signatures_checked: bool = False
    exported_checked: bool = False


class _BrokenError(Exception):
    def __init__(self, problem: str, *, seq: int | None = None, head: int | None = None) -> None:
        super().__init__(problem)
        self.problem, self.seq, self.head = problem, seq, head


def _rows(session: Session) -> Iterator[Row[Any]]:
    leaf = aliased(AuditTreeNode)
    last = 0
    while True:
        rows = session.execute(
            select(
                AuditEvent.id,
                AuditEvent.seq,
                AuditEvent.occurred_at,
                AuditEvent.actor,
                AuditEvent.action,
                AuditEvent.target_type,
                AuditEvent.target_id,
                AuditEvent.details,
                leaf.hash.label("leaf"),
            )
            .outerjoin(leaf, and_(leaf.level == 0, leaf.position == AuditEvent.seq - 1))
            .where(AuditEvent.seq > last)
            .order_by(AuditEvent.seq)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


class _Walk:
    def __init__(
        self,
        session: Session,
        key: Ed25519PublicKey | None,
        exported: tuple[heads.TreeHead, Ed25519PublicKey] | None,
    ) -> None:
        self.session, self.key, self.exported = session, key, exported
        self.size = tree.tree_size(session=session)
        self.compact = merkle.CompactRange()
        self.heads = list(session.scalars(select(AuditTreeHead).order_by(AuditTreeHead.size)))
        self.next_head = 0
        self.heads_checked = 0
        self.last_stamp = 0

    def run(self) -> None:
        if self.exported is not None:
            head, key = self.exported
            if not heads.signature_ok(head, key):
                raise _BrokenError("the exported tree head's signature does not match its key")
        self._heads_at_size()
        for row in _rows(self.session):
            self._event(row)
            self._heads_at_size()
        checked = self.compact.size
        if checked < self.size:
            raise _BrokenError(
                f"the log ends at event {checked} but the tree holds {self.size} leaves",
                seq=checked + 1,
            )
        if self.next_head < len(self.heads):
            gone = self.heads[self.next_head]
            raise _BrokenError(
                f"tree head of size {gone.size} covers events after event {checked}: "
                "the log was truncated",
                seq=checked + 1,
                head=gone.size,
            )
        if self.exported is not None and self.exported[0].size > checked:
            raise _BrokenError(
                f"the exported tree head covers {self.exported[0].size} events but the log "
                f"has {checked}: it was truncated or rewritten",
                seq=checked + 1,
            )
        self._nodes()

    def _event(self, row: Row[Any]) -> None:
        expected = self.compact.size + 1
        seq: int = row.seq
        if seq != expected:
            raise _BrokenError(f"event {expected} is missing (deleted)", seq=expected)
        if seq > self.size:
            raise _BrokenError(f"event {seq} is numbered beyond the tree of {self.size}", seq=seq)
        data = leaf_data_of(
            event_id=row.id,
            occurred_at=row.occurred_at,
            actor=row.actor,
            action=row.action,
            target_type=row.target_type,
            target_id=row.target_id,
            details=row.details,
        )
        leaf = merkle.leaf_hash(data)
        stored = row.leaf
        if stored is None:
            raise _BrokenError(f"event {seq} has no leaf in the tree (inserted)", seq=seq)
        if bytes(stored) != leaf:
            raise _BrokenError(
                f"event {seq} (id {row.id}) does not match its leaf: "
                "changed, reordered or replaced after it was sequenced",
                seq=seq,
            )
        self.compact.append(leaf)

    def _heads_at_size(self) -> None:
        size = self.compact.size
        while self.next_head < len(self.heads) and self.heads[self.next_head].size <= size:
            row = self.heads[self.next_head]
            head = heads.TreeHead.of(row)
            if self.key is not None and (
                head.key_id != signing.key_id(self.key) or not heads.signature_ok(head, self.key)
            ):
                raise _BrokenError(f"tree head of size {size}: the signature is invalid", head=size)
            if head.root_hash != self.compact.root():
                raise _BrokenError(
                    f"tree head of size {size}: its root does not match the events it covers",
                    head=size,
                )
            if head.timestamp_ms < self.last_stamp:
                raise _BrokenError(
                    f"tree head of size {size} is dated before its predecessor", head=size
                )
            self.last_stamp = head.timestamp_ms
            self.heads_checked += 1
            self.next_head += 1
        exported = self.exported
        if (
            exported is not None
            and exported[0].size == size
            and exported[0].root_hash != self.compact.root()
        ):
            raise _BrokenError(
                f"the first {size} events no longer match the exported tree head: "
                "the history was rewritten",
                seq=None,
                head=size,
            )

    def _nodes(self) -> None:
        """Every stored inner node is the hash of its children, and none is missing or extra."""
        counts = dict(
            self.session.execute(
                select(AuditTreeNode.level, func.count()).group_by(AuditTreeNode.level)
            ).all()
        )
        for level in sorted(set(counts) | set(range(self.size.bit_length()))):
            expected = self.size >> level
            if counts.get(level, 0) != expected:
                raise _BrokenError(
                    f"the tree holds {counts.get(level, 0)} nodes at level {level}, "
                    f"expected {expected}"
                )
        parent, left, right = (aliased(AuditTreeNode) for _ in range(3))
        query = (
            select(parent.level, parent.position, parent.hash, left.hash, right.hash)
            .outerjoin(
                left, and_(left.level == parent.level - 1, left.position == 2 * parent.position)
            )
            .outerjoin(
                right,
                and_(right.level == parent.level - 1, right.position == 2 * parent.position + 1),
            )
            .where(parent.level > 0)
            .order_by(parent.level, parent.position)
        )
        for level, position, digest, lhash, rhash in self.session.execute(query).yield_per(BATCH):
            if lhash is None or rhash is None or merkle.node_hash(lhash, rhash) != bytes(digest):
                first = position * (1 << level) + 1
                raise _BrokenError(
                    f"tree node level {level} position {position} does not match its children",
                    seq=first,
                )


def verify(
    *,
    session: Session,
    public_key: Ed25519PublicKey | None = None,
    exported: tuple[heads.TreeHead, Ed25519PublicKey] | None = None,
) -> Verification:
    """Recompute the whole log; report the first bad event, node or head.

    Without ``public_key`` the signatures are not checked (only hashes and roots);
    every face passes the key from the key directory.
    """
    walk = _Walk(session, public_key, exported)
    pending = pending_count(session=session)
    problem: _BrokenError | None = None
    try:
        walk.run()
    except _BrokenError as broken:
        problem = broken
    return Verification(
        ok=problem is None,
        checked=walk.compact.size,
        broken_seq=problem.seq if problem else None,
        problem=problem.problem if problem else None,
        broken_head=problem.head if problem else None,
        tree_size=walk.size,
        heads_checked=walk.heads_checked,
        pending=pending,
        signatures_checked=public_key is not None,
        exported_checked=exported is not None,
    )
