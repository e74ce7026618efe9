"""A pooled connection is pinged before use only after it sat idle: one the database dropped
while idle is replaced before a request sees it; one in steady use costs no extra round trip."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from tests.rights.support import ALICE, World
from tests.sources import shop
from tests.sources.conftest import External

from privacyops.sources import dialects


def _drop_other_connections(external: External) -> int:
    with external.engine.connect() as conn:
        if external.kind == "postgresql":
            return len(
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).all()
            )
        ids = conn.execute(
            text(
                "SELECT id FROM information_schema.processlist "
                "WHERE db = DATABASE() AND id <> CONNECTION_ID()"
            )
        ).all()
        for (number,) in ids:
            conn.execute(text(f"KILL {int(number)}"))
        return len(ids)


def test_a_connection_dropped_while_idle_is_replaced(
    world: World, external: External, monkeypatch: pytest.MonkeyPatch
) -> None:
    if external.kind == "sqlite":
        pytest.skip("a SQLite file has no server to drop a connection")
    shop.create(external.engine)
    monkeypatch.setenv("SHOP_DATABASE_URL", external.url)
    world.declaration = shop.declaration(world)
    alice = world.subject(ALICE, phone=shop.ALICE_PHONE)
    assert world.execute(world.request(alice, "access")).download_token is not None
    assert _drop_other_connections(external) >= 1  # the pooled connection is gone

    monkeypatch.setattr(dialects, "PING_AFTER_SECONDS", 0.0)
    report = world.execute(world.request(alice, "access"))
    assert report.download_token is not None, report


def test_a_connection_in_steady_use_is_not_pinged(
    world: World, external: External, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.create(external.engine)
    monkeypatch.setenv("SHOP_DATABASE_URL", external.url)
    world.declaration = shop.declaration(world)
    alice = world.subject(ALICE, phone=shop.ALICE_PHONE)
    assert world.execute(world.request(alice, "access")).download_token is not None
    engine = dialects.engine_for(external.url, timeout=5.0)
    pings: list[Any] = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda dbapi: pings.append(dbapi) or True)
    assert world.execute(world.request(alice, "access")).download_token is not None
    assert pings == []
    monkeypatch.setattr(dialects, "PING_AFTER_SECONDS", 0.0)
    assert world.execute(world.request(alice, "access")).download_token is not None
    assert len(pings) == 1
