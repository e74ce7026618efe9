"""Post-commit hooks: run after the outermost commit only, dropped with what rolls back."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from privacyops.db import Database
from privacyops.vault import hooks


def _outcomes(log: list[str], name: str) -> dict[str, hooks.Action]:
    return {
        "on_commit": lambda: log.append(f"{name} committed"),
        "on_rollback": lambda: log.append(f"{name} rolled back"),
    }


def test_an_action_runs_once_after_the_commit(db: Database) -> None:
    log: list[str] = []
    with db.unit_of_work() as session:
        session.execute(text("SELECT 1"))
        hooks.on_outcome(session, **_outcomes(log, "a"))
        assert log == []
        session.commit()
        assert log == ["a committed"]
        session.execute(text("SELECT 1"))
    assert log == ["a committed"]


def test_an_action_is_dropped_when_the_transaction_rolls_back(db: Database) -> None:
    log: list[str] = []

    def register_then_fail() -> None:
        with db.unit_of_work() as session:
            session.execute(text("SELECT 1"))
            hooks.on_outcome(session, **_outcomes(log, "a"))
            raise RuntimeError

    with pytest.raises(RuntimeError):
        register_then_fail()
    assert log == ["a rolled back"]


def test_a_released_savepoint_waits_for_the_outer_commit_and_a_rolled_back_one_drops_its_own(
    db: Database,
) -> None:
    log: list[str] = []
    with db.unit_of_work() as session:
        session.execute(text("SELECT 1"))
        hooks.on_outcome(session, **_outcomes(log, "outer"))
        with session.begin_nested():
            hooks.on_outcome(session, **_outcomes(log, "released"))
        assert log == []
        savepoint = session.begin_nested()
        hooks.on_outcome(session, **_outcomes(log, "inner"))
        savepoint.rollback()
        assert log == ["inner rolled back"]
    assert log == ["inner rolled back", "outer committed", "released committed"]


def test_registering_outside_a_transaction_is_refused(db: Database) -> None:
    session = db.sessions()
    try:
        with pytest.raises(RuntimeError, match="no transaction"):
            hooks.after_commit(session, lambda: None)
    finally:
        session.close()
