"""Scale with processes (PostgreSQL): consent saves with 1 and 2 workers, checks with LISTEN.

Run: ``BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/scale.py
[--sizes 10000] [--requests 3000]``

For each size the database is prefilled with that many consent events (as in
``bench/consent.py``), then:

- **HTTP**: ``uvicorn --factory privacyops.asgi:app --workers N`` for N = 1 and 2,
  configured through ``PRIVACYOPS_*`` variables. The load comes from two client
  processes (so the client's own interpreter lock is not the limit), threads
  with keep-alive connections, at concurrency 1 and 8: ``GET /healthz`` (one
  ``SELECT 1``, the HTTP floor) and ``POST /consent/choices`` (a banner choice of
  two categories for a fresh browser: two ``consent_event`` rows and one audit
  event, committed). Ratios: the save against ``/healthz`` on the same server in
  the same run, and 2 workers against 1 at the same concurrency.
- **Checks**: ``ConsentChecker.may_process`` on warm entries of 1,000 subjects
  without a listener (what SQLite does) and with the LISTEN connection (each
  check first polls its socket).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import POLICY, ROOT, SECRET, database_url, free_port

from consent import PURPOSES, prefill
from privacyops import migrate
from privacyops.consent import freshness
from privacyops.consent.checks import ConsentChecker
from privacyops.db import Database
from privacyops.policy.service import PolicyStore
from privacyops.subjects import service as subjects

CLIENT_PROCESSES = 2


def environment(url: str, tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PRIVACYOPS_ENV": "test",
        "PRIVACYOPS_DATABASE_URL": url,
        "PRIVACYOPS_SECRET_KEY": SECRET,
        "PRIVACYOPS_POLICY": str(POLICY),
        "PRIVACYOPS_KEY_DIR": str(tmp / "keys"),
        "PRIVACYOPS_DATA_DIR": str(tmp),
        "PRIVACYOPS_EMAIL_BACKEND": "outbox",
        "PRIVACYOPS_JOBS": "off",
    }


def start(url: str, tmp: Path, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "privacyops.asgi:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    child = subprocess.Popen(command, env=environment(url, tmp), cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    else:
        child.kill()
        raise SystemExit("the server did not start")
    load(port, 200, 2, post=True)  # warm-up in every worker: imports, caches, notices
    load(port, 200, 2, post=False)
    return child, port


def _client(port: int, n: int, threads: int, post: bool, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    import threading

    spans: list[tuple[float, float, int]] = []
    lock = threading.Lock()
    headers = {"content-type": "application/json", "x-consent-region": "DE"}

    def one() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        first = time.monotonic()
        for _ in range(n):
            if post:
                body = json.dumps(
                    {
                        "cookie_id": secrets.token_urlsafe(16),
                        "choices": {"analytics": True, "functional": False},
                        "method": "banner",
                    }
                )
                conn.request("POST", "/consent/choices", body=body, headers=headers)
            else:
                conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            if response.status not in (200, 201):
                raise SystemExit(f"HTTP {response.status}")
        with lock:
            spans.append((first, time.monotonic(), n))
        conn.close()

    pool = [threading.Thread(target=one) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put(spans)


def load(port: int, total: int, concurrency: int, post: bool) -> float:
    """Requests per second for ``total`` requests over ``concurrency`` connections."""
    processes = min(CLIENT_PROCESSES, concurrency)
    threads = concurrency // processes
    per_thread = max(1, total // concurrency)
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    children = [
        multiprocessing.Process(target=_client, args=(port, per_thread, threads, post, queue))
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    spans = [span for _ in children for span in queue.get()]
    for child in children:
        child.join()
    begun = min(s[0] for s in spans)
    ended = max(s[1] for s in spans)
    return sum(s[2] for s in spans) / (ended - begun)


def checks(db: Database, n: int) -> tuple[float, float]:
    """Warm checks/s without a listener and with one, over 1,000 subjects."""
    with db.unit_of_work() as session:
        ids = [
            subjects.create_subject(
                session=session, kind="customer", country="DE", actor="bench"
            ).id
            for _ in range(1000)
        ]
    keys = [(ids[i % 1000], PURPOSES[i & 1]) for i in range(n)]
    plain = ConsentChecker(db=db, policy=PolicyStore(POLICY), ttl=3600)
    holder: list[ConsentChecker] = []
    listener = freshness.Listener(db.url, lambda s: [c.invalidate(s) for c in holder])
    while not listener.connected:
        time.sleep(0.01)
    listening = ConsentChecker(db=db, policy=PolicyStore(POLICY), ttl=3600, listener=listener)
    holder.append(listening)
    rates = []
    for checker in (plain, listening):
        for subject_id in ids:
            checker.may_process(subject_id, PURPOSES[0])
        check = checker.may_process
        started = time.perf_counter()
        for subject_id, purpose in keys:
            check(subject_id, purpose)
        rates.append(n / (time.perf_counter() - started))
    listener.stop()
    return rates[0], rates[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--requests", type=int, default=3000, help="per HTTP measurement")
    parser.add_argument("--checks", type=int, default=1_000_000)
    args = parser.parse_args()
    if not os.environ.get("BENCH_DATABASE_URL"):
        raise SystemExit(
            "bench/scale.py measures several processes on PostgreSQL: set BENCH_DATABASE_URL"
        )
    print(f"scale on PostgreSQL, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    rows: list[tuple[str, ...]] = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as raw:
            tmp = Path(raw)
            url = database_url(tmp, f"bench_scale_{size}")
            migrate.upgrade(url)
            db = Database(url, secret=SECRET)
            seconds = prefill(db, size)
            print(f"prefilled {size:,} events in {seconds:.1f} s")
            saves: dict[tuple[int, int], float] = {}
            for workers in (1, 2):
                child, port = start(url, tmp, workers)
                try:
                    for concurrency in (1, 8):
                        floor = load(port, args.requests, concurrency, post=False)
                        rate = load(port, args.requests, concurrency, post=True)
                        saves[workers, concurrency] = rate
                        what = f"{workers} worker(s), concurrency {concurrency}"
                        rows.append(
                            (f"{size:,}", f"GET /healthz, {what}", f"{floor:,.0f}/s", "", "")
                        )
                        rows.append(
                            (
                                f"{size:,}",
                                f"consent save, {what}",
                                f"{rate:,.0f}/s",
                                "GET /healthz, same server",
                                f"{rate / floor:.2f}",
                            )
                        )
                finally:
                    child.terminate()
                    child.wait(timeout=30)
            for concurrency in (1, 8):
                ratio = saves[2, concurrency] / saves[1, concurrency]
                rows.append(
                    (
                        f"{size:,}",
                        f"consent save, 2 workers, concurrency {concurrency}",
                        f"{saves[2, concurrency]:,.0f}/s",
                        "1 worker, same concurrency",
                        f"{ratio:.2f}",
                    )
                )
            plain, listening = checks(db, args.checks)
            rows.append((f"{size:,}", "may_process warm, no listener", f"{plain:,.0f}/s", "", ""))
            rows.append(
                (
                    f"{size:,}",
                    "may_process warm, LISTEN (polls its socket)",
                    f"{listening:,.0f}/s",
                    "no listener",
                    f"{listening / plain:.2f}",
                )
            )
            db.dispose()
    head = ("events", "what", "rate", "baseline", "ratio")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for row in [head, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
