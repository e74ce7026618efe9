"""The periodic tasks: each domain adds its own with ``periodic``; the worker runs them.

A task is a function of a ``JobContext``. It owns its transactions (it is a
face, like a route): it opens units of work on ``ctx.db`` and commits per
batch. It must be idempotent: a retry after a crash, or a second run, may
find part of the work done.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from privacyops.db import Database
from privacyops.policy.schema import Declaration
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings
from privacyops.vault.service import Vault

#: Modules that may register tasks; a missing one is skipped.
TASK_MODULES = ("privacyops.jobs.tasks", "privacyops.limits.jobs")


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
