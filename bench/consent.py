"""Consent: HTTP saves/s (p50) and in-process checks/s, each against a baseline of the same run.

Run: ``.venv/bin/python bench/consent.py [--sizes 10000 1000000] [--requests 3000]``
(``BENCH_DATABASE_URL=postgresql+psycopg://...`` for PostgreSQL.)

For each size the database is prefilled with that many consent events (bulk
inserted, spread over 200,000 browsers and 90 days) before measuring:

- **HTTP saves**: a real uvicorn server (one process, its own CPU time) on
  loopback; clients post banner choices of two categories for fresh browser ids
  with ``http.client`` keep-alive connections, one per client thread, at
  concurrency 1 and 8, a bounded number of requests each. Each save is two
  `consent_event` rows, the notice check and one audit event, committed.
  Baselines from the same run: the same two rows inserted and committed per
  transaction with no HTTP, no validation and no audit (``bare insert``), and
  ``GET /healthz`` through the same server (the HTTP floor: one ``SELECT 1``).
- **Checks**: ``ConsentChecker.may_process`` on warm entries of 1,000 subjects,
  against a plain ``dict`` lookup of the same keys in the same loop shape; and
  the cold load of one subject's decisions (a cache miss reads the database).
- **Report**: the console's 90-day report (one grouped scan), once, in ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

from common import POLICY, ROOT, bench_settings, database_url, free_port
from sqlalchemy import insert

from privacyops import migrate
from privacyops.consent import reports
from privacyops.consent.checks import ConsentChecker
from privacyops.consent.models import ConsentEvent
from privacyops.db import Database, utcnow
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings
from privacyops.subjects import service as subjects

PURPOSES = ("product_analytics", "consented_uses")
REGIMES = ("EU", "CN", "US-CA", "GB", "JP")
METHODS = ("banner", "preferences", "jurisdiction_default", "gpc")


def settings_for(url: str, tmp: Path) -> Settings:
    return bench_settings(url, tmp)


def event_row(rng: random.Random, purpose: str, when_days: float) -> dict[str, object]:
    return {
        "receipt_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "subject_id": None,
        "cookie_index": rng.getrandbits(128).to_bytes(16, "big"),
        "purpose": purpose,
        "state": rng.choice(("granted", "denied", "withdrawn")),
        "method": rng.choice(METHODS),
        "policy_version": "1.0.0",
        "notice_version": "1.0.0",
        "notice_hash": "0" * 64,
        "lang": "en",
        "regime": rng.choice(REGIMES),
        "occurred_at": utcnow() - timedelta(days=when_days),
        "ip_prefix": "198.51.100.0",
        "ua_family": "Chrome",
        "actor": "public:consent-banner",
    }


def prefill(db: Database, count: int) -> float:
    """Bulk-insert ``count`` events for 200,000 browsers over 90 days; returns seconds."""
    rng = random.Random(count)
    browsers = [rng.getrandbits(128).to_bytes(16, "big") for _ in range(min(count, 200_000))]
    started = time.perf_counter()
    batch = 20_000
    for start in range(0, count, batch):
        rows = []
        for _ in range(min(batch, count - start)):
            row = event_row(rng, rng.choice(PURPOSES), rng.random() * 90)
            row["cookie_index"] = rng.choice(browsers)
            rows.append(row)
        with db.engine.begin() as conn:
            conn.execute(insert(ConsentEvent), rows)
    return time.perf_counter() - started


def bare_inserts(db: Database, n: int) -> float:
    """Baseline: the same two rows per transaction, committed, without anything else."""
    rng = random.Random(7)
    started = time.perf_counter()
    for _ in range(n):
        receipt = str(uuid.uuid4())
        rows = [{**event_row(rng, p, 0), "receipt_id": receipt} for p in PURPOSES]
        with db.engine.begin() as conn:
            conn.execute(insert(ConsentEvent), rows)
    return n / (time.perf_counter() - started)


def serve(url: str, tmp: str, port: int) -> None:
    """Child process: the app under uvicorn, access log off (as behind a proxy that logs)."""
    import uvicorn

    from privacyops.app import create_app

    app = create_app(settings_for(url, Path(tmp)))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_server(url: str, tmp: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", url, str(tmp), str(port)], cwd=ROOT
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return child, port
        except OSError:
            time.sleep(0.1)
    child.kill()
    raise SystemExit("the server did not start")


def load(port: int, n: int, concurrency: int, post: bool) -> tuple[float, float]:
    """(requests/s, p50 ms) for ``n`` requests spread over ``concurrency`` connections."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_client = n // concurrency
    headers = {"content-type": "application/json", "x-consent-region": "DE"}

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        mine = []
        for _ in range(per_client):
            body = json.dumps(
                {
                    "cookie_id": secrets.token_urlsafe(16),
                    "choices": {"analytics": True, "functional": False},
                    "method": "banner",
                }
            )
            started = time.perf_counter()
            if post:
                conn.request("POST", "/consent/choices", body=body, headers=headers)
            else:
                conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status not in (200, 201):
                raise SystemExit(f"HTTP {response.status}")
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, statistics.median(latencies) * 1000


