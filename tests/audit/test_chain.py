"""The audit log is a hash chain: edits, deletions, insertions and truncation are caught."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from privacyops.audit import service as audit
from privacyops.audit.models import AuditEvent, AuditHead
from privacyops.cli import app as cli
from privacyops.db import Database, utcnow
from privacyops.settings import Settings
from privacyops.staff.permissions import Role


@pytest.fixture
def chain(db: Database) -> Database:
    with db.unit_of_work() as session:
        for n in range(1, 6):
            audit.record(
                session=session,
                actor="staff:dana",
                action="request.updated",
                target_type="request",
                target_id=n,
                details={"status": "open"},
            )
    return db


def verify(db: Database) -> audit.Verification:
    with db.unit_of_work() as session:
        return audit.verify(session=session)


def test_an_untouched_chain_verifies(chain: Database) -> None:
    result = verify(chain)
    assert result.ok
    assert result.checked == 5


def test_an_edited_event_is_caught(chain: Database) -> None:
    with chain.engine.begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(actor="staff:mallory"))
    result = verify(chain)
    assert (result.ok, result.broken_seq) == (False, 3)
    assert "changed" in (result.problem or "")


def test_a_deleted_event_is_caught(chain: Database) -> None:
    with chain.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.seq == 2))
    result = verify(chain)
    assert (result.ok, result.broken_seq) == (False, 2)


def test_an_inserted_event_is_caught(chain: Database) -> None:
    with chain.engine.begin() as conn:
        last = conn.execute(select(AuditEvent).where(AuditEvent.seq == 5)).one()
        conn.execute(
            AuditEvent.__table__.insert().values(
                seq=6,
                occurred_at=utcnow(),
                actor="staff:mallory",
                action="forged",
                target_type="x",
                target_id="1",
                details={},
                prev_hash=last.hash,
                hash="f" * 64,
            )
        )
    result = verify(chain)
    assert (result.ok, result.broken_seq) == (False, 6)


def test_a_rehashed_forgery_is_caught_by_the_signed_head(chain: Database) -> None:
    with chain.engine.begin() as conn:
        last = conn.execute(select(AuditEvent).where(AuditEvent.seq == 5)).one()
        forged = AuditEvent(
            seq=6,
            occurred_at=utcnow(),
            actor="staff:mallory",
            action="forged",
            target_type="x",
            target_id="1",
            details={},
            prev_hash=last.hash,
        )
        forged.hash = audit.event_hash(forged)
        conn.execute(
            AuditEvent.__table__.insert().values(
                seq=6,
                occurred_at=forged.occurred_at,
                actor=forged.actor,
                action=forged.action,
                target_type="x",
                target_id="1",
                details={},
                prev_hash=last.hash,
                hash=forged.hash,
            )
        )
        conn.execute(update(AuditHead).values(seq=6, hash=forged.hash))
    result = verify(chain)
    assert not result.ok
    assert "signature" in (result.problem or "")


def test_a_truncated_tail_is_caught(chain: Database) -> None:
    with chain.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.seq >= 4))
    result = verify(chain)
    assert (result.ok, result.broken_seq) == (False, 4)


def test_details_may_not_carry_personal_values(db: Database) -> None:
    with db.unit_of_work() as session, pytest.raises(audit.AuditDetailsError):
        audit.record(
            session=session,
            actor="x",
            action="y",
            target_type="z",
            target_id=1,
            details={"email": "someone@example.com"},
        )


def test_the_cli_names_the_first_broken_link(
    chain: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:
            monkeypatch.setenv(f"PRIVACYOPS_{name.upper()}", str(value))
    runner = CliRunner()
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    with chain.engine.begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.seq == 4).values(action="edited"))
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "event 4" in result.output


def test_staff_changes_are_audited(
    staff_client: Callable[[Role], TestClient], db: Database
) -> None:
    admin = staff_client(Role.ADMIN)
    admin.post("/api/v1/staff", json={"username": "new", "role": "auditor", "password": "x" * 12})
    with db.unit_of_work() as session:
        actions = [e.action for e in audit.recent(session=session)]
    assert "staff.created" in actions
    assert "staff.login" in actions
