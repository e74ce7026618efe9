"""An unreachable database, a wrong column, a source that times out: the step stops with a
message, nothing half-erased is reported done, and a rerun continues from the failed table."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import text
from tests.rights.support import ALICE, World
from tests.sources import shop
from tests.sources.conftest import External

from privacyops.policy.loader import parse_declaration
from privacyops.sources import health
from privacyops.sources.models import SourceErasure


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.parametrize("scheme", ["postgresql+psycopg://postgres", "mysql+pymysql://root"])
def test_an_unreachable_database_stops_the_step_with_a_message(
    world: World, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    monkeypatch.setenv("SHOP_DATABASE_URL", f"{scheme}@127.0.0.1:{_free_port()}/shop")
    world.declaration = shop.declaration(world)
    alice = world.subject(ALICE)
    report = world.execute(world.request(alice, "deletion"))
    assert not report.completed
    assert report.failed_step == "external_sources"
    assert report.error == "ConnectorError: shop: the database cannot be reached"
    with world.db.unit_of_work() as session:
        [status] = health.overview(session=session, declaration=world.declaration)
    assert status.last_error == report.error


def test_a_wrong_column_name_changes_nothing(
    world: World, external: External, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.create(external.engine)
    monkeypatch.setenv("SHOP_DATABASE_URL", external.url)
    world.declaration = shop.declaration(world)
    wrong = shop.SOURCES.replace("{name: body, type: text", "{name: bdoy, type: text")
    text_ = world.settings.policy.read_text(encoding="utf-8")
    world.declaration = parse_declaration(text_ + wrong, name="policy/shop.yaml")
    before = {t: shop.rows(external.engine, t) for t in shop.TABLES}
    alice = world.subject(ALICE)
    report = world.execute(world.request(alice, "deletion"))
    assert report.error == "ConnectorError: shop.reviews: no column 'bdoy'"
    assert {t: shop.rows(external.engine, t) for t in shop.TABLES} == before


def test_a_source_that_times_out_stops_and_the_rerun_continues(
    world: World, external: External, monkeypatch: pytest.MonkeyPatch
) -> None:
    if external.kind == "sqlite":
        pytest.skip("the SQLite stand-in has no row locks to wait on")
    shop.create(external.engine)
    monkeypatch.setenv("SHOP_DATABASE_URL", external.url)
    text_ = world.settings.policy.read_text(encoding="utf-8")
    world.declaration = parse_declaration(
        text_ + shop.SOURCES.replace("timeout_seconds: 5", "timeout_seconds: 1"),
        name="policy/shop.yaml",
    )
    alice = world.subject(ALICE, phone=shop.ALICE_PHONE)
    request_id = world.request(alice, "deletion")
    with external.engine.connect() as holder:
        holder.execute(text("SELECT id FROM customer WHERE id = 1 FOR UPDATE"))  # held
        first = world.execute(request_id)
        holder.rollback()
    assert not first.completed
    assert first.error == "ConnectorError: shop.customer: timed out (longer than 1 s)"
    with world.db.unit_of_work() as session:
        done = session.query(SourceErasure).filter_by(request_id=request_id).all()
        assert sorted(r.table_label for r in done) == [
            "shop.newsletter",
            "shop.order_lines",
            "shop.orders",
            "shop.reviews",
        ]
    assert shop.rows(external.engine, "customer")[0]["name"] == "Alice Zhang"  # rolled back
    second = world.execute(request_id)
    assert second.completed, second
    assert shop.rows(external.engine, "customer")[0]["name"] == "[erased]"
