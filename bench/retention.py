"""Retention sweep: expired vault rows removed per second, against a raw DELETE of the same rows.

Run: ``.venv/bin/python bench/retention.py [--sizes 100000] [--million] [--batch 5000]``
(``BENCH_DATABASE_URL=postgresql+psycopg://...`` runs it on a new database of that server;
``--million`` adds 10^6 expired rows, which takes minutes to set up).

Setup per size N, on a fresh migrated database: N expired ``support`` values
spread over N/10 subjects, N/10 values not yet expired, and one subject under
a legal hold with 100 expired values, all bulk-inserted (ciphertext of the
right size, never read). Rows of the table:

- ``DELETE``: one ``DELETE ... WHERE expires_at <= now AND subject_id <> held``
  in one transaction: the floor, with no batching, no report, no audit, no
  hold check per row.
- ``sweep``: ``retention.service.sweep`` on an identical fresh copy of the
  rows: committed batches, the legal-hold EXISTS per row (and ``FOR UPDATE
  SKIP LOCKED`` on PostgreSQL), the report updated and one audit event per
  batch. ``ratio`` = sweep rate / DELETE rate; the target is >= 0.5.

Each runs on its own fresh database holding the same rows, vacuumed and
analysed (PostgreSQL) or analysed (SQLite), so both start from the same table
state.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from common import bench_settings, database_url
from sqlalchemy import func, insert, select, text

from privacyops import migrate
from privacyops.db import Database, utcnow
from privacyops.policy.loader import load_declaration
from privacyops.retention import service
from privacyops.subjects.models import PersonalRecord, Subject

CHUNK = 20_000
PER_SUBJECT = 10


class Bench:
    def __init__(self, tmp: Path, name: str) -> None:
        url = database_url(tmp, name)
        self.settings = bench_settings(url, tmp / name)
        migrate.upgrade(url)
        self.db = Database(url, secret=self.settings.secret_key)
        self.declaration = load_declaration(self.settings.policy)
        self.blob = b"\x01" + os.urandom(12 + 40 + 16)
        self.subjects: list[str] = []
        self.held = ""

    def people(self, n: int) -> None:
        now = utcnow()
        self.subjects = [str(uuid.uuid4()) for _ in range(max(1, n // PER_SUBJECT))]
        self.held = str(uuid.uuid4())
        rows = [
            {
                "id": i,
                "kind": "customer",
                "country": "CN",
                "jurisdiction": "CN",
                "age_status": "adult",
                "state": "active",
                "created_at": now,
            }
            for i in [*self.subjects, self.held]
        ]
        with self.db.engine.begin() as conn:
            for first in range(0, len(rows), CHUNK):
                conn.execute(insert(Subject), rows[first : first + CHUNK])
        with self.db.unit_of_work() as session:
            service.create_hold(
                session=session,
                declaration=self.declaration,
                actor="bench",
                reason="bench",
                law="bench",
                subject_id=self.held,
            )

    def rows(self, n: int) -> None:
        """N expired values, N/10 fresh ones, 100 expired values of the held subject."""
        now = utcnow()
        collected = now - timedelta(days=400)

        def row(subject_id: str, expires_in: timedelta) -> dict[str, object]:
            return {
                "subject_id": subject_id,
                "category": "support",
                "field": "message",
                "purpose": "service_support",
                "region": "cn",
                "collected_at": collected,
                "expires_at": now + expires_in,
                "notice_version": "1.0.0",
                "source": "bench",
                "ciphertext": self.blob,
            }

        plan = [(n, timedelta(days=-30)), (n // 10, timedelta(days=30))]
        with self.db.engine.begin() as conn:
            for total, expires_in in plan:
                for first in range(0, total, CHUNK):
                    batch = [
                        row(self.subjects[(first + k) % len(self.subjects)], expires_in)
                        for k in range(min(CHUNK, total - first))
                    ]
                    conn.execute(insert(PersonalRecord), batch)
            conn.execute(
                insert(PersonalRecord), [row(self.held, timedelta(days=-30)) for _ in range(100)]
            )
        self.settle()

    def settle(self) -> None:
        if self.db.is_postgres:
            with self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE personal_record"))
        else:
            with self.db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))

    def count(self) -> int:
        with self.db.unit_of_work() as session:
            return int(session.scalar(select(func.count()).select_from(PersonalRecord)) or 0)

    def raw_delete(self) -> tuple[int, float]:
        start = time.perf_counter()
        with self.db.engine.begin() as conn:
            result = conn.execute(
                text(
                    "DELETE FROM personal_record WHERE expires_at <= :now AND subject_id <> :held"
                ),
                {"now": utcnow(), "held": self.held},
            )
        return int(result.rowcount), time.perf_counter() - start

    def sweep(self, batch: int) -> tuple[int, float]:
        start = time.perf_counter()
        with self.db.unit_of_work() as session:
            report = service.sweep(
                session=session,
                declaration=self.declaration,
                actor="bench",
                checkpoint=session.commit,
                batch=batch,
                other_stores=False,
            )
        return report.deleted, time.perf_counter() - start


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--million", action="store_true", help="also 10^6 expired rows")
    parser.add_argument("--batch", type=int, default=service.DEFAULT_BATCH)
    args = parser.parse_args(argv)
    sizes = [*args.sizes, *([1_000_000] if args.million else [])]
    kind = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL") else "SQLite"
    print(f"retention bench on {kind}, Python {platform.python_version()}, {os.cpu_count()} cores")
    print(
        f"sweep batches of {args.batch:,} rows; ratio = sweep rate / raw DELETE rate (same run)\n"
    )
    print(f"{'expired':>10} {'what':>7} {'rows':>10} {'time s':>8} {'rows/s':>10} {'ratio':>6}")
    with tempfile.TemporaryDirectory(prefix="bench-retention-") as folder:
        for n in sizes:
            base = 0.0
            for what in ("DELETE", "sweep"):
                # Each on its own fresh database with the same rows: same table state.
                bench = Bench(Path(folder), f"{what.lower()}{n}")
                bench.people(n)
                bench.rows(n)
                gone, took = bench.raw_delete() if what == "DELETE" else bench.sweep(args.batch)
                assert gone == n, (what, gone, n)
                assert bench.count() == n // 10 + 100  # fresh and held rows stay
                rate = gone / took
                base = base or rate
                label = f"{n:,}" if what == "DELETE" else ""
                print(
                    f"{label:>10} {what:>7} {gone:>10,} {took:>8.2f} {rate:>10,.0f} "
                    f"{rate / base:>6.2f}",
                    flush=True,
                )
                bench.db.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
