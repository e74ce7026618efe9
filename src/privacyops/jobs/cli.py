"""`privacyops jobs ...` and `privacyops worker`: a face, wiring only."""

from __future__ import annotations

import json
import signal
from dataclasses import dataclass
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from privacyops.db import Database, utcnow
from privacyops.jobs import queue, registry
from privacyops.jobs.worker import Worker
from privacyops.policy.loader import DeclarationError
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings
from privacyops.vault.service import Vault

jobs_app = typer.Typer(help="Background and periodic jobs.", no_args_is_help=True)

out = Console()
err = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True, markup=True)
    return typer.Exit(1)


@dataclass(frozen=True)
class Opened:
    settings: Settings
    db: Database
    policy: PolicyStore
    vault: Vault


def open_all() -> Opened:
    """Settings, database, declaration and vault, or a clear error and exit 1."""
    try:
        settings = Settings()
    except ValueError as error:
        raise fail(f"configuration: {error}") from None
    try:
        policy = PolicyStore(settings.policy)
    except DeclarationError as error:
        for problem in error.problems:
            err.print(str(problem), style="red", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except OSError as error:
        raise fail(f"{settings.policy}: {error.strerror}") from None
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url, secret=settings.secret_key)
    try:
        migrated = inspect(db.engine).has_table("job")
    except SQLAlchemyError as error:
        raise fail(f"database: cannot connect ({type(error).__name__})") from None
    if not migrated:
        raise fail("the database is not migrated yet: run `privacyops migrate` first")
    return Opened(settings, db, policy, Vault.from_settings(settings))


def _when(moment: object) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if hasattr(moment, "strftime") else "-"


@jobs_app.command("list")
def jobs_list(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Recent runs to show.")] = 20,
) -> None:
    """The periodic tasks with their next run, and the most recent runs."""
    opened = open_all()
    table = Table("task", "every", "next run (UTC)", "what it does")
    with opened.db.unit_of_work() as session:
        due = queue.schedule(session=session)
        runs = queue.recent(session=session, limit=limit)
    for spec in registry.tasks():
        table.add_row(spec.name, str(spec.every), _when(due.get(spec.name)), spec.description)
    out.print(f"jobs mode: {opened.settings.jobs}")
    out.print(table)
    history = Table("id", "task", "status", "attempts", "worker", "started", "finished", "result")
    for job in runs:
        history.add_row(
            str(job.id),
            job.task,
            job.status,
            str(job.attempts),
            job.worker or "-",
            _when(job.started_at),
            _when(job.finished_at),
            json.dumps(job.result) if job.result else (job.error or "-"),
        )
    out.print(history)


@jobs_app.command("run")
def jobs_run(
    name: Annotated[str, typer.Argument(help="The task, as `jobs list` names it.")],
) -> None:
    """Run one task now, in this process, under the same lock a worker takes."""
    opened = open_all()
    try:
        spec = registry.task(name)
    except KeyError as error:
        raise fail(str(error.args[0])) from None
    try:
        with queue.exclusive(
            db=opened.db,
            settings=opened.settings,
            policy=opened.policy,
            vault=opened.vault,
            task_name=name,
            holder=f"cli:{queue.worker_name()}",
        ) as held:
            held.result = spec.run(held.context)
    except queue.BusyError as error:
        raise fail(str(error)) from None
    out.print(f"[green]{name} done[/green] {json.dumps(held.result)}", soft_wrap=True)


def worker(
    once: Annotated[bool, typer.Option(help="One pass over due jobs, then exit.")] = False,
    poll: Annotated[
        float | None,
        typer.Option(min=0.1, help="Seconds between passes (PRIVACYOPS_JOBS_POLL_SECONDS)."),
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option(help="Run only these tasks (repeat the option).")
    ] = None,
) -> None:
    """Run a job worker: schedule periodic tasks and run queued jobs until stopped."""
    opened = open_all()
    chosen = set(only) if only else None
    if chosen:
        known = {t.name for t in registry.tasks()}
        unknown = sorted(chosen - known)
        if unknown:
            raise fail(f"no job named {unknown[0]!r} (known: {', '.join(sorted(known))})")
    runner = Worker(
        db=opened.db, settings=opened.settings, policy=opened.policy, poll_seconds=poll, only=chosen
    )
    if once:
        ran = runner.tick()
        out.print(f"{ran} jobs run")
        return

    def stop(signum: int, _frame: FrameType | None) -> None:
        if runner.stopping:
            raise KeyboardInterrupt
        err.print("stopping after the job in hand (again to abort it)")
        runner.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    out.print(f"worker {runner.name} started ({utcnow():%Y-%m-%d %H:%M:%S} UTC)")
    runner.run()
    out.print(f"worker {runner.name} stopped after {runner.ran} jobs")
