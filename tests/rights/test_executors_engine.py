"""The step runner: verified requests only, recorded steps, visible failures, resumable reruns."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import insert, select
from tests.rights.support import ACTOR, ALICE, World

from privacyops.audit import service as audit
from privacyops.rights import executors
from privacyops.rights.executors import ExecutionError, Plan, StepSpec, engine
from privacyops.rights.executors.engine import StepContext
from privacyops.rights.models import RequestNote, RequestStep, RightsRequest


def _steps(world: World, request_id: str) -> list[tuple[str, str, int]]:
    with world.db.unit_of_work() as session:
        return [
            (s.name, s.status, s.attempts)
            for s in session.scalars(
                select(RequestStep)
                .where(RequestStep.request_id == request_id)
                .order_by(RequestStep.position)
            )
        ]


@pytest.mark.parametrize(
    ("status", "level", "code"),
    [
        ("pending_verification", "reasonable", "forbidden"),
        ("denied", "reasonable", "conflict"),
        ("expired", "none", "conflict"),
    ],
)
def test_an_unverified_or_closed_request_is_refused(
    world: World, status: str, level: str, code: str
) -> None:
    request_id = world.request(world.subject(ALICE), "restriction", status=status, level=level)
    with pytest.raises(ExecutionError) as refused:
        world.execute(request_id)
    assert refused.value.code == code
    assert _steps(world, request_id) == []


def test_a_request_that_needs_no_verification_runs_while_pending(world: World) -> None:
    request_id = world.request(
        world.subject(ALICE), "complaint", status="pending_verification", level="none"
    )
    assert world.execute(request_id).completed


def test_an_inquiry_has_no_executor(world: World) -> None:
    with pytest.raises(ExecutionError):
        world.execute(world.request(world.subject(ALICE), "inquiry"))


def test_steps_are_created_in_order_and_the_request_completes_with_facts(world: World) -> None:
    request_id = world.request(world.subject(ALICE), "deletion")
    report = world.execute(request_id)
    assert report.completed
    names = [s.name for s in executors.PLANS["deletion"].steps]
    assert _steps(world, request_id) == [(name, "done", 1) for name in names]
    with world.db.unit_of_work() as session:
        request = session.get_one(RightsRequest, request_id)
        assert request.status == "completed"
        assert request.closed_at is not None
        assert request.facts["outcome"]["summary"].startswith("personal data erased")
        assert audit.verify(session=session).ok


def _flaky_plan(calls: list[str], fail_times: int) -> Plan:
    def first(ctx: StepContext) -> dict[str, Any]:
        calls.append("first")
        return {"n": 1}

    def second(ctx: StepContext) -> dict[str, Any]:
        calls.append("second")
        if calls.count("second") <= fail_times:
            raise RuntimeError("the downstream system said no")
        return {"got": ctx.results["first"]["n"]}

    return Plan((StepSpec("first", first), StepSpec("second", second)), lambda ctx: {"ok": True})


def _run(world: World, request_id: str, plan: Plan) -> executors.ExecutionReport:
    with world.db.unit_of_work() as session:
        return engine.run(
            session=session,
            vault=world.vault,
            settings=world.settings,
            declaration=world.declaration,
            request_id=request_id,
            actor=ACTOR,
            plans={"restriction": plan},
            checkpoint=session.commit,
        )


def test_a_failing_step_is_recorded_visibly_and_a_rerun_continues_after_the_last_done(
    world: World,
) -> None:
    request_id = world.request(world.subject(ALICE), "restriction")
    calls: list[str] = []
    plan = _flaky_plan(calls, fail_times=1)

    failed = _run(world, request_id, plan)

    assert not failed.completed
    assert failed.status == "in_progress"
    assert failed.failed_step == "second"
    assert failed.error == "RuntimeError: the downstream system said no"
    assert _steps(world, request_id) == [("first", "done", 1), ("second", "failed", 1)]
    with world.db.unit_of_work() as session:
        notes = session.scalars(select(RequestNote.text)).all()
        assert any("second failed" in note for note in notes)

    done = _run(world, request_id, plan)

    assert done.completed
    assert done.error is None
    assert calls == ["first", "second", "second"]  # the finished step did not run again
    assert _steps(world, request_id) == [("first", "done", 1), ("second", "done", 2)]
    assert done.outcome == {"ok": True}


def test_without_a_checkpoint_a_failed_step_leaves_nothing_half_done(world: World) -> None:
    request_id = world.request(world.subject(ALICE), "restriction")

    def half(ctx: StepContext) -> dict[str, Any]:
        ctx.session.add(
            RequestNote(
                request_id=ctx.request.id,
                at=ctx.request.received_at,
                author="x",
                kind="x",
                text="half-done work",
            )
        )
        ctx.session.flush()
        raise ValueError("stop")

    plan = Plan((StepSpec("half", half),), lambda ctx: {})
    with world.db.unit_of_work() as session:
        report = engine.run(
            session=session,
            vault=world.vault,
            settings=world.settings,
            declaration=world.declaration,
            request_id=request_id,
            actor=ACTOR,
            plans={"restriction": plan},
        )
    assert report.error == "ValueError: stop"
    with world.db.unit_of_work() as session:
        texts = session.scalars(select(RequestNote.text)).all()
    assert "half-done work" not in texts
    assert any("half failed" in t for t in texts)


def test_database_errors_are_recorded_without_their_message(world: World) -> None:
    request_id = world.request(world.subject(ALICE), "restriction")

    def clash(ctx: StepContext) -> dict[str, Any]:
        # PostgreSQL quotes the failing row, personal value included, in its message.
        ctx.session.execute(
            insert(RequestNote).values(
                request_id=ctx.request.id, at=None, author="x", kind="x", text=ALICE
            )
        )
        return {}

    report = _run(world, request_id, Plan((StepSpec("clash", clash),), lambda ctx: {}))
    assert report.error is not None
    assert re.fullmatch(r"IntegrityError: database error( \(SQLSTATE \w+\))?", report.error)
