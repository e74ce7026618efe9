"""The stored Merkle tree: read complete-subtree hashes, build proofs from them.

Every proof or root touches O(log n) rows of ``audit_tree_node``: the RFC
recursion only ever needs complete, aligned subtrees, and those are stored. A
proof names the rows it needs first and reads them in one query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from privacyops.audit import merkle
from privacyops.audit.models import AuditEvent, AuditLogState, AuditTreeNode

STATE_ID = 1


class MissingNodeError(LookupError):
    """A node the tree needs is not stored: the tree rows were tampered with."""


def tree_size(*, session: Session) -> int:
    state = session.get(AuditLogState, STATE_ID)
    return state.size if state is not None else 0


class StoredNodes:
    """A ``merkle.Node`` over the table, with a per-proof cache."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[tuple[int, int], bytes] = {}
        self.reads = 0

    def preload(self, keys: list[tuple[int, int]]) -> None:
        wanted = [k for k in dict.fromkeys(keys) if k not in self.cache]
        if not wanted:
            return
        clause = or_(
            *(and_(AuditTreeNode.level == lv, AuditTreeNode.position == p) for lv, p in wanted)
        )
        for row in self.session.execute(
            select(AuditTreeNode.level, AuditTreeNode.position, AuditTreeNode.hash).where(clause)
        ):
            self.cache[(row.level, row.position)] = bytes(row.hash)
        self.reads += 1

    def __call__(self, level: int, position: int) -> bytes:
        key = (level, position)
        if key not in self.cache:
            found = self.session.scalar(
                select(AuditTreeNode.hash).where(
                    AuditTreeNode.level == level, AuditTreeNode.position == position
                )
            )
            self.reads += 1
            if found is None:
                raise MissingNodeError(f"tree node level {level} position {position} is missing")
            self.cache[key] = bytes(found)
        return self.cache[key]


def edge(size: int) -> list[tuple[int, int]]:
    """The complete subtrees that make up a tree of ``size`` leaves, largest first."""
    keys, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            keys.append((level, start >> level))
            start += 1 << level
    return keys


_UNREAD = bytes(32)


def _keys_of(walk: Callable[[merkle.Node], object]) -> list[tuple[int, int]]:
    """The stored subtrees a proof reads: the proof run once over placeholder hashes."""
    keys: list[tuple[int, int]] = []

    def record(level: int, position: int) -> bytes:
        keys.append((level, position))
        return _UNREAD

    walk(record)
    return keys


def root_at(*, session: Session, size: int) -> bytes:
    nodes = StoredNodes(session)
    nodes.preload(edge(size))
    return merkle.root(nodes, size)


@dataclass(frozen=True)
class InclusionProof:
    event_id: int
    seq: int
    tree_size: int
    leaf_hash: bytes
    path: list[bytes]
    rows_read: int

    @property
    def leaf_index(self) -> int:
        return self.seq - 1


def inclusion(*, session: Session, event: AuditEvent, size: int) -> InclusionProof:
    """The audit path of a sequenced event in the tree of ``size`` leaves."""
    if event.seq is None:
        raise merkle.ProofError(f"event {event.id} is pending: not in the tree yet")
    if event.seq > size:
        raise merkle.ProofError(f"event {event.id} (#{event.seq}) is not in a tree of size {size}")
    index = event.seq - 1
    nodes = StoredNodes(session)
    nodes.preload([(0, index), *_keys_of(lambda node: merkle.inclusion_proof(node, index, size))])
    path = merkle.inclusion_proof(nodes, index, size)
    return InclusionProof(event.id, event.seq, size, nodes(0, index), path, nodes.reads)


def consistency(*, session: Session, old_size: int, new_size: int) -> list[bytes]:
    nodes = StoredNodes(session)
    nodes.preload(_keys_of(lambda node: merkle.consistency_proof(node, old_size, new_size)))
    return merkle.consistency_proof(nodes, old_size, new_size)
