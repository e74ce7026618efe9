"""A crash between a table's external commit and its record here: the rerun erases nothing a
second time (a hash is not hashed again), counts what the first run erased, and the request is
not reported done before every table is; on PostgreSQL (or SQLite) and MariaDB."""

from __future__ import annotations

import re

import pytest
from tests.rights.support import ALICE, BOB, World
from tests.sources import shop
from tests.sources.conftest import External

from privacyops.sources import erasure
from privacyops.sources.models import SourceErasure, SourceErasureIntent


@pytest.fixture
def shop_world(world: World, external: External, monkeypatch: pytest.MonkeyPatch) -> World:
    shop.create(external.engine)
    monkeypatch.setenv("SHOP_DATABASE_URL", external.url)
    world.declaration = shop.declaration(world)
    return world


class CrashError(RuntimeError):
    pass


def _records(world: World, request_id: str) -> tuple[set[str], dict[str, int]]:
    with world.db.unit_of_work() as session:
        done = {
            r.table_label
            for r in session.query(SourceErasure).filter_by(request_id=request_id).all()
        }
        intents = {
            r.table_label: len(r.rows)
            for r in session.query(SourceErasureIntent).filter_by(request_id=request_id).all()
        }
    return done, intents


@pytest.mark.parametrize(
    ("crashed", "erased"), [("shop.orders", 2), ("shop.customer", 1), ("shop.reviews", 1)]
)
def test_a_crash_after_the_external_commit_erases_nothing_twice(
    shop_world: World,
    external: External,
    monkeypatch: pytest.MonkeyPatch,
    crashed: str,
    erased: int,
) -> None:
    alice = shop_world.subject(ALICE, phone=shop.ALICE_PHONE)
    shop_world.subject(BOB)
    request_id = shop_world.request(alice, "deletion")
    before = {t: shop.rows(external.engine, t) for t in shop.TABLES}

    def crash(label: str) -> None:
        if label == crashed:
            raise CrashError(f"killed after {label} committed")

    monkeypatch.setattr(erasure, "fault_point", crash)
    first = shop_world.execute(request_id)

    assert not first.completed
    assert first.failed_step == "external_sources"
    done, intents = _records(shop_world, request_id)
    assert crashed not in done  # committed there, not recorded here
    assert intents == {crashed: erased}
    then = {t: shop.rows(external.engine, t) for t in shop.TABLES}
    name = crashed.removeprefix("shop.")
    assert then[name] != before[name]  # the external commit happened

    monkeypatch.setattr(erasure, "fault_point", lambda _label: None)
    second = shop_world.execute(request_id)

    assert second.completed, second
    after = {t: shop.rows(external.engine, t) for t in shop.TABLES}
    assert after[name] == then[name]  # not erased a second time: a hash is not hashed again
    tables = {t["table"]: t for t in second.outcome["external_tables"]}
    assert tables[crashed]["erased"] == erased  # what the interrupted run erased
    assert {t: tables[t]["erased"] for t in tables} == {
        "shop.order_lines": 2,
        "shop.reviews": 1,
        "shop.orders": 2,
        "shop.newsletter": 1,
        "shop.customer": 1,
    }
    alice_row, bob_row = after["customer"]
    assert re.fullmatch(r"h[0-9a-f-]*@[a-z.]+invalid", alice_row["email"]), alice_row["email"]
    assert bob_row == before["customer"][1]
    assert _records(shop_world, request_id) == (set(tables), {})


def test_the_rerun_gives_the_values_one_uninterrupted_erasure_gives(
    shop_world: World, external: External, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The intent is committed, the external transaction is not: the rerun erases the rows."""
    alice = shop_world.subject(ALICE, phone=shop.ALICE_PHONE)
    request_id = shop_world.request(alice, "deletion")
    real = erasure._update
    seen: list[str] = []

    def fail_after_intent(*args: object, **kw: object) -> int:
        changed = real(*args, **kw)  # type: ignore[arg-type]
        found = args[3]
        seen.append(found.label)  # type: ignore[attr-defined]
        if found.label == "shop.orders":  # type: ignore[attr-defined]
            raise CrashError("the update did not commit")
        return changed

    monkeypatch.setattr(erasure, "_update", fail_after_intent)
    first = shop_world.execute(request_id)
    assert not first.completed
    assert shop.rows(external.engine, "orders")[0]["ship_phone"] == shop.ALICE_PHONE  # rolled back
    assert _records(shop_world, request_id)[1] == {"shop.orders": 2}

    monkeypatch.setattr(erasure, "_update", real)
    second = shop_world.execute(request_id)
    assert second.completed, second
    orders = {o["id"]: o for o in shop.rows(external.engine, "orders")}
    assert orders[10]["ship_phone"] != shop.ALICE_PHONE
    assert orders[10]["ship_phone"] == orders[11]["ship_phone"]
    assert orders[10]["ship_name"] == orders[11]["ship_name"] != "Alice Zhang"
    tables = {t["table"]: t for t in second.outcome["external_tables"]}
    assert tables["shop.orders"]["erased"] == 2
