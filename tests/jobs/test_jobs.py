"""The job queue: the serve-started worker runs jobs; locks, retries, stalls, many workers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.retention.support import count, person, plant
from typer.testing import CliRunner

from privacyops.app import create_app
from privacyops.audit.models import AuditEvent
from privacyops.cli import app as cli
from privacyops.db import Database, utcnow
from privacyops.jobs import queue, registry, tasks
from privacyops.jobs.models import Job
from privacyops.jobs.registry import JobContext, PeriodicTask
from privacyops.jobs.worker import Worker
from privacyops.policy.service import PolicyStore
from privacyops.retention.models import SweepReport
from privacyops.settings import Settings
from privacyops.vault.service import Vault

runner = CliRunner()


@pytest.fixture(scope="session")
def policy(settings: Settings) -> PolicyStore:
    return PolicyStore(settings.policy)


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:
            monkeypatch.setenv(f"PRIVACYOPS_{name.upper()}", str(value))
    monkeypatch.setenv("COLUMNS", "250")


@pytest.fixture
def temporary_task() -> Iterator[Any]:
    """Register test tasks for one test only."""
    added: list[str] = []

    def add(
        name: str, run: Any, *, every: timedelta = timedelta(hours=1), attempts: int = 3
    ) -> None:
        registry.register(
            PeriodicTask(name=name, every=every, run=run, description="test", max_attempts=attempts)
        )
        added.append(name)

    yield add
    for name in added:
        registry._tasks.pop(name, None)


def _jobs(db: Database, task: str | None = None) -> list[Job]:
    query = select(Job).order_by(Job.id)
    if task is not None:
        query = query.where(Job.task == task)
    with db.unit_of_work() as session:
        return list(session.scalars(query))


def test_the_worker_that_serve_starts_runs_jobs_and_stops(
    settings: Settings, db: Database, vault: Vault
) -> None:
    plant(db, vault, person(db), "support", {"message": "expired"})
    live = settings.model_copy(update={"jobs": "inprocess", "jobs_poll_seconds": 0.1})
    app = create_app(live, db=db, start_jobs=True)
    with TestClient(app) as client:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done = {j.task for j in _jobs(db) if j.status == "done"}
            if "retention_sweep" in done:
                break
            time.sleep(0.1)
        assert client.get("/healthz").status_code == 200
        worker = app.state.job_worker
    assert "retention_sweep" in done
    assert worker.stopping
    assert worker._thread is None
    assert count(db) == 0
    failed = [(j.task, j.error) for j in _jobs(db) if j.status == "failed"]
    assert failed == []


def test_an_app_built_without_jobs_runs_none(settings: Settings, db: Database) -> None:
    live = settings.model_copy(update={"jobs": "inprocess", "jobs_poll_seconds": 0.05})
    with TestClient(create_app(live, db=db)):
        time.sleep(0.3)
    off = settings.model_copy(update={"jobs": "off", "jobs_poll_seconds": 0.05})
    with TestClient(create_app(off, db=db, start_jobs=True)):
        time.sleep(0.3)
    assert _jobs(db) == []


def test_a_failing_job_is_retried_with_backoff_then_fails(
    db: Database, settings: Settings, policy: PolicyStore, temporary_task: Any
) -> None:
    calls: list[int] = []

    def flaky(ctx: JobContext) -> dict[str, Any]:
        calls.append(1)
        raise RuntimeError("downstream is down")

    temporary_task("test_flaky", flaky, attempts=3)
    worker = Worker(db=db, settings=settings, policy=policy, only={"test_flaky"})
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        assert worker.tick() == 1
        [job] = _jobs(db, "test_flaky")
        assert (job.status, job.attempts) == ("queued", 1)
        assert job.run_at == start + timedelta(seconds=30)
        assert job.error == "RuntimeError: downstream is down"
        assert worker.tick(schedule=False) == 0  # not due yet
        clock.shift(timedelta(seconds=31))
        worker.tick(schedule=False)
        [job] = _jobs(db, "test_flaky")
        assert job.run_at - utcnow() == timedelta(seconds=60)  # doubled
        clock.shift(timedelta(seconds=61))
        worker.tick(schedule=False)
    [job] = _jobs(db, "test_flaky")
    assert (job.status, job.attempts, len(calls)) == ("failed", 3, 3)
    with db.unit_of_work() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "job.failed")).one()
    assert event.details["task"] == "test_flaky"


def test_a_job_whose_worker_died_is_run_again(
    db: Database, settings: Settings, policy: PolicyStore, temporary_task: Any
) -> None:
    temporary_task("test_ok", lambda ctx: {"ok": True})
    with db.unit_of_work() as session:
        queue.enqueue(session=session, task_name="test_ok", requested_by="test")
    claimed = queue.claim(db=db, worker="dead-worker", now=utcnow())
    assert claimed is not None
    assert claimed.status == "running"
    worker = Worker(db=db, settings=settings, policy=policy, only={"test_ok"})
    assert worker.tick(schedule=False) == 0  # locked by the running one
    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
        assert worker.tick(schedule=False) == 1
    [job] = _jobs(db, "test_ok")
    assert (job.status, job.attempts, job.result) == ("done", 2, {"ok": True})


def test_one_queued_run_per_task_and_the_schedule_enqueues_once(
    db: Database, settings: Settings, policy: PolicyStore, temporary_task: Any
) -> None:
    temporary_task("test_ok", lambda ctx: {"ok": True}, every=timedelta(minutes=10))
    with db.unit_of_work() as session:
        assert queue.enqueue(session=session, task_name="test_ok", requested_by="a") is not None
        assert queue.enqueue(session=session, task_name="test_ok", requested_by="b") is None
    now = utcnow()
    assert queue.schedule_due(db=db, now=now, only={"test_ok"}) == []  # one is queued already
    Worker(db=db, settings=settings, policy=policy, only={"test_ok"}).tick(schedule=False)
    assert queue.schedule_due(db=db, now=now, only={"test_ok"}) == []  # the clock moved on
    assert queue.schedule_due(db=db, now=now + timedelta(minutes=11), only={"test_ok"}) == [
        "test_ok"
    ]


def test_two_workers_never_run_the_same_task_at_once(
    settings: Settings, db: Database, policy: PolicyStore, temporary_task: Any
) -> None:
    active, most, runs = 0, 0, 0
    guard = threading.Lock()

    def exclusive(ctx: JobContext) -> dict[str, Any]:
        nonlocal active, most, runs
        with guard:
            active += 1
            most, runs = max(most, active), runs + 1
        time.sleep(0.05)
        with guard:
            active -= 1
        return {}

    temporary_task("test_exclusive", exclusive)
    engines = [Database(settings.database_url, secret=settings.secret_key) for _ in range(2)]
    deadline = time.monotonic() + 60
    tries = [0, 0]

    def work(index: int, own: Database) -> None:
        worker = Worker(db=own, settings=settings, policy=policy, only={"test_exclusive"})
        while runs < 6 and time.monotonic() < deadline:
            with own.unit_of_work() as session:
                queue.enqueue(session=session, task_name="test_exclusive", requested_by="t")
            tries[index] += 1
            worker.tick(schedule=False, limit=1)

    threads = [threading.Thread(target=work, args=(n, e)) for n, e in enumerate(engines)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert runs >= 6
    assert most == 1  # never two at once, though both workers kept trying
    assert min(tries) >= 2
    done = [j for j in _jobs(db, "test_exclusive") if j.status == "done"]
    assert len(done) == runs


def test_two_workers_sweep_once_and_concurrent_sweeps_take_disjoint_batches(
    settings: Settings, db: Database, vault: Vault, policy: PolicyStore
) -> None:
    people = [person(db) for _ in range(40)]
    for someone in people:
        plant(db, vault, someone, "support", {"message": "m", "subject": "s"})
        plant(
            db,
            vault,
            someone,
            "log_behavior",
            {"page_or_screen": "/p"},
            purpose="product_analytics",
        )
    total = count(db)
    assert total == 120
    with db.unit_of_work() as session:
        queue.enqueue(session=session, task_name="retention_sweep", requested_by="t")
    engines = [Database(settings.database_url, secret=settings.secret_key) for _ in range(2)]
    workers = [
        Worker(db=e, settings=settings, policy=policy, only={"retention_sweep"}) for e in engines
    ]
    threads = [threading.Thread(target=w.tick, kwargs={"schedule": False}) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(w.ran for w in workers) == 1
    assert count(db) == 0

    for someone in people:
        plant(db, vault, someone, "support", {"message": "again"})
    swept: list[SweepReport] = []

    def sweep(own: Database) -> None:
        ctx = JobContext(
            db=own, settings=settings, policy=policy, vault=vault, now=utcnow(), actor="t"
        )
        result = tasks.run_sweep(ctx, batch=3)
        with own.unit_of_work() as session:
            swept.append(session.get_one(SweepReport, result["report"]))

    threads = [threading.Thread(target=sweep, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert count(db) == 0
    assert sum(r.deleted for r in swept) == 40  # no row counted by both sweeps


def test_exclusive_runs_share_the_workers_lock(
    db: Database, settings: Settings, policy: PolicyStore, vault: Vault, temporary_task: Any
) -> None:
    temporary_task("test_ok", lambda ctx: {"ok": True})
    with queue.exclusive(
        db=db, settings=settings, policy=policy, vault=vault, task_name="test_ok", holder="cli:a"
    ) as held:
        second = queue.exclusive(
            db=db,
            settings=settings,
            policy=policy,
            vault=vault,
            task_name="test_ok",
            holder="cli:b",
        )
        with pytest.raises(queue.BusyError, match="test_ok is already running on cli:a"):
            second.__enter__()
        with db.unit_of_work() as session:
            queue.enqueue(session=session, task_name="test_ok", requested_by="t")
        assert queue.claim(db=db, worker="w", now=utcnow()) is None
        held.result = {"by": "cli"}
    assert [j.status for j in _jobs(db, "test_ok")] == ["done", "queued"]


@pytest.mark.usefixtures("env", "db")
def test_the_domain_tasks_run_from_the_command_line() -> None:
    for name in (
        "rights_expire_unverified",
        "rights_deadlines",
        "policy_announcements",
        "incident_clock_reminders",
    ):
        ran = runner.invoke(cli, ["jobs", "run", name])
        assert ran.exit_code == 0, ran.output
        assert "Traceback" not in ran.output


@pytest.mark.usefixtures("env")
def test_jobs_from_the_command_line(db: Database, vault: Vault) -> None:
    listed = runner.invoke(cli, ["jobs", "list"])
    assert listed.exit_code == 0, listed.output
    assert "retention_sweep" in listed.output
    assert "notify_delivery" in listed.output
    plant(db, vault, person(db), "support", {"message": "m"})
    ran = runner.invoke(cli, ["jobs", "run", "retention_sweep"])
    assert ran.exit_code == 0, ran.output
    assert '"deleted": 1' in ran.output
    unknown = runner.invoke(cli, ["jobs", "run", "nope"])
    assert unknown.exit_code == 1
    assert "no job named 'nope'" in unknown.output
    assert "Traceback" not in unknown.output
    once = runner.invoke(cli, ["worker", "--once", "--only", "job_history_prune"])
    assert once.exit_code == 0, once.output
    bad = runner.invoke(cli, ["worker", "--once", "--only", "nope"])
    assert bad.exit_code == 1
    assert "no job named" in bad.output


def test_postgres_jobs_need_postgres() -> None:
    with pytest.raises(ValueError, match="needs a PostgreSQL"):
        Settings(jobs="postgres", database_url="sqlite:///x.db")
