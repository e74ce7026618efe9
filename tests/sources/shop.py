"""A small relational shop schema (customer <- orders <- order_lines, reviews, newsletter) on
any of the three databases, its rows, and the declaration that reaches them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import MetaData, Table, select, text
from sqlalchemy.engine import Engine
from tests.rights.support import ALICE, BOB, World

from privacyops.policy.loader import parse_declaration
from privacyops.policy.schema import Declaration

ALICE_PHONE = "+86 138-1234-5678"
NOW = datetime.now().replace(microsecond=0)  # the external system's naive local times
OLD = NOW - timedelta(days=5 * 365)
RECENT = NOW - timedelta(days=20)
TABLES = ("customer", "orders", "order_lines", "reviews", "newsletter")

SCHEMA = [
    """CREATE TABLE customer (
        id INTEGER NOT NULL PRIMARY KEY,
        email VARCHAR(254) NOT NULL,
        name VARCHAR(100),
        phone VARCHAR(32),
        created_at TIMESTAMP NULL
    )""",
    "CREATE UNIQUE INDEX ix_customer_email ON customer (email)",
    """CREATE TABLE orders (
        id INTEGER NOT NULL PRIMARY KEY,
        customer_id INTEGER NOT NULL,
        ship_name VARCHAR(100),
        ship_phone VARCHAR(32),
        amount NUMERIC(10, 2) NOT NULL,
        created_at TIMESTAMP NULL,
        FOREIGN KEY (customer_id) REFERENCES customer (id)
    )""",
    "CREATE INDEX ix_orders_customer_id ON orders (customer_id)",
    """CREATE TABLE order_lines (
        id INTEGER NOT NULL PRIMARY KEY,
        order_id INTEGER NOT NULL,
        product VARCHAR(100) NOT NULL,
        gift_note VARCHAR(200),
        FOREIGN KEY (order_id) REFERENCES orders (id)
    )""",
    "CREATE INDEX ix_order_lines_order_id ON order_lines (order_id)",
    """CREATE TABLE reviews (
        id INTEGER NOT NULL PRIMARY KEY,
        customer_id INTEGER NOT NULL,
        body TEXT,
        FOREIGN KEY (customer_id) REFERENCES customer (id)
    )""",
    "CREATE INDEX ix_reviews_customer_id ON reviews (customer_id)",
    """CREATE TABLE newsletter (
        id INTEGER NOT NULL PRIMARY KEY,
        email VARCHAR(254) NOT NULL,
        lang VARCHAR(8) NOT NULL
    )""",
    "CREATE UNIQUE INDEX ix_newsletter_email ON newsletter (email)",
    # No index on customer_id: a declaration reaching it is refused, never scanned.
    "CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, customer_id INTEGER, body TEXT)",
]

SOURCES = """
external_sources:
  - name: shop
    url_env: SHOP_DATABASE_URL
    timeout_seconds: 5
    tables:
      - name: customer
        identity: {column: email, kind: email}
        fields:
          - {name: email, type: email, max_length: 254, nullable: false, erase: hash}
          - {name: name, type: string, max_length: 100, erase: fixed, value: "[erased]"}
          - {name: phone, type: phone, max_length: 32, erase: "null"}
      - name: orders
        reached_through: {column: customer_id, references: customer.id}
        category: key_account
        collected_at: created_at
        fields:
          - {name: ship_name, type: string, max_length: 100, erase: mask}
          - {name: ship_phone, type: phone, max_length: 32, erase: hash}
          - {name: amount, type: number, nullable: false, erase: keep}
      - name: order_lines
        reached_through: {column: order_id, references: orders.id}
        fields:
          - {name: product, type: string, max_length: 100, erase: keep}
          - {name: gift_note, type: string, max_length: 200, erase: "null"}
      - name: reviews
        reached_through: {column: customer_id, references: customer.id}
        fields:
          - {name: body, type: text, erase: delete_row}
      - name: newsletter
        identity: {column: email, kind: email}
        category: contact
        fields:
          - {name: email, type: email, max_length: 254, erase: delete_row}
          - {name: lang, type: string, max_length: 8, erase: keep}
