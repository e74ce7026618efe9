"""External sources of single tables found by an identity column: access and erasure."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, create_engine, event, select, text
from sqlalchemy.engine import Engine
from tests.conftest import create_database
from tests.rights.support import ALICE, BOB, World, json_of, unzip

from privacyops.policy.loader import parse_declaration
from privacyops.policy.schema import Declaration
from privacyops.rights import connectors
from privacyops.sources import erasure
from privacyops.sources.errors import ConnectorError

ALICE_PHONE = "+86 138-1234-5678"
NOW = datetime.now().replace(microsecond=0)  # the external system's naive local times
OLD = NOW - timedelta(days=5 * 365)
RECENT = NOW - timedelta(days=20)

SCHEMA = [
    """CREATE TABLE customer_orders (
        id INTEGER PRIMARY KEY,
        email VARCHAR(254) NOT NULL,
        phone VARCHAR(32),
        full_name VARCHAR(100),
        note TEXT,
        amount NUMERIC(10, 2) NOT NULL,
        created_at TIMESTAMP
    )""",
    "CREATE INDEX ix_customer_orders_email ON customer_orders (email)",
    """CREATE TABLE newsletter (
        id INTEGER PRIMARY KEY,
        email VARCHAR(254) NOT NULL UNIQUE,
        lang VARCHAR(8) NOT NULL
    )""",
    "CREATE TABLE audit_trail (id INTEGER PRIMARY KEY, email VARCHAR(254), what TEXT)",
]
ORDERS = [
    # id, email, phone, name, note, amount, created_at
    (1, "alice.zhang@example.com", ALICE_PHONE, "Alice Zhang", "leave at door", 12.5, OLD),
    (2, "alice.zhang@example.com", ALICE_PHONE, "Alice Zhang", None, 99.0, OLD),
    (3, "alice.zhang@example.com", ALICE_PHONE, "Alice Zhang", "gift", 30.0, RECENT),
    (4, BOB, "+86 139-0000-1111", "Bob Li", "fragile", 8.0, OLD),
    (5, BOB, None, "Bob Li", None, 15.0, RECENT),
]

SOURCES = """
external_sources:
  - name: shop
    url: "{url}"
    tables:
      - name: customer_orders
        identity: {{column: email, kind: email}}
        category: key_account
        collected_at: created_at
        fields:
          - {{name: email, type: email, max_length: 254, nullable: false, erase: mask}}
          - {{name: phone, type: phone, max_length: 32, erase: hash}}
          - {{name: full_name, type: string, max_length: 100, erase: mask}}
          - {{name: note, type: text, erase: "null"}}
          - {{name: amount, type: number, nullable: false, erase: keep}}
      - name: newsletter
        identity: {{column: email, kind: email}}
        category: contact
        fields:
          - {{name: email, type: email, max_length: 254, erase: delete_row}}
          - {{name: lang, type: string, max_length: 8, erase: keep}}
