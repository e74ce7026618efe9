"""Sweeps remove what expired, keep what a hold covers, anonymise where told, and resume."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select
from tests.retention.support import ACTOR, count, person, plant, remaining

from privacyops.audit import service as audit
from privacyops.audit.models import AuditEvent
from privacyops.db import Database, utcnow
from privacyops.policy.schema import Declaration
from privacyops.retention import service
from privacyops.retention.models import AnonymousCount, SweepReport
from privacyops.subjects.models import PersonalRecord
from privacyops.vault.service import Vault


def _sweep(db: Database, declaration: Declaration, **options: object) -> SweepReport:
    with db.unit_of_work() as session:
        service.close_interrupted(session=session)
    with db.unit_of_work() as session:
        return service.sweep(
            session=session,
            declaration=declaration,
            actor=ACTOR,
            checkpoint=session.commit,
            **options,  # type: ignore[arg-type]
        )


def test_expired_rows_go_and_held_rows_stay(
    db: Database, vault: Vault, declaration: Declaration
) -> None:
    held_person, free_person = person(db), person(db)
    held_rows = plant(db, vault, held_person, "support", {"message": "old ticket"})
    gone = plant(db, vault, free_person, "support", {"message": "old ticket", "subject": "x"})
    category_held = plant(db, vault, free_person, "ip_address", {"ip_address": "10.0.0.1"})
    fresh = plant(
        db, vault, free_person, "support", {"message": "new"}, expires_in=timedelta(days=30)
    )
    with db.unit_of_work() as session:
        service.create_hold(
            session=session,
            declaration=declaration,
            actor=ACTOR,
            reason="litigation",
            law="PRC Civil Procedure Law",
            subject_id=held_person,
        )
        service.create_hold(
            session=session,
            declaration=declaration,
            actor=ACTOR,
            reason="regulator inquiry",
            law="CSL art. 21",
            category="ip_address",
        )

    report = _sweep(db, declaration)

    assert remaining(db) == set(held_rows + category_held + fresh)
    assert not set(gone) & remaining(db)
    assert report.status == "done"
    assert (report.deleted, report.held) == (2, 2)
    assert report.lines["support"]["deleted"] == 2
    assert report.lines["support"]["held"] == 1
    assert report.lines["support"]["rule"].startswith("fixed: 365 days")
    assert report.lines["ip_address"] == {
        "rule": report.lines["ip_address"]["rule"],
        "action": "delete",
        "deleted": 0,
        "anonymized": 0,
        "held": 1,
    }
    with db.unit_of_work() as session:
        actions = list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.like("retention.%"))
                .order_by(AuditEvent.id)
            )
        )
        assert actions.count("retention.batch_swept") == 1
        assert actions[-1] == "retention.swept"
        assert audit.verify(session=session).ok

    assert _sweep(db, declaration).deleted == 0  # idempotent


def test_moving_the_clock_expires_rows_and_ends_holds(
    db: Database, vault: Vault, declaration: Declaration
) -> None:
    someone = person(db)
    rows = plant(
        db,
        vault,
        someone,
        "support",
        {"message": "m"},
        expires_in=timedelta(days=5),
        age=timedelta(days=1),
    )
    with db.unit_of_work() as session:
        hold = service.create_hold(
            session=session,
            declaration=declaration,
            actor=ACTOR,
            reason="audit",
            law="internal audit",
            subject_id=someone,
            category="support",
            ends_at=utcnow() + timedelta(days=10),
        )
    assert _sweep(db, declaration).deleted == 0
    with time_machine.travel(utcnow() + timedelta(days=6), tick=False):
        report = _sweep(db, declaration)
        assert (report.deleted, report.held) == (0, 1)  # expired, but held
        with db.unit_of_work() as session:
            assert [h.id for h in service.active_holds(session=session, now=utcnow())] == [hold.id]
    with time_machine.travel(utcnow() + timedelta(days=11), tick=False):
        assert _sweep(db, declaration).deleted == 1  # the hold ended
    assert not set(rows) & remaining(db)


def test_a_lifted_hold_lets_the_sweep_take_the_rows(
    db: Database, vault: Vault, declaration: Declaration
) -> None:
    someone = person(db)
    plant(db, vault, someone, "support", {"message": "m"})
    with db.unit_of_work() as session:
        hold = service.create_hold(
            session=session,
            declaration=declaration,
            actor=ACTOR,
            reason="r",
            law="l",
            subject_id=someone,
        )
    assert _sweep(db, declaration).held == 1
    with db.unit_of_work() as session:
        service.lift_hold(session=session, hold_id=hold.id, actor=ACTOR)
    assert _sweep(db, declaration).deleted == 1
    assert count(db) == 0


def test_anonymised_rows_keep_no_personal_value(
    db: Database, vault: Vault, declaration: Declaration
) -> None:
    people = [person(db) for _ in range(3)]
    for n, someone in enumerate(people):
        plant(
            db,
            vault,
            someone,
            "log_behavior",
            {"page_or_screen": f"/secret-path-{n}", "event": "click"},
            purpose="product_analytics",
        )
    kept = plant(db, vault, people[0], "support", {"message": "deleted, not counted"})

    report = _sweep(db, declaration, actions={"log_behavior": "anonymize"})

    assert (report.anonymized, report.deleted) == (6, 1)
    assert count(db, "log_behavior") == 0
    assert not set(kept) & remaining(db)
    with db.unit_of_work() as session:
        counts = session.scalars(select(AnonymousCount)).all()
        rows = {(c.category, c.field, c.purpose, c.region, c.count) for c in counts}
        flat = " ".join(f"{c.category} {c.field} {c.purpose} {c.region} {c.month}" for c in counts)
    assert rows == {
        ("log_behavior", "page_or_screen", "product_analytics", "cn", 3),
        ("log_behavior", "event", "product_analytics", "cn", 3),
    }
    assert "secret-path" not in flat
    assert not any(someone in flat for someone in people)
    assert {c.month for c in counts} == {(utcnow() - timedelta(days=400)).strftime("%Y-%m")}


def test_a_sweep_killed_mid_way_and_rerun_ends_like_one_run(
    db: Database, vault: Vault, declaration: Declaration
) -> None:
    held_person = person(db)
    for n in range(12):
        someone = person(db)
        plant(db, vault, someone, "support", {"message": f"m{n}", "subject": "s"})
        plant(
            db,
            vault,
            someone,
            "log_behavior",
            {"page_or_screen": "/p"},
            purpose="product_analytics",
        )
    held = plant(db, vault, held_person, "support", {"message": "kept"})
    fresh = plant(
        db,
        vault,
        held_person,
        "log_behavior",
        {"page_or_screen": "/q"},
        expires_in=timedelta(days=9),
    )
    with db.unit_of_work() as session:
        service.create_hold(
            session=session,
            declaration=declaration,
            actor=ACTOR,
            reason="r",
            law="l",
            subject_id=held_person,
        )
    actions = {"log_behavior": "anonymize"}
    batches = 0

    def crash(_category: str, _count: int) -> None:
        nonlocal batches
        batches += 1
        if batches == 3:
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        _sweep(db, declaration, batch=5, actions=actions, on_batch=crash)
    with db.unit_of_work() as session:
        [interrupted] = session.scalars(select(SweepReport)).all()
        assert (interrupted.status, interrupted.batches) == ("running", 2)
        assert interrupted.deleted + interrupted.anonymized == 10
    assert count(db) == 12 * 3 + 2 - 10  # two committed batches, the third rolled back

    report = _sweep(db, declaration, batch=5, actions=actions)

    assert remaining(db) == set(held + fresh)
    with db.unit_of_work() as session:
        statuses = [r.status for r in session.scalars(select(SweepReport).order_by(SweepReport.id))]
        [anonymous] = session.scalars(select(AnonymousCount)).all()
        assert audit.verify(session=session).ok
    assert statuses == ["interrupted", "done"]
    assert anonymous.count == 12  # each anonymised row counted exactly once
    assert interrupted.deleted + report.deleted == 24
    assert interrupted.anonymized + report.anonymized == 12


def test_the_preview_changes_nothing(db: Database, vault: Vault, declaration: Declaration) -> None:
    someone = person(db)
    plant(db, vault, someone, "support", {"message": "m"})
    before = remaining(db)
    with db.unit_of_work() as session:
        [line] = service.preview(session=session, declaration=declaration)
        assert session.scalar(select(SweepReport.id)) is None
    assert (line.category, line.expired, line.held, line.due, line.action) == (
        "support",
        1,
        0,
        1,
        "delete",
    )
    assert remaining(db) == before


def test_upcoming_counts_per_category(db: Database, vault: Vault, declaration: Declaration) -> None:
    someone = person(db)
    plant(db, vault, someone, "support", {"message": "m"}, expires_in=timedelta(days=3))
    plant(db, vault, someone, "support", {"message": "m"}, expires_in=timedelta(days=20))
    plant(db, vault, someone, "account", {"email": "a@example.com"}, expires_in=None)
    with db.unit_of_work() as session:
        rows = {u.category: u for u in service.upcoming(session=session, declaration=declaration)}
    assert (rows["support"].within_7, rows["support"].within_30, rows["support"].total) == (1, 2, 2)
    assert rows["account"].open_ended == 1
    assert rows["orders"].total == 0  # every declared category is listed
    assert set(rows) >= {c.key for c in declaration.categories}


def test_only_records_past_the_cutoff_go(
    db: Database, vault: Vault, declaration: Declaration
) -> None:
    someone = person(db)
    plant(db, vault, someone, "support", {"message": "m"}, expires_in=timedelta(hours=1))
    with db.unit_of_work() as session:
        expiry = session.scalars(select(PersonalRecord.expires_at)).one()
    assert expiry is not None
    assert _sweep(db, declaration, now=expiry - timedelta(seconds=1)).deleted == 0
    assert _sweep(db, declaration, now=expiry).deleted == 1