def checks(db: Database, n: int) -> tuple[float, float, float]:
    """(checks/s warm, dict lookups/s, cold load p50 ms) over 1,000 subjects."""
    with db.unit_of_work() as session:
        ids = [
            subjects.create_subject(
                session=session, kind="customer", country="DE", actor="bench"
            ).id
            for _ in range(1000)
        ]
    checker = ConsentChecker(db=db, policy=PolicyStore(POLICY), ttl=3600)
    cold = []
    for subject_id in ids[:200]:
        started = time.perf_counter()
        checker.may_process(subject_id, PURPOSES[0])
        cold.append(time.perf_counter() - started)
    for subject_id in ids:
        checker.may_process(subject_id, PURPOSES[0])
    keys = [(ids[i % 1000], PURPOSES[i & 1]) for i in range(n)]
    plain = {subject_id: dict.fromkeys(PURPOSES, False) for subject_id in ids}
    check = checker.may_process
    started = time.perf_counter()
    for subject_id, purpose in keys:
        check(subject_id, purpose)
    warm = n / (time.perf_counter() - started)
    get = plain.get
    started = time.perf_counter()
    for subject_id, purpose in keys:
        get(subject_id)[purpose]  # type: ignore[index]
    baseline = n / (time.perf_counter() - started)
    return warm, baseline, statistics.median(cold) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=3000, help="per HTTP measurement")
    parser.add_argument("--checks", type=int, default=1_000_000)
    args = parser.parse_args()
    kind = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL") else "SQLite"
    print(f"consent on {kind}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    rows: list[tuple[str, ...]] = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as raw:
            tmp = Path(raw)
            url = database_url(tmp, f"bench_consent_{size}")
            migrate.upgrade(url)
            settings = settings_for(url, tmp)
            db = Database(url, secret=settings.secret_key)
            seconds = prefill(db, size)
            print(f"prefilled {size:,} events in {seconds:.1f} s ({size / seconds:,.0f} rows/s)")
            base = bare_inserts(db, min(args.requests, 3000))
            child, port = start_server(url, tmp)
            try:
                load(port, 200, 1, post=True)  # warm-up: imports, parser caches, notices
                floor, floor_p50 = load(port, args.requests, 1, post=False)
                for concurrency in (1, 8):
                    rate, p50 = load(port, args.requests, concurrency, post=True)
                    rows.append(
                        (
                            f"{size:,}",
                            f"HTTP save, concurrency {concurrency}",
                            f"{rate:,.0f}/s",
                            f"{p50:.2f}",
                            "bare insert of the same rows",
                            f"{base:,.0f}/s",
                            f"{rate / base:.2f}",
                        )
                    )
                rows.append(
                    (
                        f"{size:,}",
                        "GET /healthz, concurrency 1",
                        f"{floor:,.0f}/s",
                        f"{floor_p50:.2f}",
                        "(the HTTP floor)",
                        "",
                        "",
                    )
                )
            finally:
                child.terminate()
                child.wait(timeout=10)
            warm, plain, cold_p50 = checks(db, args.checks)
            rows.append(
                (
                    f"{size:,}",
                    "may_process, warm",
                    f"{warm:,.0f}/s",
                    "",
                    "dict lookup, same loop",
                    f"{plain:,.0f}/s",
                    f"{warm / plain:.2f}",
                )
            )
            rows.append(
                (f"{size:,}", "may_process, cold (DB load)", "", f"{cold_p50:.2f}", "", "", "")
            )
            with db.unit_of_work() as session:
                started = time.perf_counter()
                total = reports.report(session=session, days=90).total
                took = (time.perf_counter() - started) * 1000
            rows.append(
                (f"{size:,}", f"report, 90 days ({total:,} events)", "", f"{took:.0f}", "", "", "")
            )
            db.dispose()
    head = ("events", "what", "rate", "p50 ms", "baseline", "baseline rate", "ratio")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for row in [head, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
