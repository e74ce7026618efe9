"""A deletion that dies half-way is finished by a rerun through ``rights.running.run``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.rights.requests_support import Desk, open_desk
from tests.rights.support import World, store

from privacyops.rights import executors, lookups, running
from privacyops.rights.executors import deletion
from privacyops.rights.models import RequestStep
from privacyops.staff.permissions import Role
from privacyops.subjects.models import Subject

ALICE = "alice.wang@example.com"
PHONE = "+49 151 23456789"


class Crash(BaseException):
    """The process dies: nothing after the last commit survives (not an Exception)."""


@pytest.fixture
def desk(app_client: TestClient, world: World) -> Iterator[Desk]:
    with open_desk(app_client, world) as opened:
        yield opened


def _customer(desk: Desk, world: World) -> str:
    subject_id = desk.customer(ALICE, phone=PHONE)
    with world.db.unit_of_work() as session:
        for n in range(6):
            store(session, world.vault, subject_id, "support", {"message": f"ticket {n}"})
    return subject_id


def _crashing_plan(monkeypatch: pytest.MonkeyPatch, at: str) -> list[str]:
    plan = executors.PLANS["deletion"]
    crashed: list[str] = []

    def wrap(step: executors.StepSpec) -> executors.StepSpec:
        def run(ctx: Any) -> dict[str, Any]:
            result = step.run(ctx)  # the work is done, not yet committed...
            if not crashed:
                crashed.append(step.name)
                raise Crash  # ...and the process dies
            return result

        return executors.StepSpec(step.name, run, step.atomic)

    steps = tuple(wrap(s) if s.name == at else s for s in plan.steps)
    monkeypatch.setitem(executors.PLANS, "deletion", executors.Plan(steps, plan.outcome))
    return crashed


def test_a_deletion_that_crashes_mid_way_is_finished_by_the_rerun(
    desk: Desk,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    staff_client: Callable[[Role], TestClient],
) -> None:
    monkeypatch.setattr(deletion, "PURGE_BATCH", 2)
    subject_id = _customer(desk, world)
    made = desk.submit("deletion", ALICE, country="DE")
    with monkeypatch.context() as later:  # verified now, executed by a worker afterwards
        later.setattr(running, "runs_on_its_own", lambda _request: False)
        verified = desk.verify(made["id"], desk.code(ALICE), second=("phone", PHONE))
        assert verified.json()["status"] == "verified"
    crashed = _crashing_plan(monkeypatch, "shred")
    with pytest.raises(Crash), world.db.unit_of_work() as session:  # the worker dies in shred
        running.run(
            session=session,
            vault=world.vault,
            settings=world.settings,
            declaration=world.declaration,
            request_id=made["id"],
            actor="system:worker",
            checkpoint=session.commit,
        )
    assert crashed == ["shred"]
    with world.db.unit_of_work() as session:
        steps = dict(
            session.execute(
                select(RequestStep.name, RequestStep.status).where(
                    RequestStep.request_id == made["id"]
                )
            ).all()
        )
        assert steps["inventory"] == "done"  # committed before the crash
        assert steps["shred"] == "pending"  # its transaction never committed
        assert session.get_one(Subject, subject_id).state == "active"
    assert desk.status(made["id"]).json()["status"] == "in_progress"

    dpo = staff_client(Role.PRIVACY_OFFICER)
    rerun = dpo.post(f"/api/v1/requests/{made['id']}/execute")
    assert rerun.status_code == 200, rerun.text
    assert rerun.json()["status"] == "completed"
    assert [s["status"] for s in rerun.json()["steps"]] == ["done"] * len(deletion.STEPS)
    assert world.records_of(subject_id) == 0
    with world.db.unit_of_work() as session:
        assert session.get_one(Subject, subject_id).state == "erased"
    done = [m for m in desk.mail_to(ALICE) if m.subject.endswith("is complete")]
    assert len(done) == 1  # the contact was sealed apart from the erased key
    again = dpo.post(f"/api/v1/requests/{made['id']}/execute")
    assert again.json()["status"] == "completed"
    assert len([m for m in desk.mail_to(ALICE) if m.subject.endswith("is complete")]) == 1


def test_a_failed_step_is_shown_and_retried_from_the_console(
    desk: Desk,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    staff_client: Callable[[Role], TestClient],
) -> None:
    subject_id = _customer(desk, world)
    made = desk.submit("deletion", ALICE, country="DE")
    real = deletion.download.remove_package_files

    def broken(**kwargs: Any) -> int:
        raise OSError("disk unavailable")

    monkeypatch.setattr(deletion.download, "remove_package_files", broken)
    assert desk.verify(made["id"], desk.code(ALICE), second=("phone", PHONE)).status_code == 200
    dpo = staff_client(Role.PRIVACY_OFFICER)
    page = dpo.get(f"/admin/requests/{made['id']}")
    assert "OSError: disk unavailable" in page.text
    assert "Retry" in page.text
    monkeypatch.setattr(deletion.download, "remove_package_files", real)
    retried = dpo.post(f"/admin/requests/{made['id']}/execute", follow_redirects=False)
    assert retried.status_code == 303
    assert "Execution%3A%20completed" in retried.headers["location"]
    assert world.records_of(subject_id) == 0
    with world.db.unit_of_work() as session:
        report = lookups.get(session=session, request_id=made["id"])
        assert report.status == "completed"
