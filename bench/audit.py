"""Audit log: appends from concurrent writers before and after, sequencer rate, proof size.

Run: ``.venv/bin/python bench/audit.py [--writers 8] [--appends 2000]
[--sequencer-events 100000] [--sizes 1000 10000 100000 1000000]``
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
2. Sequencer, before and after: ``--sequencer-events`` pending events are
   bulk-loaded into a new log and sequenced by ``sequence_pending`` (batches
   of 5000), once with the batch written row by row (one UPDATE per event,
   one INSERT per node: the sequencer's write before it became set-based)
   and once with the real set-based write, each log then verified.
3. Proofs, on another fresh database. The log grows to each size in
   ``--sizes``: synthetic pending events are bulk-loaded (COPY on
   PostgreSQL, executemany on SQLite), then the real sequencer takes them,
   timed (events/s into the tree). At each size, inclusion proofs of 200
   random events against the latest head (read from the stored subtree
   hashes, then verified): hashes per proof, queries to read them, mean time, against
   the baseline of a bare SELECT of one event by its number (same events, same
   run) and against the time at the first size; log2(n) for comparison.
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
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path

from common import bench_settings, database_url
from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from privacyops import migrate
from privacyops.audit import merkle, sequencer, tree
from privacyops.audit import service as audit
from privacyops.audit.models import AuditEvent, AuditTreeNode
from privacyops.audit.tasks import sequence_pending
from privacyops.audit.verify import verify
from privacyops.db import Database, utcnow
from privacyops.settings import Settings

CHUNK = 20_000
SECRET = b"bench-hmac"
ACTOR = "staff:bench"
COPY_EVENTS = (
    "COPY audit_event (occurred_at, actor, action, target_type, target_id, details) FROM STDIN"
)


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
    """Load ``count`` synthetic pending events: COPY on PostgreSQL, executemany on SQLite."""
    now = utcnow()
    if db.engine.dialect.name == "postgresql":
        raw = db.engine.raw_connection()
        try:
            with raw.cursor() as cur, cur.copy(COPY_EVENTS) as copy:  # type: ignore[attr-defined]
                for n in range(first, first + count):
                    details = json.dumps({"status": "open", "n": n})
                    copy.write_row(
                        (now, "staff:bench", "request.updated", "request", str(n), details)
                    )
            raw.commit()
        finally:
            raw.close()
        return
    for offset in range(0, count, CHUNK):
        rows = [
            {
                "occurred_at": now,
                "actor": ACTOR,
                "action": "request.updated",
                "target_type": "request",
                "target_id": str(n),
                "details": {"status": "open", "n": n},
            }
            for n in range(first + offset, first + min(offset + CHUNK, count))
        ]
        with db.engine.begin() as conn:
            conn.execute(insert(AuditEvent), rows)


def _row_by_row_number(session: Session, ids: list[int], first: int) -> None:
    """The sequencer's write before it was set-based: one UPDATE per event."""
    rows = [{"id": event_id, "seq": first + i} for i, event_id in enumerate(ids)]
    session.execute(update(AuditEvent), rows)


def _row_by_row_nodes(session: Session, nodes: list[tuple[int, int, bytes]]) -> None:
    rows = [{"level": lv, "position": p, "hash": h} for lv, p, h in nodes]
    session.execute(insert(AuditTreeNode), rows)


@contextmanager
def _row_by_row() -> Iterator[None]:
    saved = sequencer._number, sequencer._store_nodes
    sequencer._number, sequencer._store_nodes = _row_by_row_number, _row_by_row_nodes
    try:
        yield
    finally:
        sequencer._number, sequencer._store_nodes = saved


def _sequencer_rates(tmp: Path, settings: Settings, events: int) -> tuple[float, float]:
    """Events/s into the tree, row by row (before) and set-based (after), each on a new log."""
    rates = []
    for name, scheme in (("seq_before", _row_by_row), ("seq_after", nullcontext)):
        url = database_url(tmp, name)
        migrate.upgrade(url)
        db = Database(url, secret=settings.secret_key)
        _bulk_pending(db, events, 0)
        with scheme():
            began = time.perf_counter()
            run = sequence_pending(db=db, key_dir=settings.key_dir)
            rates.append(run.sequenced / (time.perf_counter() - began))
        with db.unit_of_work() as session:
            if not verify(session=session).ok:
                raise AssertionError(f"the log sequenced {name} does not verify")
        db.dispose()
    return rates[0], rates[1]


def _proofs(db: Database, size: int, samples: int = 200) -> tuple[float, float, float, float]:
    """(mean hashes, mean queries, mean seconds) of verified inclusion proofs, and the
    mean seconds of a bare SELECT of one event by its number (the baseline)."""
    rng = random.Random(size)
    seqs = [rng.randint(1, size) for _ in range(samples)]
    hashes = rows = 0
    with db.unit_of_work() as session:
        began = time.perf_counter()
        for seq in seqs:
            session.execute(select(AuditEvent.id).where(AuditEvent.seq == seq)).one()
        bare = (time.perf_counter() - began) / samples
    with db.unit_of_work() as session:
        began = time.perf_counter()
        root = tree.root_at(session=session, size=size)
        for seq in seqs:
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
        seconds = (time.perf_counter() - began) / samples
    return hashes / samples, rows / samples, seconds, bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--sequencer-events", type=int, default=100_000)
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
        before, after = _sequencer_rates(tmp, settings, args.sequencer_events)
        print(f"\n## sequencer: {args.sequencer_events} pending events into an empty tree")
        print(f"{'write':<24}{'events/s':>10}{'ratio':>8}")
        print(f"{'row by row (before)':<24}{before:>10.0f}{1.0:>8.2f}")
        print(f"{'set-based (after)':<24}{after:>10.0f}{after / before:>8.2f}")
        sys.stdout.flush()

        url = database_url(tmp, "audit_tree")  # the tree grows from empty to each size
        migrate.upgrade(url)
        db = Database(url, secret=settings.secret_key)
        size = 0
        print("\n## inclusion proofs as the log grows (bulk load, then the real sequencer)")
        print(
            f"{'tree size':>10}{'load/s':>9}{'sequence/s':>11}{'log2 n':>7}{'hashes':>7}"
            f"{'reads':>6}{'proof ms':>9}{'select ms':>10}{'/select':>8}{'/first':>7}"
        )
        first: float | None = None
        for target in sorted(args.sizes):
            added = target - size
            if added <= 0:
                continue
            began = time.perf_counter()
            _bulk_pending(db, added, size)
            load_rate = added / (time.perf_counter() - began)
            began = time.perf_counter()
            run = sequence_pending(db=db, key_dir=settings.key_dir)
            sequence_rate = run.sequenced / (time.perf_counter() - began)
            size = run.tree_size
            hashes, rows, seconds, bare = _proofs(db, size)
            first = first or seconds
            print(
                f"{size:>10}{load_rate:>9.0f}{sequence_rate:>11.0f}{math.log2(size):>7.1f}"
                f"{hashes:>7.1f}{rows:>6.1f}{seconds * 1000:>9.2f}{bare * 1000:>10.2f}"
                f"{seconds / bare:>8.1f}{seconds / first:>7.2f}"
            )
            sys.stdout.flush()
        db.dispose()


if __name__ == "__main__":
    main()
