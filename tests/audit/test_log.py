"""Appends only insert; the sequencer builds the tree; verify catches every tampering."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, func, select, update
from tests.audit import tamper

from privacyops.audit import heads, merkle, sequencer, tree
from privacyops.audit import service as audit
from privacyops.audit.leaves import leaf_hash
from privacyops.audit.models import AuditEvent, AuditLogState, AuditTreeHead, AuditTreeNode
from privacyops.audit.tasks import Run
from privacyops.db import Database

Append = Callable[..., list[int]]
Sequence = Callable[..., Run]
Check = Callable[..., audit.Verification]


@pytest.fixture
def log(append: Append, sequence: Sequence) -> list[int]:
    """Seven events in two sequencer batches (heads at sizes 4 and 7)."""
    ids = append(4)
    sequence()
    ids += append(3)
    sequence()
    return ids


def test_record_only_inserts_a_pending_event(db: Database, append: Append) -> None:
    append(3)
    with db.unit_of_work() as session:
        events = audit.recent(session=session)
        assert [e.pending for e in events] == [True, True, True]
        assert audit.pending_count(session=session) == 3
        assert session.scalar(select(func.count()).select_from(AuditTreeHead)) == 0


def test_the_sequencer_numbers_events_in_insert_order_and_signs_a_head(
    db: Database, log: list[int], check: Check, key: Ed25519PrivateKey
) -> None:
    with db.unit_of_work() as session:
        seqs = [session.get_one(AuditEvent, i).seq for i in log]
        assert seqs == list(range(1, 8))
        assert [h.size for h in heads.listing(session=session)] == [7, 4]
        latest = heads.latest(session=session)
        assert latest is not None
        assert heads.signature_ok(latest, key.public_key())
        assert latest.root_hash == tree.root_at(session=session, size=7)
    result = check()
    assert (result.ok, result.checked, result.heads_checked, result.pending) == (True, 7, 2, 0)


def test_pending_events_do_not_break_verification(
    log: list[int], append: Append, check: Check
) -> None:
    append(2)
    result = check()
    assert result.ok
    assert result.pending == 2
    assert result.checked == 7


def test_a_crash_between_insert_and_sequencing_loses_nothing(
    db: Database, append: Append, sequence: Sequence, check: Check
) -> None:
    ids = append(5)  # committed; the process dies before any sequencer runs
    assert sequence().sequenced == 5
    with db.unit_of_work() as session:
        assert {session.get_one(AuditEvent, i).seq for i in ids} == {1, 2, 3, 4, 5}
    assert check().ok


def test_a_crash_mid_sequencing_rolls_the_batch_back(
    db: Database, append: Append, sequence: Sequence, key: Ed25519PrivateKey, check: Check
) -> None:
    append(5)

    def crash() -> None:
        with db.unit_of_work() as session:
            assert sequencer.sequence_batch(session=session, key=key).sequenced == 5
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        crash()
    with db.unit_of_work() as session:
        assert audit.pending_count(session=session) == 5
        assert session.scalar(select(func.count()).select_from(AuditTreeNode)) == 0
    assert sequence().sequenced == 5
    assert check().ok


def test_small_batches_give_the_same_tree(
    db: Database, append: Append, sequence: Sequence, check: Check
) -> None:
    append(11)
    run = sequence(batch=3)
    assert (run.sequenced, run.batches, run.tree_size) == (11, 4, 11)
    with db.unit_of_work() as session:
        events = sorted(session.scalars(select(AuditEvent)), key=lambda e: e.seq or 0)
        leaves = [leaf_hash(e) for e in events]
        assert tree.root_at(session=session, size=11) == _mth(leaves)
        assert [h.size for h in heads.listing(session=session)] == [11, 9, 6, 3]
    assert check().heads_checked == 4


def _mth(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = merkle.split(len(leaves))
    return merkle.node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def test_concurrent_writers_then_sequencing_verify(
    db: Database, sequence: Sequence, check: Check, key: Ed25519PrivateKey
) -> None:
    writers, per_writer = 6, 25
    errors: list[BaseException] = []
    start = threading.Barrier(writers + 1)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(per_writer):
                with db.unit_of_work() as session:
                    audit.record(
                        session=session,
                        actor=f"writer:{n}",
                        action="consent.saved",
                        target_type="subject",
                        target_id=i,
                        details={"n": n},
                    )
        except BaseException as error:
            errors.append(error)

    def sequence_meanwhile() -> None:
        try:
            start.wait()
            for _ in range(10):
                with db.unit_of_work() as session:
                    sequencer.sequence_batch(session=session, key=key, batch=7)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    threads.append(threading.Thread(target=sequence_meanwhile))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    sequence()
    result = check()
    assert result.ok, result.problem
    assert (result.checked, result.pending) == (writers * per_writer, 0)


def test_a_forged_event_is_caught(db: Database, log: list[int], check: Check) -> None:
    with db.engine.begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(actor="staff:mallory"))
    result = check()
    assert (result.ok, result.broken_seq) == (False, 3)
    assert "does not match its leaf" in (result.problem or "")


def test_a_reordered_log_is_caught(db: Database, log: list[int], check: Check) -> None:
    tamper.swap(db, 2, 5)
    result = check()
    assert (result.ok, result.broken_seq) == (False, 2)


def test_a_deleted_event_is_caught(db: Database, log: list[int], check: Check) -> None:
    with db.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.seq == 2))
    result = check()
    assert (result.ok, result.broken_seq) == (False, 2)
    assert "missing" in (result.problem or "")


def test_an_event_inserted_after_the_tree_is_caught(
    db: Database, log: list[int], check: Check
) -> None:
    tamper.insert(db, 8)
    result = check()
    assert (result.ok, result.broken_seq) == (False, 8)


def test_an_event_inserted_inside_the_log_is_caught(
    db: Database, log: list[int], check: Check
) -> None:
    with db.engine.begin() as conn:
        for seq in range(7, 3, -1):
            conn.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(seq=seq + 1))
    tamper.insert(db, 4)
    result = check()
    assert (result.ok, result.broken_seq) == (False, 4)


def test_a_truncated_log_is_caught(db: Database, log: list[int], check: Check) -> None:
    with db.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.seq >= 6))
    result = check()
    assert (result.ok, result.broken_seq) == (False, 6)


def test_a_truncation_of_events_tree_and_state_is_caught_by_the_signed_head(
    db: Database, log: list[int], check: Check
) -> None:
    with db.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.seq >= 5))
        for level in range(3):  # keep exactly the tree of size 4
            conn.execute(
                delete(AuditTreeNode).where(
                    AuditTreeNode.level == level, AuditTreeNode.position >= 4 >> level
                )
            )
        conn.execute(update(AuditLogState).values(size=4))
    result = check()
    assert (result.ok, result.broken_head) == (False, 7)
    assert "truncated" in (result.problem or "")


def test_a_changed_tree_head_is_caught(db: Database, log: list[int], check: Check) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            update(AuditTreeHead).where(AuditTreeHead.size == 4).values(root_hash=b"\x01" * 32)
        )
    result = check()
    assert (result.ok, result.broken_head) == (False, 4)
    assert "signature" in (result.problem or "")


def test_a_changed_tree_node_is_caught(db: Database, log: list[int], check: Check) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            update(AuditTreeNode)
            .where(AuditTreeNode.level == 1, AuditTreeNode.position == 1)
            .values(hash=b"\x02" * 32)
        )
    result = check()
    assert not result.ok
    assert "level 1 position 1" in (result.problem or "")


def test_a_rehashed_forgery_is_caught_by_the_signed_heads(
    db: Database, log: list[int], check: Check
) -> None:
    """Forge an event and recompute its leaf and every node: the roots no longer match."""
    with db.engine.begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(action="forged"))
    rebuild_tree(db)
    result = check()
    assert (result.ok, result.broken_head) == (False, 4)
    assert "root does not match" in (result.problem or "")


def rebuild_tree(db: Database) -> bytes:
    """What an intruder with the database does: recompute leaves and nodes; returns the root."""
    with db.unit_of_work() as session:
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        session.execute(delete(AuditTreeNode))
        compact = merkle.CompactRange()
        rows = []
        for event in events:
            for level, position, digest in compact.append(leaf_hash(event)):
                rows.append(AuditTreeNode(level=level, position=position, hash=digest))
        session.add_all(rows)
        return compact.root()
