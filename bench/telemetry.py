"""Telemetry ingest: readings/s through the service and through HTTP, against a raw bulk load.

Run: ``.venv/bin/python bench/telemetry.py [--sizes 1000000] [--http-max 1000000]``
(``BENCH_DATABASE_URL=postgresql+psycopg://…`` for PostgreSQL, else SQLite).

Readings come from the simulator (``telemetry.simulator``): ``--devices`` devices,
each sending electrical readings every 15 minutes, its status every hour and the
odd alarm, as many days as it takes to reach the size (cut at exactly that many).
Every path starts from an empty ``telemetry_reading`` in the same database, commits
once per batch of ``--batch`` readings of one device, and times only its own work
(generating the readings is outside the clock):

- baseline: the rows the service would store, written raw into the same table —
  binary ``COPY`` on PostgreSQL, ``executemany`` of a plain INSERT on SQLite. No
  checks, no pseudonym, no idempotence.
- service: ``ingest_batch`` with the readings as a device sends them (JSON
  objects): every field checked against the declaration, rows built, written
  idempotently (COPY in a savepoint / INSERT … ON CONFLICT DO NOTHING).
- HTTP: signed ``POST /api/v1/telemetry/batches`` to a uvicorn server in its own
  process, one connection, API key + device signature checked per request;
  bounded by ``--http-max`` readings, once per encoding (CBOR, MessagePack with
  native timestamps, JSON). Encoding and signing the body on the client is
  outside the clock.

Then the access time: ``readings_for_subject`` read to the end for subjects that
each own one device over the whole period (p50 and max over ``--subjects``).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from common import bench_settings, database_url
from sqlalchemy import text

from privacyops import migrate
from privacyops.db import Database
from privacyops.policy.schema import Declaration
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings
from privacyops.staff import service as staff
from privacyops.subjects import service as subjects
from privacyops.telemetry import codecs, ingest, partitions, pseudonyms, service, simulator
from privacyops.telemetry.checks import rules_for
from privacyops.vault.service import Vault

PER_DAY = 96 + 24  # electrical every 15 minutes and status every hour (alarms on top)


class Run:
    """One database with the devices registered and some of them owned."""

    def __init__(self, tmp: Path, size: int, devices: int, owners: int) -> None:
        url = database_url(tmp, f"telemetry{size}")
        self.settings = bench_settings(url, tmp / f"t{size}", max_body_bytes=4 * 1024 * 1024)
        migrate.upgrade(url)
        self.db = Database(url, secret=self.settings.secret_key)
        self.vault = Vault.from_settings(self.settings)
        self.declaration: Declaration = PolicyStore(self.settings.policy).declaration
        self.fleet = simulator.fleet(devices, prefix="BENCH")
        self.size = size
        days = max(1, math.ceil(size / devices / PER_DAY))
        self.end = datetime.now(UTC).replace(second=0, microsecond=0)
        self.start = self.end - timedelta(days=days)
        self.secrets: dict[str, str] = {}
        self.owners: list[str] = []
        with self.db.unit_of_work() as session:
            for n, sim in enumerate(self.fleet):
                _device, self.secrets[sim.serial] = service.register_device(
                    session=session,
                    vault=self.vault,
                    serial=sim.serial,
                    model=sim.model,
                    firmware=sim.firmware,
                    region=sim.region,
                    actor="bench",
                )
                if n < owners:
                    subject = subjects.create_subject(
                        session=session, kind="customer", country="CN", actor="bench"
                    )
                    service.claim(
                        session=session,
                        vault=self.vault,
                        declaration=self.declaration,
                        serial=sim.serial,
                        subject_id=subject.id,
                        actor="bench",
                        at=self.start,
                    )
                    self.owners.append(subject.id)
            self.api_key, _client = staff.create_api_client(
                session=session, name="fleet", scopes=["telemetry.write"], actor="bench"
            )

    def batches(self, limit: int | None = None) -> Iterator[tuple[str, list[object]]]:
        """(serial, readings) in batches, device by device, up to ``limit`` readings."""
        sent = 0
        for sim in self.fleet:
            chunk: list[object] = []
            for reading in simulator.readings(sim, start=self.start, end=self.end):
                chunk.append(reading)
                if len(chunk) == BATCH:
                    yield sim.serial, chunk
                    sent += len(chunk)
                    chunk = []
                    if limit is not None and sent >= limit:
                        return
            if chunk:
                yield sim.serial, chunk
                sent += len(chunk)
                if limit is not None and sent >= limit:
                    return

    def reset(self) -> None:
        """Empty the readings table and make sure every month of the period has its partition."""
        with self.db.unit_of_work() as session:
            if self.db.is_postgres:
                session.execute(text("TRUNCATE telemetry_reading"))
            else:
                session.execute(text("DELETE FROM telemetry_reading"))
            partitions.ensure(session, partitions.months_between(self.start, self.end))
        if not self.db.is_postgres:
            with self.db.engine.connect() as conn:
                conn.exec_driver_sql("VACUUM")

    def count(self) -> int:
        with self.db.unit_of_work() as session:
            return int(session.scalar(text("SELECT count(*) FROM telemetry_reading")) or 0)


BATCH = 1000


def baseline(run: Run) -> tuple[float, int]:
    run.reset()
    rules = rules_for(run.declaration)
    keys = {sim.serial: pseudonyms.device_key(run.vault, sim.serial) for sim in run.fleet}
    elapsed, rows_total = 0.0, 0
    for serial, readings in run.batches(run.size):
        rows, _rejected, _dups = rules.check(keys[serial], readings, run.end)
        if not run.db.is_postgres:  # the stored form of the times, outside the clock
            for row in rows:
                row[1] = ingest.sqlite_time(row[1])
                row[-1] = None if row[-1] is None else ingest.sqlite_time(row[-1])
        began = time.perf_counter()
        with run.db.unit_of_work() as session:
            raw: Any = session.connection().connection.dbapi_connection
            if run.db.is_postgres:
                with raw.cursor() as cursor:
                    ingest._copy(cursor, ingest.TABLE, rows)
            else:
                columns = ", ".join(ingest.COLUMNS)
                marks = ", ".join("?" for _ in ingest.COLUMNS)
                raw.cursor().executemany(
                    f"INSERT INTO telemetry_reading ({columns}) VALUES ({marks})",  # noqa: S608
                    rows,
                )
        elapsed += time.perf_counter() - began
        rows_total += len(rows)
    return elapsed, rows_total


def through_service(run: Run) -> tuple[float, int]:
    run.reset()
    elapsed, stored = 0.0, 0
    devices: dict[str, int] = {}
    with run.db.unit_of_work() as session:
        for sim in run.fleet:
            devices[sim.serial] = service.device_or_404(session, run.vault, sim.serial).id
    for serial, readings in run.batches(run.size):
        began = time.perf_counter()
        with run.db.unit_of_work() as session:
            device = service.get_device(session=session, device_id=devices[serial])
            result = service.ingest_batch(
                session=session, declaration=run.declaration, device=device, readings=readings
            )
        elapsed += time.perf_counter() - began
        if result.rejected:
            raise SystemExit(f"refused: {result.rejected[0]}")
        stored += result.stored
    return elapsed, stored


def _serve(settings: Settings, port: int) -> None:
    import uvicorn

    from privacyops.app import create_app

    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")


def through_http(
    run: Run, limit: int, encoding: codecs.Encoding = codecs.Encoding.JSON
) -> tuple[float, int]:
    run.reset()
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(run.settings, port), daemon=True
    )
    server.start()
    elapsed, stored = 0.0, 0
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"authorization": f"Bearer {run.api_key}"},
            timeout=60,
        ) as client:
            for _ in range(200):
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            for serial, readings in run.batches(limit):
                if encoding is codecs.Encoding.JSON:
                    body = json.dumps({"readings": readings}).encode()
                else:
                    body = codecs.encode({"readings": native_times(readings)}, encoding)
                headers = {
                    "content-type": encoding.value,
                    "x-device-serial": serial,
                    "x-signature": pseudonyms.sign(run.secrets[serial], body),
                }
                began = time.perf_counter()
                response = client.post("/api/v1/telemetry/batches", content=body, headers=headers)
                elapsed += time.perf_counter() - began
                if response.status_code != 200:
                    raise SystemExit(f"HTTP {response.status_code}: {response.text[:300]}")
                stored += response.json()["stored"]
    finally:
        server.terminate()
        server.join(timeout=10)
    return elapsed, stored


def native_times(readings: list[object]) -> list[object]:
    """What a compact device sends: its times as native timestamps, not text."""
    out: list[object] = []
    for reading in readings:
        assert isinstance(reading, dict)
        out.append(
            {
                key: datetime.fromisoformat(value)
                if key in ("recorded_at", "reported_at", "occurred_at", "cleared_at")
                and isinstance(value, str)
                else value
                for key, value in reading.items()
            }
        )
    return out


def access(run: Run, samples: int) -> tuple[float, float, int]:
    """p50 and max seconds to read one subject's readings to the end, and rows per subject."""
    times, rows = [], 0
    for subject_id in run.owners[:samples]:
        with run.db.unit_of_work() as session:
            began = time.perf_counter()
            rows = sum(1 for _ in service.readings_for_subject(session, subject_id))
            times.append(time.perf_counter() - began)
    return statistics.median(times), max(times), rows


