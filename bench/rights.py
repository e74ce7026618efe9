"""Rights requests: verified access request -> package ready, and erasure, at growing scale.

Run: ``.venv/bin/python bench/rights.py [--sizes 10000 100000 1000000] [--repeat 15]``
(``BENCH_DATABASE_URL=postgresql+psycopg://...`` runs it on a new database of that server).

Setup per size N, on a fresh migrated database: N customers and 3N orders
(key-account values) bulk-inserted directly (ciphertext of the right size,
never read) and N telemetry readings of 100 devices nobody owns (checked and
stored through the ingest writer), plus one measured customer built through
the services: 3 orders and 4 contact values, an e-mail identity, its own data
key, and a device it has owned for 30 days with that month of readings.

Rows of the tables:

- ``access``: ``execute`` of a verified access request of the measured
  customer, checkpoint commits included: every category streamed, decrypted,
  zipped, encrypted, fsynced, recorded, token issued. Median and best of
  ``--repeat`` requests. Baseline, same run: a plain ``SELECT`` of that
  customer's ``personal_record`` rows and of its device's readings (no
  decryption, no ownership periods), median.
- ``own data``: the same at the largest N for customers holding 10 to 10^4
  values of their own: the time follows the customer's own data, not N.
- ``erasure``: ``execute`` of a deletion request for a customer with 10 and
  10^4 values; the ``shred`` step (key destroyed, identities gone) and the
  ``purge`` step (ciphertext rows deleted in committed batches) are read from
  the recorded step times. Baseline, same run: a plain ``DELETE`` of a
  same-sized customer's rows. Shred stays flat; purge grows with the rows.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from itertools import islice
from pathlib import Path

from common import bench_settings, database_url
from sqlalchemy import delete, insert, select, text

from privacyops import migrate
from privacyops.db import Database, utcnow
from privacyops.policy.loader import load_declaration
from privacyops.policy.schema import Declaration
from privacyops.rights import executors
from privacyops.rights.models import RequestStep, RightsRequest
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.subjects.models import PersonalRecord, Subject
from privacyops.telemetry import ingest, pseudonyms, simulator
from privacyops.telemetry import service as telemetry
from privacyops.telemetry.checks import rules_for
from privacyops.telemetry.models import Reading
from privacyops.vault.service import Vault

ACTOR = "bench"
BATCH = 20_000
ORDERS_PER_CUSTOMER = 3
FLEET = 100
OWNED_DAYS = 30
PER_DAY = 96 + 24  # a simulated device's electrical and status readings a day


class Bench:
    def __init__(self, tmp: Path, name: str) -> None:
        url = database_url(tmp, name)
        self.settings = bench_settings(url, tmp / name)
        migrate.upgrade(url)
        self.db = Database(url, secret=self.settings.secret_key)
        self.vault = Vault.from_settings(self.settings)
        self.declaration: Declaration = load_declaration(self.settings.policy)

    # -- setup ----------------------------------------------------------------

    def bulk_customers(self, n: int, orders_each: int = ORDERS_PER_CUSTOMER) -> list[str]:
        """N customers with their orders, inserted directly in batches (never decrypted)."""
        now = utcnow()
        blob = b"\x01" + os.urandom(12 + 40 + 16)
        ids: list[str] = []
        for first in range(0, n, BATCH):
            chunk = [str(uuid.uuid4()) for _ in range(min(BATCH, n - first))]
            ids.extend(chunk)
            with self.db.engine.begin() as conn:
                conn.execute(
                    insert(Subject),
                    [
                        {
                            "id": i,
                            "kind": "customer",
                            "country": "CN",
                            "jurisdiction": "CN",
                            "age_status": "adult",
                            "state": "active",
                            "created_at": now,
                        }
                        for i in chunk
                    ],
                )
                conn.execute(
                    insert(PersonalRecord),
                    [
                        {
                            "subject_id": i,
                            "category": "key_account",
                            "field": "order_reference",
                            "purpose": "order_cooperation",
                            "region": "cn",
                            "collected_at": now,
                            "expires_at": now + timedelta(days=1095),
                            "notice_version": "1.0.0",
                            "source": "bench",
                            "ciphertext": blob,
                        }
                        for i in chunk
                        for _ in range(orders_each)
                    ],
                )
        return ids

    def bulk_readings(self, n: int) -> None:
        """N readings of devices nobody owns, checked and written as ingest writes them."""
        fleet = simulator.fleet(FLEET, prefix="BULK")
        rules = rules_for(self.declaration)
        end = utcnow()
        start = end - timedelta(days=math.ceil(n / FLEET / PER_DAY) + 1)
        for number, sim in enumerate(fleet):
            wanted = n // FLEET + (1 if number < n % FLEET else 0)
            key = pseudonyms.device_key(self.vault, sim.serial)
            readings = list(islice(simulator.readings(sim, start=start, end=end), wanted))
            for first in range(0, len(readings), BATCH):
                rows, refused, _ = rules.check(key, readings[first : first + BATCH], end)
                if refused:
                    raise SystemExit(f"simulated reading refused: {refused[0]}")
                with self.db.unit_of_work() as session:
                    ingest.write_rows(session, rows)

    def own_device(self, subject_id: str, serial: str) -> bytes:
        """A device the customer has owned for OWNED_DAYS, with that period's readings."""
        end = utcnow()
        start = end - timedelta(days=OWNED_DAYS)
        sim = simulator.fleet(1, prefix=serial)[0]
        with self.db.unit_of_work() as session:
            device, _secret = telemetry.register_device(
                session=session,
                vault=self.vault,
                serial=sim.serial,
                model=sim.model,
                firmware=sim.firmware,
                region=sim.region,
                actor=ACTOR,
            )
            telemetry.claim(
                session=session,
                vault=self.vault,
                declaration=self.declaration,
                serial=sim.serial,
                subject_id=subject_id,
                actor=ACTOR,
                at=start,
            )
            rows, refused, _ = rules_for(self.declaration).check(
                device.device_key, list(simulator.readings(sim, start=start, end=end)), end
            )
            if refused:
                raise SystemExit(f"simulated reading refused: {refused[0]}")
            self.own_readings = len(rows)
            ingest.write_rows(session, rows)
            return device.device_key

    def analyze(self) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))

    def customer(self, email: str, own_values: int = 0) -> str:
        """A customer made through the services: 3 orders, 4 contact values, ``own_values`` more."""
        with self.db.unit_of_work() as session:
            subject = subjects.create_subject(
                session=session, kind="customer", country="CN", actor=ACTOR
            )
            subjects.add_identity(
                session=session,
                vault=self.vault,
                subject_id=subject.id,
                kind="email",
                value=email,
                actor=ACTOR,
            )
            self._store(
                session,
                subject.id,
                "contact",
                {
                    "name": "Bench Person",
                    "email": email,
                    "phone": "+86 138 0000 0000",
                    "company": "Example Grid Co.",
                },
                "service_support",
            )
            for i in range(ORDERS_PER_CUSTOMER):
                self._store(
                    session,
                    subject.id,
                    "key_account",
                    {"order_reference": f"PO-{i}"},
                    "order_cooperation",
                )
            for i in range(own_values // 2):
                self._store(
                    session,
                    subject.id,
                    "support",
                    {
                        "ticket_id": f"T-{i}",
                        "message": f"The breaker trips at night, case {i}.",
                    },
                    "service_support",
                )
            return subject.id

    def contacts_only(self, email: str, values: int) -> str:
        with self.db.unit_of_work() as session:
            subject = subjects.create_subject(
                session=session, kind="customer", country="CN", actor=ACTOR
            )
            subjects.add_identity(
                session=session,
                vault=self.vault,
                subject_id=subject.id,
                kind="email",
                value=email,
                actor=ACTOR,
            )
            for i in range(max(values // 2, 1)):
                self._store(
                    session,
                    subject.id,
                    "contact",
                    {"name": f"Name {i}", "email": email},
                    "service_support",
                )
            return subject.id

    def _store(
        self, session: object, subject_id: str, category: str, values: dict[str, str], purpose: str
    ) -> None:
        records.store_values(
            session=session,  # type: ignore[arg-type]
            vault=self.vault,
            subject_id=subject_id,
            category=category,
            values=values,
            purpose=purpose,
            region="cn",
            expires_at=utcnow() + timedelta(days=365),
            notice_version="1.0.0",
            source="bench",
            actor=ACTOR,
        )

    def request(self, subject_id: str, kind: str) -> str:
        now = utcnow()
        with self.db.unit_of_work() as session:
            row = RightsRequest(
                type=kind,
                status="verified",
                channel="api",
                subject_id=subject_id,
                contact_kind="email",
                language="en",
                country="CN",
                regime="CN",
                received_at=now,
                due_at=now + timedelta(days=15),
                verification_level="reasonable",
                verified_at=now,
                facts={},
                status_token_hash="0" * 64,
                created_by=ACTOR,
            )
            session.add(row)
            session.flush()
            return row.id

    # -- measurements ---------------------------------------------------------

    def execute(self, request_id: str) -> float:
        start = time.perf_counter()
        with self.db.unit_of_work() as session:
            report = executors.execute(
                session=session,
                vault=self.vault,
                settings=self.settings,
                declaration=self.declaration,
                request_id=request_id,
                actor=ACTOR,
                checkpoint=session.commit,
            )
        elapsed = time.perf_counter() - start
        if not report.completed:
            raise SystemExit(f"{request_id} did not complete: {report.error}")
        return elapsed

    def access(self, subject_id: str, repeat: int) -> list[float]:
        return [self.execute(self.request(subject_id, "access")) for _ in range(repeat)]

    def select_rows(
        self, subject_id: str, repeat: int, device_key: bytes | None = None
    ) -> list[float]:
        query = select(PersonalRecord).where(PersonalRecord.subject_id == subject_id)
        readings = select(Reading).where(Reading.device_key == device_key)

        def once() -> None:
            with self.db.unit_of_work() as session:
                session.scalars(query).all()
                if device_key is not None:
                    session.scalars(readings).all()

        return timed(once, repeat)

    def step_seconds(self, request_id: str, name: str) -> float:
        with self.db.unit_of_work() as session:
            step = session.scalars(
                select(RequestStep).where(
                    RequestStep.request_id == request_id, RequestStep.name == name
                )
            ).one()
            assert step.started_at is not None
            assert step.finished_at is not None
            return (step.finished_at - step.started_at).total_seconds()

    def plain_delete(self, subject_id: str) -> float:
        start = time.perf_counter()
        with self.db.engine.begin() as conn:
            conn.execute(delete(PersonalRecord).where(PersonalRecord.subject_id == subject_id))
        return time.perf_counter() - start


def timed(fn: Callable[[], None], repeat: int) -> list[float]:
    found = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        found.append(time.perf_counter() - start)
    return found


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    kind = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL") else "SQLite"
    print(f"rights bench on {kind}, Python {platform.python_version()}, {os.cpu_count()} cores")
    print("times in ms; ratio = measured p50 / baseline p50 (same run)\n")
    print(
        "access: verified -> package ready (one customer: 3 orders, 4 contact values and "
        f"the readings of the device it has owned for {OWNED_DAYS} days)"
    )
    print(
        f"{'customers':>10} {'orders':>10} {'readings':>10} {'own':>6} {'setup s':>8} "
        f"{'p50':>8} {'best':>8} {'SELECT p50':>10} {'ratio':>7}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-rights-") as folder:
        tmp = Path(folder)
        largest: Bench | None = None
        for n in args.sizes:
            bench = Bench(tmp, f"access{n}")
            start = time.perf_counter()
            bench.bulk_customers(n)
            bench.bulk_readings(n)
            bench.analyze()  # fresh statistics, as a live database has; no autovacuum mid-run
            setup = time.perf_counter() - start
            target = bench.customer(f"target{n}@example.com")
            device_key = bench.own_device(target, f"OWN{n}")
            runs = bench.access(target, args.repeat)
            base = bench.select_rows(target, args.repeat, device_key)
            p50, b50 = statistics.median(runs), statistics.median(base)
            print(
                f"{n:>10,} {n * ORDERS_PER_CUSTOMER:>10,} {n:>10,} {bench.own_readings:>6,} "
                f"{setup:>8.1f} {ms(p50)} {ms(min(runs))} {ms(b50):>10} {p50 / b50:>7.0f}",
                flush=True,
            )
            largest = bench
        assert largest is not None
        print(
            f"\nown data: access at {args.sizes[-1]:,} customers, more data of the customer's own"
        )
        print(f"{'own values':>10} {'p50':>8} {'best':>8} {'SELECT p50':>10} {'ratio':>7}")
        for own in (10, 100, 1_000, 10_000):
            target = largest.customer(f"own{own}@example.com", own_values=own)
            runs = largest.access(target, max(3, args.repeat // 3))
            base = largest.select_rows(target, max(3, args.repeat // 3))
            p50, b50 = statistics.median(runs), statistics.median(base)
            print(
                f"{own + 7:>10,} {ms(p50)} {ms(min(runs))} {ms(b50):>10} {p50 / b50:>7.0f}",
                flush=True,
            )
        print("\nerasure: execute of a deletion request (shred and purge are recorded steps)")
        print(
            f"{'values':>10} {'execute':>8} {'shred':>8} {'purge':>8} "
            f"{'DELETE':>8} {'shred/DELETE':>12}"
        )
        for values in (10, 10_000):
            erased = largest.contacts_only(f"erase{values}@example.com", values)
            twin = largest.contacts_only(f"twin{values}@example.com", values)
            request_id = largest.request(erased, "deletion")
            total = largest.execute(request_id)
            shred = largest.step_seconds(request_id, "shred")
            purge = largest.step_seconds(request_id, "purge")
            plain = largest.plain_delete(twin)
            print(
                f"{values:>10,} {ms(total)} {ms(shred)} {ms(purge)} {ms(plain)} "
                f"{shred / plain:>12.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1:])
