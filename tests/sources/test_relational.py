"""Access and erasure through references (customer <- orders <- order_lines), the same on
PostgreSQL (or its SQLite stand-in) and MariaDB."""

from __future__ import annotations

import re

import pytest
from tests.rights.support import ALICE, BOB, World, json_of, unzip
from tests.sources import shop
from tests.sources.conftest import External

from privacyops.db import utcnow
from privacyops.rights import connectors
from privacyops.sources import erasure
from privacyops.sources.models import SourceErasure


@pytest.fixture
def shop_world(world: World, external: External, monkeypatch: pytest.MonkeyPatch) -> World:
    shop.create(external.engine)
    monkeypatch.setenv("SHOP_DATABASE_URL", external.url)
    world.declaration = shop.declaration(world)
    return world


def test_access_collects_every_reachable_row_per_table(
    shop_world: World, external: External
) -> None:
    alice = shop_world.subject(ALICE, phone=shop.ALICE_PHONE)
    shop_world.subject(BOB)
    report = shop_world.execute(shop_world.request(alice, "access"))

    assert report.download_token is not None, report
    files = unzip(shop_world.download(report.download_token))
    [customer] = json_of(files, "external/shop/customer.json")
    assert customer["name"] == "Alice Zhang"
    orders = json_of(files, "external/shop/orders.json")
    assert sorted(o["amount"] for o in orders) == ["12.50", "30.00", "99.00"]
    lines = json_of(files, "external/shop/order_lines.json")
    assert sorted(line["product"] for line in lines) == ["dimmer", "hub", "smart plug"]
    assert json_of(files, "external/shop/reviews.json") == [{"body": "works well"}]
    assert json_of(files, "external/shop/newsletter.json") == [
        {"email": ALICE.lower(), "lang": "zh-CN"}
    ]
    everything = b"".join(files.values())
    assert b"Bob Li" not in everything
    assert b"fragile" not in everything
    manifest = json_of(files, "manifest.json")
    counts = {s["name"]: s["records"] for s in manifest["sections"]}
    assert {k: v for k, v in counts.items() if k.startswith("external/")} == {
        "external/shop/customer": 1,
        "external/shop/newsletter": 1,
        "external/shop/orders": 3,
        "external/shop/reviews": 1,
        "external/shop/order_lines": 3,
    }


def test_erasure_applies_each_strategy_children_first_and_keeps_recent_orders(
    shop_world: World, external: External
) -> None:
    alice = shop_world.subject(ALICE, phone=shop.ALICE_PHONE)
    shop_world.subject(BOB)
    engine = external.engine
    before = {t: shop.rows(engine, t) for t in shop.TABLES}

    report = shop_world.execute(shop_world.request(alice, "deletion"))

    assert report.completed, report
    after = {t: shop.rows(engine, t) for t in shop.TABLES}
    alice_row, bob_row = after["customer"]
    assert bob_row == before["customer"][1]
    assert re.fullmatch(r"h[0-9a-f-]*@[a-z.]+invalid", alice_row["email"]), alice_row["email"]
    assert alice_row["name"] == "[erased]"  # a fixed value
    assert alice_row["phone"] is None
    orders = {o["id"]: o for o in after["orders"]}
    old = {o["id"]: o for o in before["orders"]}
    for order_id in (10, 11):  # outside the legal period: erased
        assert orders[order_id]["ship_name"] == "[erased]"
        assert orders[order_id]["ship_phone"] != shop.ALICE_PHONE
        assert len(orders[order_id]["ship_phone"]) == len(shop.ALICE_PHONE)
        assert orders[order_id]["amount"] == old[order_id]["amount"]
    assert orders[10]["ship_phone"] == orders[11]["ship_phone"]  # a hash: equal stays equal
    assert orders[12] == old[12]  # inside the legal period: kept as it is
    assert orders[20] == old[20]  # Bob's
    lines = {line["id"]: line for line in after["order_lines"]}
    assert lines[100]["gift_note"] is None
    assert lines[100]["product"] == "smart plug"
    assert lines[102]["gift_note"] == "happy birthday"  # reached through the kept order: kept
    assert lines[200]["gift_note"] == "fragile"
    assert [r["id"] for r in after["reviews"]] == [2]
    assert [r["email"] for r in after["newsletter"]] == [BOB]

    tables = {t["table"]: t for t in report.outcome["external_tables"]}
    assert tables["shop.orders"] == {
        "table": "shop.orders",
        "category": "key_account",
        "erased": 2,
        "kept": 1,
    }
    assert tables["shop.order_lines"]["erased"] == 2
    assert tables["shop.order_lines"]["kept"] == 1
    assert tables["shop.reviews"]["erased"] == 1
    [kept] = [k for k in report.outcome["kept"] if k["where"] == "external:shop.orders"]
    assert kept["records"] == 1
    assert kept["until"].startswith(str(shop.RECENT.year + 3))


