"""External sources: access and erasure of one customer in an external PostgreSQL and MariaDB.

Run: ``.venv/bin/python bench/sources.py [--sizes 100000 1000000] [--repeat 5]``
(``BENCH_DATABASE_URL=postgresql+psycopg://...`` puts the external database on that
server; otherwise a PostgreSQL is started with ``scripts/pg.sh``). A MariaDB is started
in a temp dir (``tests/mariadb.py``). privacyops' own database is a SQLite file.

Per size N and database: N customers (id, email, name, phone, address, created) and 3N
orders (FK ``customer_id``), B-tree indexes on ``customer.email`` and
``orders.customer_id``, the data shape of the peer's published benchmark.

- ``access``: ``execute`` of a verified access request of one customer (found by
  e-mail, its 3 orders reached through ``customer_id``) until the package is ready
  (vault values, zip, encryption, fsync, token). Median of ``--repeat``. Baseline, same
  run: a bare ``SELECT`` of the same customer and orders rows.
- ``access: external reads only``: the walk alone (customer by e-mail, orders through
  ``customer_id``), to separate the external part from the package's own work.
- ``access: the package without external sources``: the same request with no external
  source declared: what the package itself costs (vault values, zip, encryption, audit,
  the local database), the part that external reads do not change.
- ``erasure``: ``sources.runs.erase_sources`` for another customer (plan, then per table
  its intent committed locally, one external transaction, progress recorded and
  committed). Baseline: bare ``UPDATE`` of the customer row and of its orders' rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from common import ROOT, bench_settings, free_port
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

sys.path.insert(0, str(ROOT))
from tests import mariadb
from tests.rights.support import World

from privacyops import migrate
from privacyops.db import Database, utcnow
from privacyops.policy.loader import parse_declaration
from privacyops.rights import connectors
from privacyops.sources import runs
from privacyops.sources.runs import identities_of
from privacyops.vault.service import Vault

SOURCES = """
external_sources:
  - name: shop
    url_env: BENCH_SHOP_URL
    tables:
      - name: customer
        identity: {column: email, kind: email}
        fields:
          - {name: email, type: email, max_length: 254, nullable: false, erase: hash}
          - {name: name, type: string, max_length: 100, erase: fixed, value: "[erased]"}
          - {name: phone, type: phone, max_length: 32, erase: "null"}
          - {name: address, type: string, max_length: 200, erase: "null"}
          - {name: created, type: datetime, erase: keep}
      - name: orders
        reached_through: {column: customer_id, references: customer.id}
        fields:
          - {name: amount, type: number, erase: keep}
          - {name: ship_to, type: string, max_length: 200, erase: "null"}
          - {name: created, type: datetime, erase: keep}
