"""Audit log: appends from concurrent writers before and after, sequencer rate, proof size.

Run: ``.venv/bin/python bench/audit.py [--writers 8] [--appends 2000] [--sizes 1000 10000 ...]``
(``BENCH_DATABASE_URL=postgresql+psycopg://...`` runs it on a new database of that server).

1. Appends. ``--writers`` threads, each with its own connection, commit
   ``--appends`` one-event transactions in all:
   - ``locked head (before)``: the old scheme, emulated on the same database:
     ``UPDATE`` the one head row (its row lock; SQLite's write lock), read it,
     insert the event with the next number and the chained SHA-256, write the
     new head with its HMAC, commit. Every writer queues on that row.
   - ``insert only (after)``: the new scheme in the same raw SQL: one INSERT
     of the pending event, commit.
   - ``audit.record (after)``: the real call in a unit of work (ORM included).
   ``ratio`` = rate / the locked-head rate.
2. Sequencer and proofs, on a second fresh database. The log grows to each
   size in ``--sizes`` (pending events bulk-inserted, then ``sequence_pending``
   in batches of 5000, timed: events/s into the tree). At each size, inclusion
   proofs of 200 random events against the latest head (read from the stored
   subtree hashes, then verified): hashes per proof, rows read, mean time.
   ``ratio`` = time / the time at the first size; log2(n) is shown for comparison.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import math
import platform
import random
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from common import bench_settings, database_url
from sqlalchemy import insert, select, text

from privacyops import migrate
from privacyops.audit import merkle, tree
from privacyops.audit import service as audit
from privacyops.audit.models import AuditEvent
from privacyops.audit.tasks import sequence_pending
from privacyops.db import Database, utcnow

CHUNK = 20_000
SECRET = b"bench-hmac"


def _chain_tables(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE bench_chain_event (seq BIGINT PRIMARY KEY, occurred_at VARCHAR(40),"
                " actor VARCHAR(120), action VARCHAR(80), details TEXT, prev_hash VARCHAR(64),"
                " hash VARCHAR(64) UNIQUE)"
            )
        )
        conn.execute(
            text(
                "CREATE TABLE bench_chain_head (id INTEGER PRIMARY KEY, seq BIGINT,"
                " hash VARCHAR(64), signature VARCHAR(64))"
            )
        )
        conn.execute(text("INSERT INTO bench_chain_head VALUES (1, 0, :h, '')"), {"h": "0" * 64})


def _locked_append(db: Database, n: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE bench_chain_head SET id = id WHERE id = 1"))
        seq, prev = conn.execute(text("SELECT seq, hash FROM bench_chain_head WHERE id = 1")).one()
        at = datetime.now(UTC).isoformat()
        details = json.dumps({"status": "open", "n": n})
        body = json.dumps([seq + 1, at, "writer", "consent.saved", details, prev])
        digest = hashlib.sha256(body.encode()).hexdigest()
        conn.execute(
            text(
                "INSERT INTO bench_chain_event VALUES (:seq, :at, 'writer', 'consent.saved',"
                " :details, :prev, :hash)"
            ),
            {"seq": seq + 1, "at": at, "details": details, "prev": prev, "hash": digest},
        )
        signature = hmac.new(SECRET, f"{seq + 1}:{digest}".encode(), hashlib.sha256).hexdigest()
        conn.execute(
            text("UPDATE bench_chain_head SET seq = :seq, hash = :h, signature = :s WHERE id = 1"),
            {"seq": seq + 1, "h": digest, "s": signature},
        )


def _raw_insert(db: Database, n: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_event (occurred_at, actor, action, target_type, target_id,"
                " details) VALUES (:at, 'writer', 'consent.saved', 'subject', :tid, :details)"
            ),
            {
                "at": datetime.now(UTC),
                "tid": str(n),
                "details": json.dumps({"status": "open", "n": n}),
            },
        )


def _insert_only(db: Database, n: int) -> None:
    with db.unit_of_work() as session:
        audit.record(
            session=session,
            actor="writer",
            action="consent.saved",
            target_type="subject",
            target_id=n,
            details={"status": "open", "n": n},
        )


def _concurrent(work: object, db: Database, writers: int, total: int) -> float:
    per = total // writers
    start = threading.Barrier(writers + 1)
    errors: list[BaseException] = []

    def run(w: int) -> None:
        start.wait()
        try:
            for i in range(per):
                work(db, w * per + i)  # type: ignore[operator]
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return per * writers / elapsed


def _bulk_pending(db: Database, count: int, first: int) -> None:
    now = utcnow()
    for offset in range(0, count, CHUNK):
        rows = [
            {
                "occurred_at": now,
                "actor": "staff:bench",
                "action": "request.updated",
                "target_type": "request",
                "target_id": str(first + offset + i),
                "details": {"status": "open", "n": first + offset + i},
            }
            for i in range(min(CHUNK, count - offset))
        ]
        with db.unit_of_work() as session:
            session.execute(insert(AuditEvent), rows)


def _proofs(db: Database, size: int, samples: int = 200) -> tuple[float, float, float]:
    """(mean hashes, mean rows read, mean seconds) of verified inclusion proofs."""
    rng = random.Random(size)
    hashes = rows = 0
    began = time.perf_counter()
    with db.unit_of_work() as session:
        root = tree.root_at(session=session, size=size)
        for _ in range(samples):
            seq = rng.randint(1, size)
            event = session.scalars(select(AuditEvent).where(AuditEvent.seq == seq)).one()
            proof = tree.inclusion(session=session, event=event, size=size)
            if not merkle.verify_inclusion(
                index=proof.leaf_index,
                size=size,
                leaf=proof.leaf_hash,
                proof=proof.path,
                root_hash=root,
            ):
                raise AssertionError(f"proof of {seq} in {size} does not verify")
            hashes += len(proof.path)
            rows += proof.rows_read
    return hashes / samples, rows / samples, (time.perf_counter() - began) / samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url = database_url(tmp, "audit")
        settings = bench_settings(url, tmp / "var")
        migrate.upgrade(url)
        db = Database(url, secret=settings.secret_key)
        kind = db.engine.dialect.name
        print(
            f"# audit log on {kind}, {platform.python_implementation()} {platform.python_version()}"
        )
        _chain_tables(db)
        before = _concurrent(_locked_append, db, args.writers, args.appends)
        raw = _concurrent(_raw_insert, db, args.writers, args.appends)
        after = _concurrent(_insert_only, db, args.writers, args.appends)
        print(f"\n## appends from {args.writers} concurrent writers, one event per transaction")
        print(f"{'scheme':<24}{'appends':>9}{'appends/s':>12}{'ratio':>8}")
        print(f"{'locked head (before)':<24}{args.appends:>9}{before:>12.0f}{1.0:>8.2f}")
        print(f"{'insert only (after)':<24}{args.appends:>9}{raw:>12.0f}{raw / before:>8.2f}")
        print(f"{'audit.record (after)':<24}{args.appends:>9}{after:>12.0f}{after / before:>8.2f}")
        sys.stdout.flush()

        db.dispose()
        url = database_url(tmp, "audit_tree")  # the tree grows from empty to each size
        migrate.upgrade(url)
        db = Database(url, secret=settings.secret_key)
        size = 0
        print("\n## sequencer and inclusion proofs")
        print(
            f"{'tree size':>10}{'added':>9}{'insert/s':>10}{'sequence/s':>12}"
            f"{'log2 n':>8}{'hashes':>8}{'rows':>6}{'proof ms':>10}{'ratio':>7}"
        )
        baseline: float | None = None
        for target in sorted(args.sizes):
            added = target - size
            if added <= 0:
                continue
            began = time.perf_counter()
            _bulk_pending(db, added, size)
            insert_rate = added / (time.perf_counter() - began)
            began = time.perf_counter()
            run = sequence_pending(db=db, key_dir=settings.key_dir)
            sequence_rate = run.sequenced / (time.perf_counter() - began)
            size = run.tree_size
            hashes, rows, seconds = _proofs(db, size)
            baseline = baseline or seconds
            print(
                f"{size:>10}{added:>9}{insert_rate:>10.0f}{sequence_rate:>12.0f}"
                f"{math.log2(size):>8.1f}{hashes:>8.1f}{rows:>6.1f}{seconds * 1000:>10.2f}"
                f"{seconds / baseline:>7.2f}"
            )
            sys.stdout.flush()
        db.dispose()


if __name__ == "__main__":
    main()
