"""The pool hands out live connections without a ping round trip per checkout (PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from privacyops.db import Database


@pytest.fixture
def pg(db: Database) -> Database:
    if not db.is_postgres:
        pytest.skip("SQLite has no server to close a connection")
    return db


def _backend(db: Database) -> int:
    with db.unit_of_work() as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_the_server_closed_is_replaced_at_checkout(pg: Database) -> None:
    db = Database(pg.url, secret="x" * 40)
    try:
        first = _backend(db)
        assert _backend(db) == first  # pooled: the same server process again
        with pg.engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            admin.commit()
        for _ in range(50):
            with pg.engine.connect() as admin:
                gone = not admin.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": first}
                ).scalar_one()
            if gone:
                break
        replaced = _backend(db)  # no error: the closed one was discarded, a new one opened
        assert replaced != first
    finally:
        db.dispose()
