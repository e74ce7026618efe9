"""The fast check other code calls before processing: ``may_process(subject_id, purpose)``.

Each process keeps a dict from subject id to that subject's decision per purpose
(consent, staleness, regime default, restriction and every deny predicate already
applied), so a check is two dict lookups and a clock read. An entry is built from
the database on a miss and lives for ``ttl`` seconds.

Freshness, and its limits:

- **This process**: any committed write that can change a decision empties the
  affected entries at once: a consent event (the service announces it after the
  commit), a subject's state changing (a mapper event on `subject`), a new policy
  version (everything). A load that overlaps any such write is not cached, so a
  decision read before a commit can never outlive it.
- **Other processes**, on PostgreSQL: the same writes send a NOTIFY that is
  delivered at commit; every process listens (``freshness``) and drops the
  entries, and each check first applies what already reached its socket, so a
  withdrawal made through one web worker is honoured by the others at their next
  check. While the listening connection is down, checks read the database.
  Entries still expire after ``ttl`` (60 s there), a safety net only.
- **Other processes**, on SQLite, do not hear about this process's writes. Their
  entries expire after ``ttl`` (default 2 s). Processing that must not lag at all
  (a one-off export) should ask the database through ``service.subject_states``.
- Entries are bounded: past ``max_subjects`` the cache is emptied and refills.

An unknown or erased subject is denied every purpose. A purpose that is not
declared raises ``UnknownPurposeError``: a typo in a caller must not read as "no".
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, object_session

from privacyops.consent import freshness, renewal, service, state
from privacyops.consent.catalogue import catalogue
from privacyops.db import Database
from privacyops.policy.models import PolicyVersion
from privacyops.policy.service import PolicyStore
from privacyops.subjects.models import Subject
from privacyops.vault import hooks

_now = time.monotonic
#: Entry lifetime where a listener drops changed entries (PostgreSQL) and where none does.
LISTENING_TTL = 60.0
DEFAULT_TTL = 2.0


class UnknownPurposeError(KeyError):
    def __init__(self, purpose: str) -> None:
        super().__init__(f"purpose {purpose!r} is not declared")
        self.purpose = purpose


class ConsentChecker:
    """Per-process cache of decisions; see the module docstring for its freshness."""

    def __init__(
        self,
        *,
        db: Database,
        policy: PolicyStore,
        ttl: float = DEFAULT_TTL,
        max_subjects: int = 200_000,
        listener: freshness.Listener | None = None,
    ) -> None:
        self._db = db
        self._policy = policy
        self._ttl = ttl
        self._max = max_subjects
        self._entries: dict[str, tuple[dict[str, bool], float]] = {}
        self._writes = 0
        self._renewals: tuple[renewal.Renewals, float, int] | None = None
        self._lock = threading.Lock()
        self._listener = listener
        _CHECKERS.add(self)

    def may_process(self, subject_id: str, purpose: str) -> bool:
        """Whether ``purpose`` may be pursued for the subject now."""
        listener = self._listener
        if listener is not None and not listener.fresh():
            return self._answer(self.decisions(subject_id), purpose)
        entry = self._entries.get(subject_id)
        if entry is not None and entry[1] > _now():
            allowed = entry[0].get(purpose)
            if allowed is not None:
                return allowed
        return self._load(subject_id, purpose)

    def invalidate(self, subject_id: str | None = None) -> None:
        """Forget one subject's decisions, or all of them (None)."""
        with self._lock:
            self._writes += 1
            if subject_id is None:
                self._entries.clear()
                self._renewals = None
            else:
                self._entries.pop(subject_id, None)

    def renewals(self, session: Session) -> renewal.Renewals:
        """The published versions' renewal marks, cached like decisions."""
        cached = self._renewals
        if cached is not None and cached[1] > _now() and cached[2] == self._writes:
            return cached[0]
        token = self._writes
        loaded = renewal.load(session=session)
        with self._lock:
            if token == self._writes:
                self._renewals = (loaded, _now() + self._ttl, token)
        return loaded

    def decisions(self, subject_id: str) -> dict[str, bool]:
        """Every purpose's decision for the subject, loaded from the database."""
        declaration = self._policy.declaration
        with self._db.unit_of_work() as session:
            try:
                found = state.subject_states(
                    session=session,
                    declaration=declaration,
                    subject_id=subject_id,
                    renewals=self.renewals(session),
                )
            except service.ConsentError:
                return dict.fromkeys(catalogue(declaration).purposes, False)
        return {row.purpose: row.allowed for row in found}

    def _load(self, subject_id: str, purpose: str) -> bool:
        token = self._writes
        decisions = self.decisions(subject_id)
        with self._lock:
            if token == self._writes:
                if len(self._entries) >= self._max:
                    self._entries.clear()
                self._entries[subject_id] = (decisions, _now() + self._ttl)
        return self._answer(decisions, purpose)

    @staticmethod
    def _answer(decisions: dict[str, bool], purpose: str) -> bool:
        allowed = decisions.get(purpose)
        if allowed is None:
            raise UnknownPurposeError(purpose)
        return allowed

    @property
    def size(self) -> int:
        return len(self._entries)


_CHECKERS: weakref.WeakSet[ConsentChecker] = weakref.WeakSet()
_app_lock = threading.Lock()


def _announce(subject_id: str | None) -> None:
    for checker in list(_CHECKERS):
        checker.invalidate(subject_id)


service.LISTENERS.append(_announce)


@event.listens_for(Subject, "after_update")
def _subject_changed(_mapper: Any, _connection: Any, target: Subject) -> None:
    """Restriction is set by the subjects domain; its commit must reach the cache too."""
    if not inspect(target).attrs.state.history.has_changes():
        return
    session = object_session(target)
    if session is not None:
        subject_id = target.id
        freshness.notify_on(_connection, subject_id, session)
        hooks.after_commit(session, lambda: _announce(subject_id))


@event.listens_for(PolicyVersion, "after_insert")
def _version_published(_mapper: Any, _connection: Any, target: PolicyVersion) -> None:
    session = object_session(target)
    freshness.notify_on(_connection, None, session)
    if session is not None:
        hooks.after_commit(session, lambda: _announce(None))


def checker_for(app: FastAPI) -> ConsentChecker:
    """The app's checker, made on first use (one per app, so one per process in production)."""
    found: ConsentChecker | None = getattr(app.state, "consent_checker", None)
    if found is not None:
        return found
    with _app_lock:
        found = getattr(app.state, "consent_checker", None)
        if found is None:
            db: Database = app.state.db
            if db.is_postgres:
                listener = freshness.listener_for(db.url, _announce)
                found = ConsentChecker(
                    db=db, policy=app.state.policy, ttl=LISTENING_TTL, listener=listener
                )
            else:
                found = ConsentChecker(db=db, policy=app.state.policy)
            app.state.consent_checker = found
        return found
