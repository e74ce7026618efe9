"""The worker loop (scheduler and runner in one), as a thread in ``serve`` or a process.

``PRIVACYOPS_JOBS`` chooses: ``inprocess`` starts one worker thread inside
``serve`` (the embedded default, SQLite or PostgreSQL); ``postgres`` starts
none there and expects ``privacyops worker`` processes, any number, on any
machines (the queue's locks keep them apart); ``off`` runs nothing
periodically (``privacyops jobs run NAME`` still works).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from privacyops.db import Database, utcnow
from privacyops.jobs import queue
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings
from privacyops.vault.service import Vault

log = logging.getLogger("privacyops.jobs")


class Worker:
    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        policy: PolicyStore,
        name: str | None = None,
        poll_seconds: float | None = None,
        stall_after: timedelta = queue.STALL_AFTER,
        only: set[str] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.policy = policy
        self.vault = Vault.from_settings(settings)
        self.name = name or queue.worker_name()
        self.poll_seconds = settings.jobs_poll_seconds if poll_seconds is None else poll_seconds
        self.stall_after = stall_after
        self.only = only
        self.ran = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self, *, schedule: bool = True, limit: int = 50) -> int:
        """Enqueue what is due, recover stalled jobs, run due jobs; returns how many ran."""
        now = utcnow()
        if schedule:
            queue.schedule_due(db=self.db, now=now, only=self.only)
        queue.recover_stalled(db=self.db, now=now, stall_after=self.stall_after)
        ran = 0
        while ran < limit and not self._stop.is_set():
            job = queue.claim(db=self.db, worker=self.name, now=utcnow(), only=self.only)
            if job is None:
                break
            queue.run_claimed(
                db=self.db, settings=self.settings, policy=self.policy, vault=self.vault, job=job
            )
            ran += 1
        self.ran += ran
        return ran

    def run(self) -> None:
        """Loop until ``stop``; a failing tick (the database away) is logged and retried."""
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("job worker %s: tick failed", self.name)
            self._stop.wait(self.poll_seconds)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name=f"jobs-{self.name}", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the loop to stop after the job in hand."""
        self._stop.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to stop after the job in hand, and wait for it."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]


def attach(app: FastAPI, *, db: Database, settings: Settings, policy: PolicyStore) -> None:
    """Run an in-process worker for the app's lifetime when ``PRIVACYOPS_JOBS=inprocess``."""
    if settings.jobs != "inprocess":
        return
    previous: Lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        worker = Worker(
            db=db, settings=settings, policy=policy, name=f"{queue.worker_name()}:serve"
        )
        worker.start()
        application.state.job_worker = worker
        try:
            async with previous(application) as state:
                yield state
        finally:
            worker.stop()

    app.router.lifespan_context = lifespan