"""


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Engine]:
    url = create_database(tmp_path, "po_shop")
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in SCHEMA:
            conn.execute(text(statement))
        conn.execute(
            text(
                "INSERT INTO customer_orders"
                " VALUES (:id, :email, :phone, :name, :note, :amount, :at)"
            ),
            [
                dict(
                    zip(("id", "email", "phone", "name", "note", "amount", "at"), row, strict=True)
                )
                for row in ORDERS
            ],
        )
        conn.execute(
            text(
                "INSERT INTO newsletter"
                " VALUES (1, 'alice.zhang@example.com', 'zh-CN'), (2, :bob, 'en')"
            ),
            {"bob": BOB},
        )
    yield engine
    engine.dispose()


def _declaration(world: World, engine: Engine) -> Declaration:
    text_ = world.settings.policy.read_text(encoding="utf-8")
    url = engine.url.render_as_string(hide_password=False)
    return parse_declaration(text_ + SOURCES.format(url=url), name="policy/shop.yaml")


def _rows(engine: Engine, table: str) -> list[dict[str, Any]]:
    found = Table(table, MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(found).order_by(found.c.id))]


def test_access_returns_only_the_subjects_rows_through_the_index(
    world: World, shop: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.declaration = _declaration(world, shop)
    alice = world.subject(ALICE, phone=ALICE_PHONE)
    world.subject(BOB)
    statements: list[str] = []
    opened: list[connectors.Connector] = []
    real_open = connectors.Connector.open

    def remember(cls: Any, *args: Any, **kwargs: Any) -> connectors.Connector:
        connector = real_open(*args, **kwargs)
        opened.append(connector)
        event.listen(
            connector.engine,
            "before_cursor_execute",
            lambda *a: statements.append(a[2]),
        )
        return connector

    monkeypatch.setattr(connectors.Connector, "open", classmethod(remember))
    report = world.execute(world.request(alice, "access"))

    assert report.download_token is not None
    files = unzip(world.download(report.download_token))
    orders = json_of(files, "external/shop/customer_orders.json")
    assert [o["full_name"] for o in orders] == ["Alice Zhang"] * 3
    assert json_of(files, "external/shop/newsletter.json") == [
        {"email": "alice.zhang@example.com", "lang": "zh-CN"}
    ]
    assert BOB.encode() not in b"".join(files.values())
    [connector] = opened
    assert connector.stats.rows_read == 4  # three orders and one subscription: Bob's never read
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    data_reads = [s for s in reads if re.search(r"FROM (customer_orders|newsletter)\b", s)]
    assert len(data_reads) == 2
    for statement in data_reads:
        assert re.search(r"WHERE \S*email IN \(", statement), statement


def test_deletion_erases_only_the_subjects_rows_and_masks_keep_type_and_length(
    world: World, shop: Engine
) -> None:
    world.declaration = _declaration(world, shop)
    alice = world.subject(ALICE, phone=ALICE_PHONE)
    world.subject(BOB)
    before = _rows(shop, "customer_orders")

    report = world.execute(world.request(alice, "deletion"))

    assert report.completed, report
    after = _rows(shop, "customer_orders")
    assert after[3:] == before[3:]  # Bob's orders are untouched
    assert after[2] == before[2]  # Alice's recent order is inside the legal period: kept
    for old, new in zip(before[:2], after[:2], strict=True):
        assert re.fullmatch(r"erased-[0-9a-f]{16}@erased\.invalid", new["email"])
        assert len(new["email"]) <= 254
        assert new["phone"] != old["phone"]
        assert len(new["phone"]) == len(old["phone"])
        assert re.fullmatch(r"\+\d\d \d{3}-\d{4}-\d{4}", new["phone"])
        assert new["full_name"] == "[erased]"
        assert new["note"] is None
        assert new["amount"] == old["amount"]  # declared keep
    assert after[0]["email"] != after[1]["email"]  # a mask is per row: unique columns stay unique
    assert after[0]["phone"] == after[1]["phone"]  # a hash is per value: rows still join
    assert [r["email"] for r in _rows(shop, "newsletter")] == [BOB]
    tables = {t["table"]: t for t in report.outcome["external_tables"]}
    assert tables["shop.customer_orders"]["erased"] == 2
    assert tables["shop.customer_orders"]["kept"] == 1
    assert tables["shop.newsletter"]["erased"] == 1
    [kept] = [k for k in report.outcome["kept"] if k["where"] == "external:shop.customer_orders"]
    assert kept["category"] == "key_account"
    assert kept["records"] == 1
    assert kept["until"] is not None
    assert kept["until"].startswith(str(RECENT.year + 3))


def test_a_crash_after_the_external_commit_reruns_idempotently(
    world: World, shop: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.declaration = _declaration(world, shop)
    alice = world.subject(ALICE, phone=ALICE_PHONE)
    request_id = world.request(alice, "deletion")
    real = erasure.erase_table
    crashed: list[str] = []

    class Crash(BaseException):
        pass

    def erase_then_die(connector: connectors.Connector, found: Any, **kw: Any) -> Any:
        done = real(connector, found, **kw)  # committed in the external database
        if not crashed:
            crashed.append(found.label)
            raise Crash
        return done

    monkeypatch.setattr(erasure, "erase_table", erase_then_die)
    with pytest.raises(Crash):
        world.execute(request_id)
    assert crashed == ["shop.newsletter"]  # children and later roots go first
    newsletter = _rows(shop, "newsletter")
    monkeypatch.setattr(erasure, "erase_table", real)
    report = world.execute(request_id)
    assert report.completed
    assert _rows(shop, "newsletter") == newsletter  # applied again: nothing left to delete
    tables = {t["table"]: t for t in report.outcome["external_tables"]}
    assert tables["shop.customer_orders"]["erased"] == 2
    assert tables["shop.newsletter"]["erased"] == 1  # the interrupted run's delete, from its intent


def test_the_url_may_come_from_an_environment_variable(
    world: World, shop: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    declaration = _declaration(world, shop)
    url = declaration.external_sources[0].url
    source = declaration.external_sources[0].model_copy(update={"url": None, "url_env": "SHOP_DB"})
    with pytest.raises(ConnectorError, match=r"\$SHOP_DB is not set"):
        connectors.resolve_url(source, world.settings)
    monkeypatch.setenv("SHOP_DB", url or "")
    assert connectors.resolve_url(source, world.settings) == url


def test_masks_keep_shape_within_short_columns() -> None:
    from privacyops.policy.sources import ExternalField
    from privacyops.rights import masks

    email = ExternalField(name="e", type="email", max_length=15, erase="mask")
    value = masks.mask(email, "someone.long@example.com", secret=b"k", row_key="1")
    assert len(value) <= 15
    assert re.fullmatch(r"[a-z0-9-]+@[a-z.]+invalid", value)
    ident = ExternalField(name="i", type="identifier", max_length=10, erase="hash")
    assert len(masks.pseudonym(ident, "acct-0001", secret=b"k")) == 10
    assert json.dumps(
        masks.mask(
            ExternalField(name="d", type="datetime", erase="mask"), NOW, secret=b"k", row_key="1"
        ),
        default=str,
    ).startswith(f'"{NOW.year}-01-01')