"""


def create(engine: Engine, *, others: int = 0) -> None:
    """The schema, Alice's and Bob's rows, and ``others`` customers with 3 orders (of one line
    each), a review and a subscription each."""
    with engine.begin() as conn:
        for statement in SCHEMA:
            conn.execute(text(statement))
        conn.execute(
            text("INSERT INTO customer VALUES (:id, :email, :name, :phone, :at)"),
            [
                {
                    "id": 1,
                    "email": ALICE.lower(),
                    "name": "Alice Zhang",
                    "phone": ALICE_PHONE,
                    "at": OLD,
                },
                {"id": 2, "email": BOB, "name": "Bob Li", "phone": "+86 139-0000-1111", "at": OLD},
            ],
        )
        conn.execute(
            text("INSERT INTO orders VALUES (:id, :c, :name, :phone, :amount, :at)"),
            [
                {
                    "id": 10,
                    "c": 1,
                    "name": "Alice Zhang",
                    "phone": ALICE_PHONE,
                    "amount": 12.5,
                    "at": OLD,
                },
                {
                    "id": 11,
                    "c": 1,
                    "name": "A. Zhang",
                    "phone": ALICE_PHONE,
                    "amount": 99,
                    "at": OLD,
                },
                {
                    "id": 12,
                    "c": 1,
                    "name": "Alice Zhang",
                    "phone": ALICE_PHONE,
                    "amount": 30,
                    "at": RECENT,
                },
                {"id": 20, "c": 2, "name": "Bob Li", "phone": None, "amount": 8, "at": OLD},
            ],
        )
        conn.execute(
            text("INSERT INTO order_lines VALUES (:id, :o, :product, :note)"),
            [
                {"id": 100, "o": 10, "product": "smart plug", "note": "for mum"},
                {"id": 101, "o": 10, "product": "hub", "note": None},
                {"id": 102, "o": 12, "product": "dimmer", "note": "happy birthday"},
                {"id": 200, "o": 20, "product": "switch", "note": "fragile"},
            ],
        )
        conn.execute(
            text("INSERT INTO reviews VALUES (:id, :c, :body)"),
            [{"id": 1, "c": 1, "body": "works well"}, {"id": 2, "c": 2, "body": "ok"}],
        )
        conn.execute(
            text("INSERT INTO newsletter VALUES (:id, :email, :lang)"),
            [
                {"id": 1, "email": ALICE.lower(), "lang": "zh-CN"},
                {"id": 2, "email": BOB, "lang": "en"},
            ],
        )
        if others:
            conn.execute(
                text("INSERT INTO customer VALUES (:id, :email, 'Someone', NULL, :at)"),
                [{"id": 1000 + i, "email": f"c{i}@example.net", "at": OLD} for i in range(others)],
            )
            conn.execute(
                text("INSERT INTO orders VALUES (:id, :c, 'Someone', NULL, 1, :at)"),
                [
                    {"id": 10_000 + 3 * i + k, "c": 1000 + i, "at": OLD}
                    for i in range(others)
                    for k in range(3)
                ],
            )
            conn.execute(
                text("INSERT INTO order_lines VALUES (:id, :o, 'plug', NULL)"),
                [{"id": 100_000 + i, "o": 10_000 + i} for i in range(3 * others)],
            )
            conn.execute(
                text("INSERT INTO newsletter VALUES (:id, :email, 'en')"),
                [{"id": 1000 + i, "email": f"c{i}@example.net"} for i in range(others)],
            )
            conn.execute(
                text("INSERT INTO reviews VALUES (:id, :c, 'fine')"),
                [{"id": 1000 + i, "c": 1000 + i} for i in range(others)],
            )
    if engine.dialect.name == "mysql":
        with engine.begin() as conn:
            for table in TABLES:
                conn.execute(text(f"ANALYZE TABLE {table}")).fetchall()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))


def declaration(world: World, extra: str = "") -> Declaration:
    text_ = world.settings.policy.read_text(encoding="utf-8")
    return parse_declaration(text_ + SOURCES + extra, name="policy/shop.yaml")


def rows(engine: Engine, table: str) -> list[dict[str, Any]]:
    found = Table(table, MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(found).order_by(found.c.id))]
