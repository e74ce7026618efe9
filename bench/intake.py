"""Intake throughput: records/s through the service layer and through HTTP.

Run: ``.venv/bin/python bench/intake.py [--sizes 10000 100000] [--http-max 10000]``

Each submission is one contact form of five declared fields, so one submission
stores five encrypted records plus their identities and audit events. The
baseline, measured in the same run on a fresh database of the same kind, inserts
the same number of `personal_record` rows with the plaintext as the payload in
batches: no validation, no encryption, no key per subject, no audit. The ratio
is service rate / baseline rate. HTTP runs a real uvicorn server on loopback
with one client connection (requests are sequential); `--http-max` bounds it.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import threading
import time
from itertools import islice
from pathlib import Path

import httpx
import uvicorn
from common import bench_settings, database_url

from privacyops import migrate
from privacyops.app import create_app, explicit_consent
from privacyops.collection import batch, imports, intake
from privacyops.db import Database, utcnow
from privacyops.policy.schema import Declaration
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings
from privacyops.staff import service as staff
from privacyops.subjects import service as subjects
from privacyops.subjects.models import PersonalRecord
from privacyops.vault.service import Vault

FIELDS = 5
BATCH = 200


def contact(i: int) -> dict[str, object]:
    return {
        "name": f"Test Person {i}",
        "email": f"person{i}@example.com",
        "phone": f"+86 138{i:08d}"[:16],
        "company": f"Example Grid {i % 97} Co.",
        "country": "CN",
    }


def fresh(tmp: Path, name: str) -> tuple[Settings, Database]:
    url = database_url(tmp, name)
    settings = bench_settings(url, tmp / name)
    migrate.upgrade(url)
    return settings, Database(url, secret=settings.secret_key)


def through_service(tmp: Path, submissions: int) -> float:
    settings, db = fresh(tmp, f"service{submissions}")
    vault = Vault.from_settings(settings)
    declaration = PolicyStore(settings.policy).declaration
    start = time.perf_counter()
    for first in range(0, submissions, BATCH):
        with db.unit_of_work() as session:
            context = intake.Intake(
                session=session,
                vault=vault,
                declaration=declaration,
                actor="bench",
                explicit_consent=explicit_consent,
            )
            for i in range(first, min(first + BATCH, submissions)):
                values = intake.validate_fields(
                    context,
                    category="contact",
                    purpose="service_support",
                    values=contact(i),
                    subject_id=None,
                )
                subject, _ = intake.resolve_subject(
                    context,
                    identities=intake.identities_in(values),
                    kind="prospect",
                    country="CN",
                    region=None,
                )
                intake.store_fields(
                    context,
                    subject_id=subject.id,
                    category="contact",
                    purpose="service_support",
                    values=values,
                    notice_version="1.0.0",
                    source="bench",
                )
    elapsed = time.perf_counter() - start
    db.dispose()
    return elapsed


def _store_batch(
    db: Database,
    vault: Vault,
    declaration: Declaration,
    rows: list[batch.BatchRow],
    *,
    source: str,
    skip_existing: bool = False,
) -> None:
    """One committed unit of work through the batch intake service; a refusal stops the run."""
    with db.unit_of_work() as session:
        context = intake.Intake(
            session=session,
            vault=vault,
            declaration=declaration,
            actor="bench",
            explicit_consent=explicit_consent,
        )
        result = batch.intake_batch(
            context,
            category="contact",
            purpose="service_support",
            kind="prospect",
            notice_version="1.0.0",
            source=source,
            rows=rows,
            skip_existing=skip_existing,
        )
    if result.rejected:
        raise SystemExit(f"{source} intake refused a row: {result.rejected[0]}")


def through_batch(tmp: Path, submissions: int) -> float:
    """The batch intake service: one committed unit of work per BATCH submissions."""
    settings, db = fresh(tmp, f"batch{submissions}")
    vault = Vault.from_settings(settings)
    declaration = PolicyStore(settings.policy).declaration
    start = time.perf_counter()
    for first in range(0, submissions, BATCH):
        rows = [
            batch.BatchRow(line=i, fields=contact(i), country="CN")
            for i in range(first, min(first + BATCH, submissions))
        ]
        _store_batch(db, vault, declaration, rows, source="bench")
    elapsed = time.perf_counter() - start
    db.dispose()
    return elapsed


def through_csv_import(tmp: Path, submissions: int) -> float:
    """The import path of `privacyops subjects import`: CSV reading, batches of 1000."""
    settings, db = fresh(tmp, f"csv{submissions}")
    vault = Vault.from_settings(settings)
    declaration = PolicyStore(settings.policy).declaration
    path = tmp / f"contacts{submissions}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(contact(0)))
        for i in range(submissions):
            writer.writerow(list(contact(i).values()))
    start = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        rows = imports.read_rows(handle, declaration=declaration, category="contact", path=path)
        while chunk := list(islice(rows, 1000)):
            _store_batch(db, vault, declaration, chunk, source="import", skip_existing=True)
    elapsed = time.perf_counter() - start
    db.dispose()
    return elapsed


def baseline(tmp: Path, submissions: int) -> float:
    _settings, db = fresh(tmp, f"baseline{submissions}")
    with db.unit_of_work() as session:
        subject = subjects.create_subject(session=session, kind="prospect", actor="bench")
        subject_id = subject.id
    start = time.perf_counter()
    now = utcnow()
    for first in range(0, submissions, BATCH):
        with db.unit_of_work() as session:
            rows = [
                PersonalRecord(
                    subject_id=subject_id,
                    category="contact",
                    field=name,
                    purpose="service_support",
                    region="cn",
                    collected_at=now,
                    expires_at=None,
                    notice_version="1.0.0",
                    source="bench",
                    ciphertext=str(value).encode(),
                )
                for i in range(first, min(first + BATCH, submissions))
                for name, value in contact(i).items()
            ]
            session.add_all(rows)
    elapsed = time.perf_counter() - start
    db.dispose()
    return elapsed


def through_http(tmp: Path, submissions: int) -> float:
    settings, db = fresh(tmp, f"http{submissions}")
    with db.unit_of_work() as session:
        key, _client = staff.create_api_client(
            session=session, name="bench", scopes=["intake.write"], actor="bench"
        )
    app = create_app(settings, db=db)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    headers = {"authorization": f"Bearer {key}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
        start = time.perf_counter()
        for i in range(submissions):
            response = client.post(
                "/api/v1/intake/contact", json={"notice_version": "1.0.0", "fields": contact(i)}
            )
            if response.status_code != 201:
                raise SystemExit(f"HTTP intake failed: {response.status_code} {response.text}")
        elapsed = time.perf_counter() - start
    server.should_exit = True
    thread.join(timeout=10)
    db.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--single-max", type=int, default=100_000, help="largest size run one by one"
    )
    parser.add_argument("--http-max", type=int, default=10_000, help="largest size run over HTTP")
    args = parser.parse_args()
    print(
        f"# intake benchmark ({sys.platform}, database: "
        f"{os.environ.get('BENCH_DATABASE_URL', 'sqlite').split(':')[0]})"
    )
    print(f"| {'records':>8} | {'path':<26} | {'seconds':>8} | {'records/s':>10} | {'ratio':>6} |")
    print(f"|{'-' * 10}|{'-' * 28}|{'-' * 10}|{'-' * 12}|{'-' * 8}|")
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        for records in args.sizes:
            submissions = records // FIELDS
            base = baseline(tmp, submissions)
            rows = [("raw insert (baseline)", base)]
            if records <= args.single_max:
                rows.append(("service, one by one", through_service(tmp, submissions)))
            rows.append(("batch service, encrypted", through_batch(tmp, submissions)))
            rows.append(("CSV import, encrypted", through_csv_import(tmp, submissions)))
            if records <= args.http_max:
                rows.append(("HTTP, encrypted", through_http(tmp, submissions)))
            for name, seconds in rows:
                rate = records / seconds
                print(
                    f"| {records:>8} | {name:<26} | {seconds:>8.2f} | {rate:>10.0f} | "
                    f"{base / seconds:>6.3f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