"""


def _schema(engine: Engine, n: int) -> float:
    """Create and fill the two tables inside the database server (no rows cross the wire);
    indexes and the foreign key come after the rows, as a bulk load does. Seconds taken."""
    start = time.perf_counter()
    mysql = engine.dialect.name == "mysql"
    series = f"seq_1_to_{n}" if mysql else f"generate_series(1, {n}) AS s(seq)"
    seq = "seq"
    with engine.begin() as conn:
        if mysql:
            conn.execute(text("SET SESSION foreign_key_checks = 0, unique_checks = 0"))
        conn.execute(
            text(
                "CREATE TABLE customer (id INTEGER NOT NULL PRIMARY KEY, email VARCHAR(254) NOT "
                "NULL, name VARCHAR(100), phone VARCHAR(32), address VARCHAR(200), created "
                "TIMESTAMP NULL)"
            )
        )
        conn.execute(
            text(
                "CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, customer_id INTEGER NOT "
                "NULL, amount NUMERIC(10, 2) NOT NULL, ship_to VARCHAR(200), created TIMESTAMP "
                "NULL)"
            )
        )
        concat = (
            f"CONCAT('c', {seq}, '@example.net')" if mysql else f"'c' || {seq} || '@example.net'"
        )
        conn.execute(
            text(
                f"INSERT INTO customer SELECT {seq}, {concat}, 'Some Name', '+86 138-0000-0000', "  # noqa: S608
                f"'1 Road, City', CURRENT_TIMESTAMP FROM {series}"
            )
        )
        # One statement for all 3N orders, in primary key order (3 per customer).
        orders = (
            f"SELECT {seq} * 3 + k, {seq}, 10.5, '1 Road, City', CURRENT_TIMESTAMP "  # noqa: S608
            f"FROM {series} CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2) "
            f"AS three ORDER BY 1"
        )
        conn.execute(text(f"INSERT INTO orders {orders}"))
        conn.execute(text("CREATE UNIQUE INDEX ix_customer_email ON customer (email)"))
        conn.execute(text("CREATE INDEX ix_orders_customer_id ON orders (customer_id)"))
        conn.execute(
            text(
                "ALTER TABLE orders ADD CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) "
                "REFERENCES customer (id)"
            )
        )
        if mysql:
            conn.execute(text("SET SESSION foreign_key_checks = 1, unique_checks = 1"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("customer", "orders"):
            result = conn.execute(text(f"ANALYZE {'TABLE ' if mysql else ''}{table}"))
            if mysql:
                result.fetchall()
    return time.perf_counter() - start


def _median(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _measure(kind: str, url: str, n: int, repeat: int, tmp: Path) -> list[tuple[str, float, float]]:
    external = create_engine(url)
    print(f"  {kind} {n:,}: loaded in {_schema(external, n):.0f} s", flush=True)
    os.environ["BENCH_SHOP_URL"] = url
    local = f"sqlite:///{tmp}/po_{kind}_{n}.db"
    migrate.upgrade(local)
    settings = bench_settings(local, tmp / f"var_{kind}_{n}")
    db = Database(local, secret=settings.secret_key)
    vault = Vault.from_settings(settings)
    declaration = parse_declaration(
        settings.policy.read_text(encoding="utf-8") + SOURCES, name="bench.yaml"
    )
    world = World(db, vault, settings, declaration)
    target = n // 2
    email = f"c{target}@example.net"
    subject = world.subject(email)
    requests = [world.request(subject, "access") for _ in range(repeat)]
    pending = iter(requests)
    world.execute(world.request(subject, "access"))  # warm: reflection, pools

    def access() -> None:
        report = world.execute(next(pending))
        assert report.download_token is not None, report

    access_ms = _median(access, repeat)

    alone = World(
        db,
        vault,
        settings,
        parse_declaration(settings.policy.read_text(encoding="utf-8"), name="bench.yaml"),
    )
    local_requests = iter([alone.request(subject, "access") for _ in range(repeat + 1)])

    def access_local() -> None:
        report = alone.execute(next(local_requests))
        assert report.download_token is not None, report

    access_local()  # warm
    local_ms = _median(access_local, repeat)

    def bare_select() -> None:
        with external.connect() as conn:
            cid = conn.execute(
                text(
                    "SELECT id, email, name, phone, address, created FROM customer WHERE email = :e"
                ),
                {"e": email},
            ).all()[0][0]
            conn.execute(
                text("SELECT amount, ship_to, created FROM orders WHERE customer_id = :c"),
                {"c": cid},
            ).all()

    select_ms = _median(bare_select, repeat)

    with db.unit_of_work() as session:
        ids = identities_of(session=session, vault=vault, subject_id=subject)

    def walk_only() -> None:
        [connector] = connectors.connectors_for(declaration, settings=settings, vault=vault)
        with connectors.walk(connector, ids) as walk:
            found = [list(walk.rows(spec)) for spec in walk.tables]
        assert [len(rows) for rows in found] == [1, 3], found

    walk_ms = _median(walk_only, repeat)

    others = iter(range(target + 1, target + 1 + repeat))
    bare = iter(range(target + 1000, target + 1000 + repeat))

    def erase() -> None:
        other = world.subject(f"c{next(others)}@example.net")
        request_id = world.request(other, "deletion")
        with db.unit_of_work() as session:
            ids = identities_of(session=session, vault=vault, subject_id=other)
            start = time.perf_counter()
            done = runs.erase_sources(
                session=session,
                vault=vault,
                settings=settings,
                declaration=declaration,
                request_id=request_id,
                ids=ids,
                now=utcnow(),
                checkpoint=session.commit,
            )
            timings.append(time.perf_counter() - start)
        assert sum(d.erased for d in done) == 4, [(d.table_label, d.erased) for d in done]

    timings: list[float] = []
    for _ in range(repeat):
        erase()
    erase_ms = statistics.median(timings) * 1000

    def bare_update() -> None:
        cid = next(bare)
        with external.begin() as conn:
            conn.execute(
                text("UPDATE orders SET ship_to = NULL WHERE customer_id = :c"), {"c": cid}
            )
            conn.execute(
                text(
                    "UPDATE customer SET email = :h, name = '[erased]', phone = NULL, "
                    "address = NULL WHERE id = :c"
                ),
                {"c": cid, "h": f"h{uuid.uuid4().hex[:12]}@x.invalid"},
            )

    update_ms = _median(bare_update, repeat)
    db.dispose()
    connectors.dispose_engines()
    external.dispose()
    return [
        ("access", access_ms, select_ms),
        ("access: external reads only", walk_ms, select_ms),
        ("access: the package without external sources", local_ms, select_ms),
        ("erasure", erase_ms, update_ms),
    ]


def _postgres(tmp: Path) -> tuple[str, Callable[[], None]]:
    base = os.environ.get("BENCH_DATABASE_URL")
    if base:
        return base, lambda: None
    folder, port = tmp / "pg", free_port()
    subprocess.run(
        ["bash", str(ROOT / "scripts/pg.sh"), "start", str(folder), str(port)], check=True
    )
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    stop = ["bash", str(ROOT / "scripts/pg.sh"), "stop", str(folder)]
    return url, lambda: subprocess.run(stop, check=False) and None


def _pg_database(base: str, name: str) -> str:
    url = make_url(base)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-sources-"))
    tmp.chmod(0o755)  # the PostgreSQL server runs as its own user
    pg_base, stop_pg = _postgres(tmp)
    server = mariadb.start(tmp / "mariadb", buffer_pool="512M")
    rows: list[tuple[str, int, str, float, float]] = []
    try:
        for n in args.sizes:
            name = f"shop_{n}_{uuid.uuid4().hex[:6]}"
            targets = [("postgresql", _pg_database(pg_base, name))]
            if server is not None:
                targets.append(("mariadb", server.create_database(name)))
            else:
                print(f"mariadb skipped: {mariadb.available()}")
            for kind, url in targets:
                for what, ours, base in _measure(kind, url, n, args.repeat, tmp):
                    rows.append((kind, n, what, ours, base))
                    print(f"  {kind} {n:,} {what}: {ours:.1f} ms (bare {base:.2f} ms)", flush=True)
    finally:
        if server is not None:
            server.stop()
        stop_pg()
    print()
    head = f"median ms (of {args.repeat})"
    print(
        f"| database | customers | orders | measure | {head} | bare SQL ms | ratio | goal 50 ms |"
    )
    print("|---|---:|---:|---|---:|---:|---:|---|")
    for kind, n, what, ours, base in rows:
        goal = ("met" if ours <= 50 else "missed") if what == "access" else "-"
        print(
            f"| {kind} | {n:,} | {3 * n:,} | {what} | {ours:.1f} | {base:.2f} | "
            f"{ours / base:.0f}x | {goal} |"
        )


if __name__ == "__main__":
    main()
