"""The periodic tasks: each domain adds its own with ``periodic``; the worker runs them.

A task is a function of a ``JobContext``. It owns its transactions (it is a
face, like a route). It must be idempotent: a retry after a crash, or a
second run, may find part of the work done.

Most tasks are one unit of work: ``@in_unit_of_work`` gives them their
session (committed when the function returns, rolled back when it raises),
their audit actor (``run.actor``, ``system:jobs:<name>``) and the shape of
the job's result. A task that needs several units (a sweep that commits per
batch) registers with ``@periodic`` and opens them on ``ctx.db`` itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from privacyops.db import Database
from privacyops.policy.schema import Declaration
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings
from privacyops.vault.service import Vault

#: Modules that may register tasks; a missing one is skipped.
TASK_MODULES = ("privacyops.jobs.tasks", "privacyops.audit.tasks", "privacyops.limits.jobs")


@dataclass
class JobContext:
    db: Database
    settings: Settings
    policy: PolicyStore
    vault: Vault
    now: datetime
    actor: str
    heartbeat: Callable[[], None] = field(default=lambda: None)
    """Tells the queue the job is alive; long tasks call it between batches."""

    @property
    def declaration(self) -> Declaration:
        return self.policy.declaration


TaskFunction = Callable[[JobContext], dict[str, Any]]


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    every: timedelta
    run: TaskFunction
    description: str
    max_attempts: int = 5


_tasks: dict[str, PeriodicTask] = {}
_discovered = False


def register(task: PeriodicTask) -> PeriodicTask:
    _tasks[task.name] = task
    return task


def periodic(
    name: str,
    *,
    every: timedelta,
    description: str,
    max_attempts: int = 5,
) -> Callable[[TaskFunction], TaskFunction]:
    def decorate(function: TaskFunction) -> TaskFunction:
        register(
            PeriodicTask(
                name=name,
                every=every,
                run=function,
                description=description,
                max_attempts=max_attempts,
            )
        )
        return function

    return decorate


@dataclass
class TaskRun:
    """One run of a task inside its unit of work."""

    ctx: JobContext
    session: Session

    @property
    def actor(self) -> str:
        """Who the task's audit events name: ``system:jobs:<task>``."""
        return self.ctx.actor

    @property
    def vault(self) -> Vault:
        return self.ctx.vault

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @property
    def declaration(self) -> Declaration:
        return self.ctx.declaration


UnitTask = Callable[[TaskRun], Any]
Result = str | tuple[str, ...]


def _result(value: Any, shape: Result) -> dict[str, Any]:
    """The job's result: a dict as it is, a value under its name, or named attributes."""
    if isinstance(value, dict):
        return value
    if isinstance(shape, str):
        return {shape: value}
    return {name: getattr(value, name) for name in shape}


def in_unit_of_work(
    name: str,
    *,
    every: timedelta,
    description: str,
    result: Result,
    max_attempts: int = 5,
) -> Callable[[UnitTask], TaskFunction]:
    """Register a task that runs in one unit of work.

    ``result`` names what the function returns (``"expired"`` makes
    ``{"expired": value}``), or lists the attributes of the report it returns.
    The result is read before the commit, while the rows it names are loaded.
    """

    def decorate(function: UnitTask) -> TaskFunction:
        def run(ctx: JobContext) -> dict[str, Any]:
            with ctx.db.unit_of_work() as session:
                return _result(function(TaskRun(ctx=ctx, session=session)), result)

        run.__name__ = function.__name__
        run.__doc__ = function.__doc__
        register(
            PeriodicTask(
                name=name,
                every=every,
                run=run,
                description=description,
                max_attempts=max_attempts,
            )
        )
        return run

    return decorate


def discover() -> None:
    global _discovered
    if _discovered:
        return
    for module in TASK_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name is None or not module.startswith(error.name):
                raise
    _discovered = True


def tasks() -> list[PeriodicTask]:
    discover()
    return [_tasks[name] for name in sorted(_tasks)]


def task(name: str) -> PeriodicTask:
    discover()
    try:
        return _tasks[name]
    except KeyError:
        known = ", ".join(sorted(_tasks))
        raise KeyError(f"no job named {name!r} (known: {known})") from None
