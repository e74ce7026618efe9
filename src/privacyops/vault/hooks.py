"""Work that may only happen once the caller's transaction has committed (or rolled back).

Services never commit, yet some of their effects must not precede the
commit: deleting a subject's key-store share before the erasing transaction
commits would destroy the data of a subject whose erasure then rolls back
(and a rolled-back erasure must change nothing). So ``Vault.shred``
registers the deletion here, and it runs right after the outermost commit of
that session.

Entries registered inside a SAVEPOINT get their ``on_rollback`` if that
savepoint (or any enclosing transaction) rolls back; a savepoint *release*
runs nothing yet, because the outer transaction can still roll back. An
action that raises is logged and skipped: the commit already happened, and
``Vault.complete_shreds`` repairs what did not run, as it does after a crash
between the commit and the action.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

_PENDING = "privacyops.transaction_hooks"

Action = Callable[[], None]


@dataclass(frozen=True, slots=True)
class _Entry:
    transaction: SessionTransaction
    on_commit: Action | None
    on_rollback: Action | None


def _pending(session: Session) -> list[_Entry]:
    pending: list[_Entry] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _committed)
        event.listen(session, "after_soft_rollback", _rolled_back)
    return pending


def current_transaction(session: Session) -> SessionTransaction:
    """The innermost transaction in progress (a savepoint, else the root)."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        raise RuntimeError("no transaction in progress: run a statement first")
    return transaction


def root_of(transaction: SessionTransaction) -> SessionTransaction:
    while transaction.parent is not None:
        transaction = transaction.parent
    return transaction


def on_outcome(
    session: Session, *, on_commit: Action | None = None, on_rollback: Action | None = None
) -> None:
    """Run ``on_commit`` after the session's transaction commits, or ``on_rollback`` if the
    transaction current now (or one enclosing it) rolls back."""
    _pending(session).append(_Entry(current_transaction(session), on_commit, on_rollback))


def after_commit(session: Session, action: Action) -> None:
    on_outcome(session, on_commit=action)


def _call(action: Action | None) -> None:
    if action is None:
        return
    try:
        action()
    except Exception:
        log.exception("transaction hook failed; a repair sweep will finish its work")


def _committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released; the outer transaction decides
    committed = session.get_transaction()
    pending = session.info.get(_PENDING) or []
    # Entries of another root transaction were left by one that ended without a
    # rollback event (a closed session): they must never run.
    due = [entry for entry in pending if root_of(entry.transaction) is committed]
    pending.clear()
    for entry in due:
        _call(entry.on_commit)


def _rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return

    def inside(transaction: SessionTransaction | None) -> bool:
        while transaction is not None:
            if transaction is previous_transaction:
                return True
            transaction = transaction.parent
        return False

    keep = [entry for entry in pending if not inside(entry.transaction)]
    dropped = [entry for entry in pending if inside(entry.transaction)]
    pending[:] = keep
    for entry in dropped:
        _call(entry.on_rollback)
