"""Mixed load on one web process: error rate, p50/p99 per kind, memory at start and end.

Run: ``.venv/bin/python bench/load.py [--seconds 120] [--clients 8]``
(``BENCH_DATABASE_URL=postgresql+psycopg://...`` for PostgreSQL.)

A real uvicorn server (one process, the consent benchmark's ``--serve`` child) on
loopback takes, from ``--clients`` keep-alive client threads for a bounded time,
a mix of what the integrations send:

- consent saves from the banner (``POST /consent/choices``, fresh browsers), 40 %;
- account intake from the website (``POST /api/v1/intake/accounts``, an API key,
  every value encrypted under a new subject's key), 20 %;
- telemetry batches of 50 signed readings from 20 devices, 20 %;
- consent checks of known subjects by the apps (``GET …/check``), 20 %.

Baseline from the same run: ``GET /healthz`` at the same concurrency (the HTTP
floor: routing, middleware, one ``SELECT 1``). Memory is the server's resident
set after a warm-up and at the end, and the largest sample in between (every 5 s).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from consent import database_url, settings_for, start_server
from privacyops import migrate
from privacyops.db import Database, utcnow
from privacyops.staff import service as staff
from privacyops.subjects import service as subjects
from privacyops.telemetry import pseudonyms
from privacyops.telemetry import service as telemetry
from privacyops.vault.service import Vault

DEVICES = 20
CHECK_SUBJECTS = 200
MIX = (("consent", 4), ("intake", 2), ("telemetry", 2), ("check", 2))


class Fixture:
    """What the traffic needs: API keys, devices with their secrets, subjects to check."""

    def __init__(self, db: Database, vault: Vault) -> None:
        with db.unit_of_work() as session:
            self.intake_key, _ = staff.create_api_client(
                session=session, name="bench-web", scopes=["intake.write"], actor="bench"
            )
            self.fleet_key, _ = staff.create_api_client(
                session=session, name="bench-fleet", scopes=["telemetry.write"], actor="bench"
            )
            self.read_key, _ = staff.create_api_client(
                session=session, name="bench-app", scopes=["consent.read"], actor="bench"
            )
            self.devices = []
            for n in range(DEVICES):
                serial = f"FST-BENCH-{n:06d}"
                _device, secret = telemetry.register_device(
                    session=session,
                    vault=vault,
                    serial=serial,
                    model="FST-MCB-63",
                    firmware="2.4.0",
                    region="CN",
                    actor="bench",
                )
                self.devices.append((serial, secret))
            self.subjects = [
                subjects.create_subject(
                    session=session, kind="customer", country="DE", actor="bench"
                ).id
                for _ in range(CHECK_SUBJECTS)
            ]
        self.clock = {serial: 0 for serial, _ in self.devices}
        self.start = utcnow().replace(microsecond=0) - timedelta(days=2)
        self.lock = threading.Lock()

    def readings(self, serial: str, count: int) -> list[dict[str, object]]:
        with self.lock:
            first = self.clock[serial]
            self.clock[serial] = first + count
        return [
            {
                "kind": "electrical",
                "recorded_at": (self.start + timedelta(seconds=first + i)).isoformat(),
                "voltage": 229.5,
                "current": 1.2,
                "power": 260.0,
                "energy": 1000.0 + first + i,
                "power_factor": 0.95,
                "frequency": 50.0,
                "temperature": 31.0,
            }
            for i in range(count)
        ]


def request_for(
    kind: str, fx: Fixture, rng: random.Random
) -> tuple[str, str, bytes, dict[str, str]]:
    if kind == "consent":
        body = {"cookie_id": secrets.token_urlsafe(16), "choices": {"analytics": True}}
        headers = {"content-type": "application/json", "x-consent-region": "DE"}
        return "POST", "/consent/choices", json.dumps(body).encode(), headers
    if kind == "intake":
        account = secrets.token_hex(8)
        body = {
            "notice_version": "1.0.0",
            "country": "DE",
            "fields": {
                "account_id": f"bench-{account}",
                "email": f"load-{account}@example.com",
                "created_at": utcnow().isoformat(),
            },
        }
        headers = {"content-type": "application/json", "authorization": f"Bearer {fx.intake_key}"}
        return "POST", "/api/v1/intake/accounts", json.dumps(body).encode(), headers
    if kind == "telemetry":
        serial, secret = rng.choice(fx.devices)
        raw = json.dumps({"readings": fx.readings(serial, 50)}).encode()
        headers = {
            "content-type": "application/json",
            "authorization": f"Bearer {fx.fleet_key}",
            "x-device-serial": serial,
            "x-signature": pseudonyms.sign(secret, raw),
        }
        return "POST", "/api/v1/telemetry/batches", raw, headers
    if kind == "check":
        subject = rng.choice(fx.subjects)
        path = f"/api/v1/consent/subjects/{subject}/check?purpose=product_analytics"
        return "GET", path, b"", {"authorization": f"Bearer {fx.read_key}"}
    return "GET", "/healthz", b"", {}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def drive(
    port: int, fx: Fixture, seconds: float, clients: int, kinds: list[str]
) -> tuple[dict[str, list[float]], dict[str, int], float]:
    """Run the mix for ``seconds``: latencies and errors per kind, and the elapsed time."""
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: dict[str, list[float]] = defaultdict(list)
        failed: dict[str, int] = defaultdict(int)
        while time.monotonic() < deadline:
            kind = rng.choice(kinds)
            method, path, body, headers = request_for(kind, fx, rng)
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body or None, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status < 400
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine[kind].append(time.perf_counter() - started)
            if not ok:
                failed[kind] += 1
        conn.close()
        with lock:
            for kind, values in mine.items():
                latencies[kind].extend(values)
            for kind, count in failed.items():
                errors[kind] += count

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    kind = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL") else "SQLite"
    print(f"mixed load on {kind}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    mix = [name for name, weight in MIX for _ in range(weight)]
    with tempfile.TemporaryDirectory() as raw:
        tmp = Path(raw)
        url = database_url(tmp, "bench_load")
        migrate.upgrade(url)
        settings = settings_for(url, tmp)
        db = Database(url, secret=settings.secret_key)
        fx = Fixture(db, Vault.from_settings(settings))
        child, port = start_server(url, tmp)
        try:
            drive(port, fx, 5, 2, mix)  # warm-up: imports, caches, first partitions
            floor, floor_errors, floor_time = drive(port, fx, 10, args.clients, ["healthz"])
            rss_start = rss_kib(child.pid)
            peak = [rss_start]
            stop = threading.Event()

            def sample() -> None:
                while not stop.wait(5):
                    peak.append(rss_kib(child.pid))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            latencies, errors, elapsed = drive(port, fx, args.seconds, args.clients, mix)
            stop.set()
            rss_end = rss_kib(child.pid)
        finally:
            child.terminate()
            child.wait(timeout=10)
        db.dispose()
    healthz = floor["healthz"]
    floor_rate = len(healthz) / floor_time
    total = sum(len(v) for v in latencies.values())
    failed = sum(errors.values())
    print(
        f"{total:,} requests in {elapsed:.0f} s from {args.clients} clients: "
        f"{total / elapsed:,.0f}/s, {failed} errors ({100 * failed / max(total, 1):.2f} %)"
    )
    head = ("kind", "requests", "rate", "errors", "p50 ms", "p99 ms", "baseline", "ratio")
    rows: list[tuple[str, ...]] = []
    for name, _weight in MIX:
        values = latencies.get(name, [])
        if not values:
            continue
        rate = len(values) / elapsed
        rows.append(
            (
                name,
                f"{len(values):,}",
                f"{rate:,.0f}/s",
                str(errors.get(name, 0)),
                f"{statistics.median(values) * 1000:.1f}",
                f"{pct(values, 0.99):.1f}",
                "",
                "",
            )
        )
    rows.append(
        (
            "all (mixed)",
            f"{total:,}",
            f"{total / elapsed:,.0f}/s",
            str(failed),
            f"{statistics.median([x for v in latencies.values() for x in v]) * 1000:.1f}",
            f"{pct([x for v in latencies.values() for x in v], 0.99):.1f}",
            f"GET /healthz {floor_rate:,.0f}/s",
            f"{(total / elapsed) / floor_rate:.2f}",
        )
    )
    rows.append(
        (
            "healthz (floor)",
            f"{len(healthz):,}",
            f"{floor_rate:,.0f}/s",
            str(floor_errors.get("healthz", 0)),
            f"{statistics.median(healthz) * 1000:.1f}",
            f"{pct(healthz, 0.99):.1f}",
            "",
            "",
        )
    )
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for row in [head, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    print(
        f"server memory (RSS): {rss_start / 1024:.0f} MiB after warm-up, "
        f"{max(peak) / 1024:.0f} MiB at most, {rss_end / 1024:.0f} MiB at the end"
    )


if __name__ == "__main__":
    main()
