"""An exported tree head, kept outside, catches a full rewrite; the standalone checks hold."""

from __future__ import annotations

import json
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, update
from tests.audit.test_log import rebuild_tree

from privacyops.audit import auditor, heads, proofs, signing
from privacyops.audit import service as audit
from privacyops.audit.models import AuditEvent, AuditLogState, AuditTreeHead, AuditTreeNode
from privacyops.audit.tasks import Run
from privacyops.db import Database

Check = Callable[..., audit.Verification]


def _exported(db: Database, key: Ed25519PrivateKey) -> dict[str, object]:
    with db.unit_of_work() as session:
        head = heads.latest(session=session)
        assert head is not None
        return heads.export(head, key.public_key())


def _resign_everything(db: Database, key: Ed25519PrivateKey) -> None:
    """An intruder with the database, the server secret and the signing key."""
    root = rebuild_tree(db)
    with db.unit_of_work() as session:
        size = session.get_one(AuditLogState, 1).size
        session.execute(delete(AuditTreeHead))
        head = heads.sign(key, size, root, 1)
        session.add(
            AuditTreeHead(
                size=size,
                root_hash=head.root_hash,
                timestamp_ms=head.timestamp_ms,
                signature=head.signature,
                key_id=head.key_id,
            )
        )


def test_a_rewrite_resigned_with_the_server_key_is_caught_by_the_exported_head(
    db: Database,
    append: Callable[..., list[int]],
    sequence: Callable[..., Run],
    check: Check,
    key: Ed25519PrivateKey,
) -> None:
    append(6)
    sequence()
    kept = json.loads(json.dumps(_exported(db, key)))  # the auditor's file
    append(4)
    sequence()
    with db.engine.begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(actor="staff:nobody"))
    _resign_everything(db, key)
    assert check().ok  # the rewrite is self-consistent under the server key...
    result = check(exported=heads.parse(kept))
    assert (result.ok, result.broken_head) == (False, 6)  # ...but not with the auditor's head
    assert "rewritten" in (result.problem or "")


def test_a_log_shorter_than_the_exported_head_is_caught(
    db: Database,
    append: Callable[..., list[int]],
    sequence: Callable[..., Run],
    check: Check,
    key: Ed25519PrivateKey,
) -> None:
    append(5)
    sequence()
    kept = heads.parse(_exported(db, key))
    with db.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.seq >= 4))
        conn.execute(delete(AuditTreeNode))
        conn.execute(update(AuditLogState).values(size=3))
    _resign_everything(db, key)
    result = check(exported=kept)
    assert (result.ok, result.broken_seq) == (False, 4)


def test_an_untouched_log_is_consistent_with_its_exported_head(
    db: Database,
    append: Callable[..., list[int]],
    sequence: Callable[..., Run],
    check: Check,
    key: Ed25519PrivateKey,
) -> None:
    append(3)
    sequence()
    kept = heads.parse(_exported(db, key))
    append(9)
    sequence()
    result = check(exported=kept)
    assert result.ok
    assert result.exported_checked


def test_the_standalone_verifier_checks_proof_head_and_key(
    db: Database,
    append: Callable[..., list[int]],
    sequence: Callable[..., Run],
    key: Ed25519PrivateKey,
) -> None:
    ids = append(13)
    sequence()
    head = _exported(db, key)
    with db.unit_of_work() as session:
        proof = proofs.inclusion_document(session=session, event_id=ids[6])
    public = signing.public_b64(key.public_key())
    auditor.check_inclusion(proof=proof, head=head, public_key=public)

    failures = {
        "other key": (proof, head, signing.public_b64(Ed25519PrivateKey.generate().public_key())),
        "wrong path": (
            {**proof, "audit_path": [*proof["audit_path"][:-1], "00" * 32]},
            head,
            public,
        ),
        "wrong leaf": ({**proof, "leaf_index": 7}, head, public),
        "edited event": (
            {**proof, "leaf_data": proof["leaf_data"].replace("open", "shut")},
            head,
            public,
        ),
        "edited head": (proof, {**head, "root_hash": "11" * 32}, public),
        "garbage": ({**proof, "audit_path": "x"}, head, public),
    }
    for name, (p, h, k) in failures.items():
        try:
            auditor.check_inclusion(proof=p, head=h, public_key=k)
        except auditor.AuditorError:
            continue
        raise AssertionError(f"{name}: accepted")


def test_the_standalone_verifier_checks_consistency(
    db: Database,
    append: Callable[..., list[int]],
    sequence: Callable[..., Run],
    key: Ed25519PrivateKey,
) -> None:
    append(5)
    sequence()
    old = _exported(db, key)
    append(6)
    sequence()
    new = _exported(db, key)
    with db.unit_of_work() as session:
        proof = proofs.consistency_document(session=session, old_size=5, new_size=11)
    auditor.check_consistency(proof=proof, old_head=old, new_head=new)
    bad = {**proof, "proof": [*proof["proof"][:-1], "22" * 32]}
    try:
        auditor.check_consistency(proof=bad, old_head=old, new_head=new)
    except auditor.AuditorError:
        return
    raise AssertionError("a wrong consistency proof was accepted")
