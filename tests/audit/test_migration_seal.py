"""An old hash chain is verified once and sealed into the new log by the migration."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from tests.conftest import TEST_SECRET, create_database

from privacyops import migrate
from privacyops.audit import service as audit
from privacyops.audit import signing
from privacyops.audit.models import AuditEvent
from privacyops.audit.tasks import sequence_pending
from privacyops.db import Database

BEFORE = "e5c3b2a1d4f6"


def _old_hash(seq: int, at: datetime, action: str, details: dict[str, object], prev: str) -> str:
    body = {
        "seq": seq,
        "at": at.isoformat(),
        "actor": "staff:dana",
        "action": action,
        "target": ["request", str(seq)],
        "details": details,
        "prev": prev,
    }
    text_ = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text_.encode()).hexdigest()


def _old_chain(url: str, n: int, *, break_at: int | None = None) -> None:
    engine = create_engine(url)
    prev = "0" * 64
    with engine.begin() as conn:
        for seq in range(1, n + 1):
            at = datetime(2026, 11, 1, 12, 0, seq, 123456, tzinfo=UTC)
            details = {"status": "open", "n": seq}
            digest = _old_hash(seq, at, "request.updated", details, prev)
            action = "request.edited" if seq == break_at else "request.updated"
            conn.execute(
                text(
                    "INSERT INTO audit_event (seq, occurred_at, actor, action, target_type,"
                    " target_id, details, prev_hash, hash) VALUES (:seq, :at, 'staff:dana',"
                    " :action, 'request', :tid, :details, :prev, :hash)"
                ),
                {
                    "seq": seq,
                    "at": at,
                    "action": action,
                    "tid": str(seq),
                    "details": json.dumps(details),
                    "prev": prev,
                    "hash": digest,
                },
            )
            prev = digest
        signature = hmac.new(TEST_SECRET.encode(), f"{n}:{prev}".encode(), hashlib.sha256)
        conn.execute(
            text("INSERT INTO audit_head (id, seq, hash, signature) VALUES (1, :n, :h, :s)"),
            {"n": n, "h": prev, "s": signature.hexdigest()},
        )
    engine.dispose()


@pytest.mark.parametrize("break_at", [None, 3])
def test_an_old_chain_is_verified_and_sealed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, break_at: int | None
) -> None:
    monkeypatch.setenv("PRIVACYOPS_SECRET_KEY", TEST_SECRET)
    url = create_database(tmp_path, "po_seal")
    migrate.upgrade(url, BEFORE)
    _old_chain(url, 6, break_at=break_at)
    migrate.upgrade(url)
    db = Database(url, secret=TEST_SECRET)
    try:
        with db.unit_of_work() as session:
            assert audit.pending_count(session=session) == 7
        run = sequence_pending(db=db, key_dir=tmp_path / "keys")
        assert run.tree_size == 7
        with db.unit_of_work() as session:
            events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
            assert [e.target_id for e in events[:6]] == [str(n) for n in range(1, 7)]
            seal = events[6]
            assert seal.action == "audit.chain_sealed"
            assert seal.details["old_chain_ok"] is (break_at is None)
            assert seal.details["old_head_seq"] == 6
            if break_at is None:
                assert seal.details["old_head_signature"] == "valid"
            else:
                assert f"event {break_at}" in seal.details["problem"]
            result = audit.verify(session=session, public_key=signing.public_key(tmp_path / "keys"))
            assert result.ok, result.problem
            assert result.checked == 7
            # record() still works after the migration (ids continue after the old ones)
            event = audit.record(
                session=session, actor="x", action="after", target_type="t", target_id=1
            )
            session.flush()
            assert event.id == 8
    finally:
        db.dispose()
    migrate.downgrade(url, BEFORE)
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT seq, prev_hash, hash FROM audit_event ORDER BY seq")).all()
        head = conn.execute(text("SELECT seq, hash FROM audit_head")).one()
    engine.dispose()
    assert len(rows) == 8
    assert rows[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    assert (head.seq, head.hash) == (8, rows[-1].hash)