def test_a_rerun_continues_from_the_failed_table(
    shop_world: World, external: External, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = shop_world.subject(ALICE, phone=shop.ALICE_PHONE)
    request_id = shop_world.request(alice, "deletion")
    real = erasure.erase_table
    applied: list[str] = []

    def fail_on_customer(connector: connectors.Connector, found: object, **kw: object) -> object:
        label = found.label  # type: ignore[attr-defined]
        if label == "shop.customer":
            raise connectors.ConnectorError("shop.customer: the database cannot be reached")
        applied.append(label)
        return real(connector, found, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(erasure, "erase_table", fail_on_customer)
    first = shop_world.execute(request_id)
    assert not first.completed
    assert first.failed_step == "external_sources"
    assert first.error is not None
    assert "shop.customer: the database cannot be reached" in first.error
    assert applied == ["shop.order_lines", "shop.reviews", "shop.orders", "shop.newsletter"]
    with shop_world.db.unit_of_work() as session:
        done = session.query(SourceErasure).filter_by(request_id=request_id).all()
        assert sorted(r.table_label for r in done) == sorted(applied)
    orders_then = shop.rows(external.engine, "orders")
    assert shop.rows(external.engine, "customer")[0]["name"] == "Alice Zhang"  # untouched

    monkeypatch.setattr(erasure, "erase_table", real)
    second = shop_world.execute(request_id)
    assert second.completed, second
    assert shop.rows(external.engine, "orders") == orders_then  # not erased a second time
    assert shop.rows(external.engine, "customer")[0]["name"] == "[erased]"
    tables = {t["table"]: t for t in second.outcome["external_tables"]}
    assert tables["shop.orders"]["erased"] == 2  # from the first run's record
    assert tables["shop.customer"]["erased"] == 1


def test_the_dry_run_shows_what_would_change_and_changes_nothing(
    shop_world: World, external: External
) -> None:
    alice = shop_world.subject(ALICE, phone=shop.ALICE_PHONE)
    before = {t: shop.rows(external.engine, t) for t in shop.TABLES}
    with shop_world.db.unit_of_work() as session:
        tables = connectors.dry_run(
            session=session,
            vault=shop_world.vault,
            settings=shop_world.settings,
            declaration=shop_world.declaration,
            subject_id=alice,
            now=utcnow(),
        )
    assert [t["table"] for t in tables] == [
        "shop.order_lines",
        "shop.reviews",
        "shop.orders",
        "shop.newsletter",
        "shop.customer",
    ]
    by = {t["table"]: t for t in tables}
    assert by["shop.orders"]["rows"] == 2
    assert by["shop.orders"]["kept"] == 1
    assert by["shop.orders"]["fields"] == [
        {"field": "ship_name", "strategy": "mask"},
        {"field": "ship_phone", "strategy": "hash"},
    ]
    assert by["shop.reviews"] == {**by["shop.reviews"], "action": "delete_row", "rows": 1}
    assert by["shop.customer"]["fields"] == [
        {"field": "email", "strategy": "hash"},
        {"field": "name", "strategy": "fixed"},
        {"field": "phone", "strategy": "null"},
    ]
    assert {t: shop.rows(external.engine, t) for t in shop.TABLES} == before
