"""Deletion: shred, purge, keep what the law requires (and say so), survive a crash."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.rights.support import ACTOR, ALICE, BOB, World, store

from privacyops.audit import service as audit
from privacyops.audit.models import AuditEvent
from privacyops.db import utcnow
from privacyops.policy.retention import add_years
from privacyops.rights import executors
from privacyops.rights.executors import deletion
from privacyops.rights.executors.models import RetainedData
from privacyops.rights.models import RequestStep, RightsRequest
from privacyops.subjects import records
from privacyops.subjects.models import Identity, Subject
from privacyops.vault.models import SubjectKey

LAW = "PRC Civil Code art. 188 / 《民法典》第一百八十八条"


class Crash(BaseException):
    """The process dies: nothing after the last commit survives (not an Exception)."""


def _customer_with_contract(world: World, email: str) -> str:
    """Contact data (deleted on request) and key-account data (kept 3 years by law)."""
    subject_id = world.subject(email)
    now = utcnow()
    with world.db.unit_of_work() as session:
        for i in range(3):
            collected = now - timedelta(days=100 * i + 1)
            store(
                session,
                world.vault,
                subject_id,
                "key_account",
                {
                    "company_name": f"Shop {i}",
                    "contact_name": "Zhang",
                    "order_reference": f"PO-{i}",
                },
                purpose="order_cooperation",
                collected_at=collected,
                expires_at=add_years(collected, 3),
            )
        old = now - timedelta(days=4 * 366)  # its legal period is over: not kept
        store(
            session,
            world.vault,
            subject_id,
            "key_account",
            {"company_name": "Old shop", "contact_name": "Zhang"},
            purpose="order_cooperation",
            collected_at=old,
            expires_at=add_years(old, 3),
        )
    return subject_id


def test_deletion_shreds_purges_and_proves_it(world: World) -> None:
    alice = world.subject(ALICE, phone="13812345678")
    bob = world.subject(BOB)
    request_id = world.request(alice, "deletion")

    report = world.execute(request_id)

    assert report.completed
    with world.db.unit_of_work() as session:
        subject = session.get_one(Subject, alice)
        assert subject.state == "erased"
        key = session.get_one(SubjectKey, alice)
        assert key.wrapped_key is None
        assert key.destroyed_at is not None
        assert session.scalar(select(func.count()).where(Identity.subject_id == alice)) == 0
        proof = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "rights.erasure_proof")
        ).one()
        assert proof.target_id == request_id
        assert proof.details["erased_categories"] == [{"category": "contact", "records": 3}]
        assert audit.verify(session=session).ok
    assert world.records_of(alice) == 0
    assert world.values_of(bob)["email"] == BOB  # the other subject is untouched
    assert report.outcome["kept"] == []
    assert report.outcome["records_kept"] == deletion.RECORDS_KEPT


def test_legally_retained_data_survives_deletion_and_is_reported(world: World) -> None:
    alice = _customer_with_contract(world, ALICE)
    request_id = world.request(alice, "deletion")

    report = world.execute(request_id)

    assert report.completed
    [kept] = report.outcome["kept"]
    assert kept["category"] == "key_account"
    assert kept["label_zh"] == "大客户合作信息"
    assert kept["law"] == LAW
    assert kept["records"] == 9
    assert kept["where"] == "vault"
    with world.db.unit_of_work() as session:
        line = session.scalars(select(RetainedData)).one()
        holder = session.get_one(Subject, line.holder_subject_id)
        assert holder.state == "restricted"
        assert holder.id != alice
        assert session.scalar(select(func.count()).where(Identity.subject_id == holder.id)) == 0
        assert line.retained_until is not None
        assert kept["until"] == line.retained_until.isoformat()
        assert line.retained_until > utcnow() + timedelta(days=2 * 365)
        retained = list(
            records.iter_values(
                session=session, vault=world.vault, subject_id=holder.id, reveal=True
            )
        )
    assert sorted(v.value for v in retained if v.field == "order_reference") == [
        "PO-0",
        "PO-1",
        "PO-2",
    ]
    assert {v.purpose for v in retained} == {"legal_obligations"}
    assert "Old shop" not in {v.value for v in retained}  # past its legal period
    assert world.records_of(alice) == 0  # the person's own rows are gone


def test_retained_data_is_erased_when_its_period_ends(world: World) -> None:
    alice = _customer_with_contract(world, ALICE)
    world.execute(world.request(alice, "deletion"))
    with world.db.unit_of_work() as session:
        line = session.scalars(select(RetainedData)).one()
        assert line.retained_until is not None
        holder, until = line.holder_subject_id, line.retained_until
        assert (
            executors.release_expired_retention(
                session=session, vault=world.vault, actor=ACTOR, now=until - timedelta(days=1)
            )
            == 0
        )
        assert (
            executors.release_expired_retention(
                session=session, vault=world.vault, actor=ACTOR, now=until + timedelta(seconds=1)
            )
            == 1
        )
    with world.db.unit_of_work() as session:
        assert session.get_one(Subject, holder).state == "erased"
        assert session.scalars(select(RetainedData.released_at)).one() is not None


def _end_state(world: World, request_id: str) -> dict[str, Any]:
    """What one erasure leaves behind, with ids and times taken out."""
    with world.db.unit_of_work() as session:
        request = session.get_one(RightsRequest, request_id)
        subject = session.get_one(Subject, request.subject_id)
        lines = session.scalars(select(RetainedData).where(RetainedData.request_id == request_id))
        retained = [(x.category, x.law, x.records, x.source) for x in lines]
        holder_rows = sum(
            world.records_of(x.holder_subject_id)
            for x in session.scalars(
                select(RetainedData).where(RetainedData.request_id == request_id)
            )
            if x.holder_subject_id
        )
        steps = [
            (s.name, s.status)
            for s in session.scalars(
                select(RequestStep)
                .where(RequestStep.request_id == request_id)
                .order_by(RequestStep.position)
            )
        ]
        outcome = dict(request.facts["outcome"])
        for volatile in ("erased_at", "audit_event_id", "audit_leaf_hash"):
            outcome.pop(volatile, None)
        for item in outcome.get("kept", []):
            item.pop("until", None)
        return {
            "status": request.status,
            "subject": subject.state,
            "records": world.records_of(subject.id),
            "identities": session.scalar(
                select(func.count()).where(Identity.subject_id == subject.id)
            ),
            "key": session.get_one(SubjectKey, subject.id).wrapped_key,
            "retained": retained,
            "holder_rows": holder_rows,
            "steps": steps,
            "outcome": outcome,
        }


@pytest.mark.parametrize("crash_in", ["retain_legal", "shred", "purge"])
def test_a_crash_in_the_middle_of_a_deletion_then_a_rerun_ends_like_one_clean_run(
    world: World, monkeypatch: pytest.MonkeyPatch, crash_in: str
) -> None:
    monkeypatch.setattr(deletion, "PURGE_BATCH", 4)  # several committed purge batches
    clean = world.request(_customer_with_contract(world, BOB), "deletion")
    assert world.execute(clean).completed
    crashing = world.request(_customer_with_contract(world, ALICE), "deletion")

    plan = executors.PLANS["deletion"]
    crashed_once: list[str] = []

    def crash_after(step: executors.StepSpec) -> executors.StepSpec:
        def run(ctx: Any) -> dict[str, Any]:
            result = step.run(ctx)  # the work is done, not yet committed...
            if not crashed_once:
                crashed_once.append(step.name)
                raise Crash  # ...and the process dies
            return result

        return executors.StepSpec(step.name, run, step.atomic)

    def crash_mid_purge(ctx: Any) -> dict[str, Any]:
        real = records.purge_records
        batches = 0

        def purge_then_die(**kwargs: Any) -> int:
            nonlocal batches
            batches += 1
            if batches == 3 and not crashed_once:
                crashed_once.append("purge")
                raise Crash  # two batches were committed by the step's checkpoints
            return real(**kwargs)

        monkeypatch.setattr(records, "purge_records", purge_then_die)
        try:
            return deletion.purge(ctx)
        finally:
            monkeypatch.setattr(records, "purge_records", real)

    steps = tuple(
        (
            executors.StepSpec(s.name, crash_mid_purge, s.atomic)
            if crash_in == "purge"
            else crash_after(s)
        )
        if s.name == crash_in
        else s
        for s in plan.steps
    )
    monkeypatch.setitem(executors.PLANS, "deletion", executors.Plan(steps, plan.outcome))
    with pytest.raises(Crash):
        world.execute(crashing)
    assert crashed_once == [crash_in]
    with world.db.unit_of_work() as session:
        statuses = dict(
            session.execute(
                select(RequestStep.name, RequestStep.status).where(
                    RequestStep.request_id == crashing
                )
            ).all()
        )
        assert statuses[crash_in] == "pending"  # not done: its transaction never committed
    if crash_in == "purge":
        assert 0 < world.records_of(_subject_of(world, crashing)) < 15

    report = world.execute(crashing)  # the rerun, with the same (crash-free from now on) plan

    assert report.completed
    assert _end_state(world, crashing) == _end_state(world, clean)


def _subject_of(world: World, request_id: str) -> str:
    with world.db.unit_of_work() as session:
        return session.get_one(RightsRequest, request_id).subject_id


def test_a_failed_deletion_step_is_visible_and_the_rerun_finishes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = world.subject(ALICE)
    request_id = world.request(alice, "deletion")
    real = deletion.download.remove_package_files

    def broken(**kwargs: Any) -> int:
        raise OSError("disk unavailable")

    monkeypatch.setattr(deletion.download, "remove_package_files", broken)
    failed = world.execute(request_id)
    assert failed.status == "in_progress"
    assert failed.failed_step == "remove_packages"
    assert failed.error == "OSError: disk unavailable"
    with world.db.unit_of_work() as session:
        assert session.get_one(Subject, alice).state == "active"  # not shredded yet
    monkeypatch.setattr(deletion.download, "remove_package_files", real)
    assert world.execute(request_id).completed
    assert world.records_of(alice) == 0