def main() -> None:
    global BATCH
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--http-max", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--subjects", type=int, default=20)
    args = parser.parse_args()
    BATCH = args.batch
    kind = os.environ.get("BENCH_DATABASE_URL", "sqlite").split(":")[0]
    print(f"# telemetry ingest ({sys.platform}, {os.cpu_count()} cores, database: {kind})")
    print(f"batches of {BATCH} readings of one device, one commit per batch\n")
    print(
        f"| {'readings':>9} | {'path':<36} | {'seconds':>8} | {'readings/s':>10} | {'ratio':>6} |"
    )
    print(f"|{'-' * 11}|{'-' * 38}|{'-' * 10}|{'-' * 12}|{'-' * 8}|")
    access_rows = []
    with tempfile.TemporaryDirectory() as directory:
        for size in args.sizes:
            run = Run(Path(directory), size, args.devices, args.subjects)
            base_s, n = baseline(run)
            raw = "COPY (raw, baseline)" if run.db.is_postgres else "executemany (raw, baseline)"
            results = [(raw, base_s, n)]
            service_s, stored = through_service(run)
            results.append(("service (checks, pseudonym)", service_s, stored))
            p50, worst, per_subject = access(run, args.subjects)
            access_rows.append((n, per_subject, p50, worst))
            if args.http_max:
                for encoding, name in (
                    (codecs.Encoding.CBOR, "HTTP (key, signature, CBOR)"),
                    (codecs.Encoding.MSGPACK, "HTTP (key, signature, MessagePack)"),
                    (codecs.Encoding.JSON, "HTTP (key, signature, JSON)"),
                ):
                    http_s, sent = through_http(run, min(args.http_max, n), encoding)
                    results.append((name, http_s, sent))
            for name, seconds, count in results:
                rate, base_rate = count / seconds, n / base_s
                print(
                    f"| {count:>9} | {name:<36} | {seconds:>8.2f} | {rate:>10.0f} | "
                    f"{rate / base_rate:>6.3f} |",
                    flush=True,
                )
            run.db.dispose()
    print("\naccess: readings_for_subject, one subject owning one device over the whole period")
    print(f"| {'table rows':>10} | {'subject rows':>12} | {'p50 ms':>7} | {'max ms':>7} |")
    print(f"|{'-' * 12}|{'-' * 14}|{'-' * 9}|{'-' * 9}|")
    for total, own, p50, worst in access_rows:
        print(f"| {total:>10} | {own:>12} | {p50 * 1000:>7.1f} | {worst * 1000:>7.1f} |")


if __name__ == "__main__":
    main()
