"""Master key rotation over the ``subject_key`` table, and the key status report.

Only the database share of each data key is wrapped by the master key, so a
rotation never needs the key-store shares: it unwraps and rewraps 32 bytes
per live subject, and destroyed keys (nothing left to wrap) are skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, CursorResult, func, select, update
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.vault.errors import VaultError
from privacyops.vault.keystore import FileKeyStore, MasterKeyStore, WrappedKey, rewrap
from privacyops.vault.models import SubjectKey
from privacyops.vault.shredder import subject_key_context

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called with (done, total) at the start and after every batch."""
Checkpoint = Callable[[], None]
"""Makes the work so far durable; the CLI passes its unit of work's ``commit``."""


@dataclass(frozen=True)
class RotationResult:
    key_id: str
    created_key: bool
    """False when the run finished an earlier, interrupted rotation instead."""
    rewrapped: int
    already_current: int
    failed: int


@dataclass(frozen=True)
class MasterKeyUse:
    key_id: str
    current: bool
    in_store: bool
    """False: rows name a version the store no longer holds (retired, or a foreign key dir)."""
    subject_keys: int


@dataclass(frozen=True)
class VaultStatus:
    master_keys: list[MasterKeyUse]
    destroyed: int


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(SubjectKey).where(*where)) or 0


def _live() -> ColumnElement[bool]:
    return SubjectKey.destroyed_at.is_(None)


def rotate_master(
    *,
    keystore: MasterKeyStore,
    session: Session,
    actor: str,
    batch: int = 500,
    checkpoint: Checkpoint | None = None,
    progress: Progress | None = None,
    new_key: bool | None = None,
) -> RotationResult:
    """Create a master key version and rewrap every live database share under it.

    Resumable: when live keys are still wrapped under an older version (an
    earlier run was interrupted), the run finishes that rotation instead of
    creating yet another version (``new_key=True`` forces a new one,
    ``False`` never creates one). Rows already under the current version are
    skipped, so a rerun does only what is left.

    Crash safety: ``checkpoint`` runs after every batch; pass the unit of
    work's commit and a crash loses at most one batch. Without it the whole
    run is one transaction. A row is rewritten only while it is still live
    and under the version that was read (compare-and-set), so a concurrent
    ``shred`` is never undone by a rewrap. A row that fails to unwrap
    (tampered, or its version retired) is counted in ``failed`` and left as
    it is; the keyset scan moves past it, so it cannot stall the run.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    pending = _count(session, _live(), SubjectKey.key_id != keystore.current_key_id)
    created = new_key if new_key is not None else pending == 0
    if created:
        audit.record(
            session=session,
            actor=actor,
            action="vault.master_key_rotated",
            target_type="master_key",
            target_id=keystore.rotate(),
        )
    key_id = keystore.current_key_id
    total = _count(session, _live(), SubjectKey.key_id != key_id)
    already_current = _count(session, _live(), SubjectKey.key_id == key_id)
    rewrapped = failed = processed = 0
    last = ""
    if progress:
        progress(0, total)
    while True:
        rows = session.execute(
            select(SubjectKey.subject_id, SubjectKey.key_id, SubjectKey.wrapped_key)
            .where(_live(), SubjectKey.key_id != key_id, SubjectKey.subject_id > last)
            .order_by(SubjectKey.subject_id)
            .limit(batch)
        ).all()
        if not rows:
            break
        for subject_id, old_key_id, blob in rows:
            outcome = _rewrap_row(keystore, session, subject_id, old_key_id, blob)
            rewrapped += outcome == "rewrapped"
            failed += outcome == "failed"
        processed += len(rows)
        last = rows[-1].subject_id
        if checkpoint:
            checkpoint()
        if progress:
            progress(processed, total)
    audit.record(
        session=session,
        actor=actor,
        action="vault.subject_keys_rewrapped",
        target_type="master_key",
        target_id=key_id,
        details={
            "created_key": created,
            "rewrapped": rewrapped,
            "already_current": already_current,
            "failed": failed,
        },
    )
    return RotationResult(key_id, created, rewrapped, already_current, failed)


def _rewrap_row(
    keystore: MasterKeyStore,
    session: Session,
    subject_id: str,
    old_key_id: str | None,
    blob: bytes | None,
) -> Literal["rewrapped", "failed", "gone"]:
    """Rewrap one row; "gone" when it was shredded (or rewrapped) since it was read."""
    if blob is None or old_key_id is None:
        return "gone"
    try:
        wrapped = rewrap(
            keystore, WrappedKey.from_bytes(blob), context=subject_key_context(subject_id)
        )
    except VaultError as error:
        log.warning("subject key %s not rewrapped: %s", subject_id, error)
        return "failed"
    result = session.execute(
        update(SubjectKey)
        .where(
            SubjectKey.subject_id == subject_id,
            SubjectKey.key_id == old_key_id,
            SubjectKey.destroyed_at.is_(None),
        )
        .values(wrapped_key=wrapped.to_bytes(), key_id=wrapped.key_id)
        .execution_options(synchronize_session=False)
    )
    return "rewrapped" if cast(CursorResult[Any], result).rowcount else "gone"


def status(*, keystore: MasterKeyStore, session: Session) -> VaultStatus:
    """Master key versions (held, and named by rows) with their live subject keys."""
    counts: dict[str, int] = {
        key_id: count
        for key_id, count in session.execute(
            select(SubjectKey.key_id, func.count()).where(_live()).group_by(SubjectKey.key_id)
        )
        if key_id is not None
    }
    held = keystore.key_ids() if isinstance(keystore, FileKeyStore) else (keystore.current_key_id,)
    current = keystore.current_key_id
    names = list(held) + sorted(set(counts) - set(held))
    return VaultStatus(
        [MasterKeyUse(k, k == current, k in held, counts.get(k, 0)) for k in names],
        _count(session, SubjectKey.destroyed_at.is_not(None)),
    )
