"""The sequencer's set-based batch: exact trees, and all of a batch or none of it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from privacyops.audit import heads, merkle, sequencer, tree
from privacyops.audit import service as audit
from privacyops.audit.leaves import leaf_hash
from privacyops.audit.models import AuditEvent, AuditTreeHead, AuditTreeNode
from privacyops.audit.tasks import Run
from privacyops.db import Database

Append = Callable[..., list[int]]
Sequence = Callable[..., Run]
Check = Callable[..., audit.Verification]


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 9162's MTH, straight from the definition."""
    if len(leaves) == 1:
        return leaves[0]
    k = merkle.split(len(leaves))
    return merkle.node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def _nothing_sequenced(db: Database, pending: int) -> None:
    with db.unit_of_work() as session:
        assert audit.pending_count(session=session) == pending
        assert session.scalar(select(func.count()).select_from(AuditTreeNode)) == 0
        assert session.scalar(select(func.count()).select_from(AuditTreeHead)) == 0
        assert tree.tree_size(session=session) == 0


def test_batches_across_many_levels_build_the_tree_the_rfc_defines(
    db: Database, append: Append, sequence: Sequence, check: Check
) -> None:
    ids = append(300)
    run = sequence(batch=64)
    assert (run.sequenced, run.batches, run.tree_size) == (300, 5, 300)
    with db.unit_of_work() as session:
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        assert [e.id for e in events] == ids
        assert [e.seq for e in events] == list(range(1, 301))
        latest = heads.latest(session=session)
        assert latest is not None
        assert latest.root_hash == _mth([leaf_hash(e) for e in events])
        per_level = dict(
            session.execute(
                select(AuditTreeNode.level, func.count()).group_by(AuditTreeNode.level)
            ).all()
        )
        assert per_level == {level: 300 >> level for level in range(9)}
    result = check()
    assert (result.ok, result.checked, result.heads_checked) == (True, 300, 5)


def test_a_crash_after_numbering_before_the_nodes_keeps_nothing_of_the_batch(
    db: Database,
    append: Append,
    sequence: Sequence,
    check: Check,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    append(9)

    def power_cut(session: Session, nodes: list[tuple[int, int, bytes]]) -> None:
        numbered = session.scalar(select(func.count()).where(AuditEvent.seq.is_not(None)))
        assert numbered == 9  # the UPDATE ran, in the same transaction
        raise RuntimeError("power cut")

    monkeypatch.setattr(sequencer, "_store_nodes", power_cut)
    with pytest.raises(RuntimeError, match="power cut"):
        sequence()
    _nothing_sequenced(db, 9)
    monkeypatch.undo()
    assert sequence().sequenced == 9
    assert check().ok


def test_a_batch_that_numbers_other_than_it_read_rolls_back(
    db: Database,
    append: Append,
    sequence: Sequence,
    check: Check,
    key: Ed25519PrivateKey,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = append(3)
    right_edge = sequencer._right_edge

    def numbered_meanwhile(session: Session, size: int) -> merkle.CompactRange:
        """A rival numbers one of the events after they were read and before the UPDATE."""
        session.execute(update(AuditEvent).where(AuditEvent.id == ids[1]).values(seq=100))
        return right_edge(session, size)

    monkeypatch.setattr(sequencer, "_right_edge", numbered_meanwhile)
    with (
        pytest.raises(sequencer.SequencingError, match="numbered 2 of 3"),
        db.unit_of_work() as session,
    ):
        sequencer.sequence_batch(session=session, key=key)
    _nothing_sequenced(db, 3)
    monkeypatch.undo()
    assert sequence().sequenced == 3
    assert check().ok


def test_events_committed_out_of_id_order_are_all_sequenced_once(
    db: Database, append: Append, sequence: Sequence, check: Check
) -> None:
    """A transaction that took its id early but commits late joins the next batch."""
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time: ids are taken in commit order")
    with db.unit_of_work() as late:
        audit.record(session=late, actor="staff:dana", action="late", target_type="x", target_id=1)
        late.flush()  # its id is taken now, below the ones appended next
        append(4)
        assert sequence().sequenced == 4
    assert sequence().sequenced == 1
    with db.unit_of_work() as session:
        last = session.scalars(select(AuditEvent).where(AuditEvent.seq == 5)).one()
        assert last.action == "late"
        assert last.id < session.scalars(select(AuditEvent).where(AuditEvent.seq == 1)).one().id
    assert check().ok


def test_a_proof_reads_its_logarithmic_path_in_one_query(
    db: Database, append: Append, sequence: Sequence
) -> None:
    ids = append(300)
    sequence(batch=64)
    with db.unit_of_work() as session:
        root = tree.root_at(session=session, size=300)
        for event_id in (ids[0], ids[150], ids[-1]):
            event = session.get_one(AuditEvent, event_id)
            proof = tree.inclusion(session=session, event=event, size=300)
            assert proof.rows_read == 1
            assert len(proof.path) <= 9  # ceil(log2 300)
            assert merkle.verify_inclusion(
                index=proof.leaf_index,
                size=300,
                leaf=proof.leaf_hash,
                proof=proof.path,
                root_hash=root,
            )
        assert merkle.verify_consistency(
            old_size=100,
            new_size=300,
            old_root=tree.root_at(session=session, size=100),
            new_root=root,
            proof=tree.consistency(session=session, old_size=100, new_size=300),
        )
