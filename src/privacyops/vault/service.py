"""The vault as the rest of the system uses it: per-subject keys stored, used, rotated, shredded.

A subject's data key is the XOR of a database share (``subject_key`` row,
wrapped by the master key) and a key-store share kept outside the database;
``shares`` explains why that makes erasure reach every backup at once.

Every method that touches the database takes the caller's ``session`` and
never commits. Effects that must wait for the commit (deleting the key-store
share, evicting cached keys) are registered with ``hooks`` and run after it.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.settings import Settings
from privacyops.vault import hooks, rotation
from privacyops.vault.blind_index import BlindIndexer, IdentityKind
from privacyops.vault.crypto import FieldCipher, field_aad, new_data_key
from privacyops.vault.errors import VaultError
from privacyops.vault.keystore import FileKeyStore, MasterKeyStore
from privacyops.vault.models import SubjectKey
from privacyops.vault.rotation import Checkpoint, Progress, RotationResult, VaultStatus
from privacyops.vault.shares import SUBJECTS_DIR, FileShareStore, KeyShareStore, combine_shares
from privacyops.vault.shredder import (
    DataKeyCache,
    open_subject_key,
    seal_subject_key,
)

log = logging.getLogger(__name__)

_FRESH = "privacyops.vault.fresh_keys"
_instances: dict[Path, Vault] = {}
_instances_lock = threading.Lock()


class NoDataKeyError(VaultError):
    """The subject never had a data key, so nothing of it was ever encrypted."""

    def __init__(self, subject_id: str) -> None:
        super().__init__(f"subject {subject_id!r} has no data key")
        self.subject_id = subject_id


class Vault:
    """Per-subject data keys in the database, encryption of fields, blind indexes."""

    def __init__(
        self,
        *,
        keystore: MasterKeyStore,
        shares: KeyShareStore,
        cache: DataKeyCache | None = None,
        indexer: BlindIndexer | None = None,
    ) -> None:
        self._keystore = keystore
        self._shares = shares
        self._cache = cache or DataKeyCache()
        self._indexer = indexer or BlindIndexer(keystore)

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        """The process-wide vault of ``settings.key_dir`` (one key cache per key directory)."""
        key_dir = settings.key_dir.resolve()
        with _instances_lock:
            vault = _instances.get(key_dir)
            if vault is None:
                keystore = FileKeyStore(key_dir)
                vault = _instances[key_dir] = cls(
                    keystore=keystore, shares=FileShareStore(key_dir / SUBJECTS_DIR)
                )
            return vault

    @property
    def keystore(self) -> MasterKeyStore:
        return self._keystore

    @property
    def cache(self) -> DataKeyCache:
        return self._cache

    # -- blind indexes ------------------------------------------------------

    def index(self, kind: IdentityKind | str, value: str) -> bytes:
        """Blind index of an identity value (normalised first; see ``blind_index``)."""
        return self._indexer.index(kind, value)

    def normalize(self, kind: IdentityKind | str, value: str) -> str:
        return self._indexer.normalize(kind, value)

    # -- fields -------------------------------------------------------------

    def create_key(self, *, session: Session, subject_id: str) -> None:
        """Give the subject a data key if it has none (refused once it was shredded)."""
        self._cipher(session, subject_id, create=True)

    def create_keys(self, *, session: Session, subject_ids: list[str]) -> None:
        """Data keys for subjects created in this transaction: one statement, one flush of
        the key store for all of them (a batch import's hot path).

        The subjects must be new (no ``subject_key`` row, no share): use
        ``create_key`` for anyone else.
        """
        if not subject_ids:
            return
        if isinstance(self._shares, FileShareStore):
            store_shares = self._shares.create_many(subject_ids)
        else:
            store_shares = {s: self._shares.create(s) for s in subject_ids}
        now = utcnow()
        rows: list[dict[str, object]] = []
        fresh = self._fresh(session)
        created: list[str] = []
        for subject_id in subject_ids:
            db_share = new_data_key()
            wrapped = seal_subject_key(self._keystore, subject_id, db_share)
            rows.append(
                {
                    "subject_id": subject_id,
                    "wrapped_key": wrapped.to_bytes(),
                    "key_id": wrapped.key_id,
                    "created_at": now,
                }
            )
            fresh[subject_id] = FieldCipher(combine_shares(db_share, store_shares[subject_id]))
            created.append(subject_id)
        session.execute(insert(SubjectKey), rows)

        def settled() -> None:
            keys = self._fresh(session)
            for subject_id in created:
                keys.pop(subject_id, None)

        hooks.on_outcome(session, on_commit=settled, on_rollback=settled)

    def cipher_for(self, *, session: Session, subject_id: str) -> FieldCipher:
        """The subject's cipher (created if it has no key yet), for encrypting many values
        with ``field_aad``; ``encrypt`` is the one-value form."""
        return self._cipher(session, subject_id, create=True)

    def encrypt(
        self, *, session: Session, subject_id: str, category: str, field: str, value: str | bytes
    ) -> bytes:
        """Encrypt one value for (subject, category, field); creates the key on first use."""
        cipher = self._cipher(session, subject_id, create=True)
        return cipher.encrypt(value, aad=field_aad(subject_id, category, field))

    def decrypt(
        self, *, session: Session, subject_id: str, category: str, field: str, ciphertext: bytes
    ) -> bytes:
        """Raises ``KeyDestroyedError`` after erasure, ``IntegrityError`` on a moved blob."""
        cipher = self._cipher(session, subject_id, create=False)
        return cipher.decrypt(ciphertext, aad=field_aad(subject_id, category, field))

    def decrypt_text(
        self, *, session: Session, subject_id: str, category: str, field: str, ciphertext: bytes
    ) -> str:
        return self.decrypt(
            session=session,
            subject_id=subject_id,
            category=category,
            field=field,
            ciphertext=ciphertext,
        ).decode("utf-8")

    # -- erasure ------------------------------------------------------------

    def shred(self, *, session: Session, subject_id: str, actor: str) -> bool:
        """Destroy the subject's data key; True if this call destroyed it, False if already gone.

        In the caller's transaction: null the wrapped share, set
        ``destroyed_at`` (a subject that never had a key gets a destroyed
        tombstone, so none is created later) and record the audit event.
        After the commit: delete the key-store share (from then on no backup
        can rebuild the key) and evict the cached key. A second call records
        nothing and only repeats the share deletion, which finishes an erasure
        that a crash interrupted between commit and deletion.
        """
        now = utcnow()
        result = cast(
            CursorResult[Any],
            session.execute(
                update(SubjectKey)
                .where(SubjectKey.subject_id == subject_id, SubjectKey.destroyed_at.is_(None))
                .values(wrapped_key=None, key_id=None, destroyed_at=now)
            ),
        )
        had_key = result.rowcount > 0
        if not had_key:
            known = session.scalar(
                select(SubjectKey.subject_id).where(SubjectKey.subject_id == subject_id)
            )
            if known is not None:
                hooks.after_commit(session, lambda: self._forget(subject_id))
                return False
            session.add(SubjectKey(subject_id=subject_id, created_at=now, destroyed_at=now))
            session.flush()
        self._fresh(session).pop(subject_id, None)
        audit.record(
            session=session,
            actor=actor,
            action="vault.key_destroyed",
            target_type="subject",
            target_id=subject_id,
            details={"had_key": had_key},
        )
        hooks.after_commit(session, lambda: self._forget(subject_id))
        return True

    def complete_shreds(self, *, session: Session, since: datetime | None = None) -> int:
        """Delete key-store shares that are still present for destroyed keys; returns how many.

        Repairs an erasure whose post-commit deletion did not run (crash, I/O
        error). Deletes at once, so run it in its own unit of work, not in a
        transaction that is itself erasing subjects. ``since`` limits the scan
        to keys destroyed after that time (a periodic job passes its last run).
        """
        query = select(SubjectKey.subject_id).where(SubjectKey.destroyed_at.is_not(None))
        if since is not None:
            query = query.where(SubjectKey.destroyed_at >= since)
        done = 0
        for subject_id in session.scalars(query.execution_options(yield_per=1000)):
            if self._shares.destroy(subject_id):
                done += 1
            self._cache.evict(subject_id)
        return done

    # -- master key rotation ------------------------------------------------

    def rotate_master(
        self,
        *,
        session: Session,
        actor: str,
        batch: int = 500,
        checkpoint: Checkpoint | None = None,
        progress: Progress | None = None,
        new_key: bool | None = None,
    ) -> RotationResult:
        """Create a master key version and rewrap every live key under it (see ``rotation``)."""
        return rotation.rotate_master(
            keystore=self._keystore,
            session=session,
            actor=actor,
            batch=batch,
            checkpoint=checkpoint,
            progress=progress,
            new_key=new_key,
        )

    def status(self, *, session: Session) -> VaultStatus:
        """Master key versions and how many live subject keys each wraps."""
        return rotation.status(keystore=self._keystore, session=session)

    # -- internals ----------------------------------------------------------

    def _fresh(self, session: Session) -> dict[str, FieldCipher]:
        """Keys created in the session's open transaction; never in the process cache until
        committed, or a rollback would leave a key cached whose row does not exist."""
        root = session.get_transaction()
        entry: tuple[object, dict[str, FieldCipher]] | None = session.info.get(_FRESH)
        if entry is None or entry[0] is not root:
            entry = (root, {})
            session.info[_FRESH] = entry
        return entry[1]

    def _cipher(self, session: Session, subject_id: str, *, create: bool) -> FieldCipher:
        fresh = self._fresh(session).get(subject_id)
        if fresh is not None:
            return fresh
        cached = self._cache.get(subject_id)
        if cached is not None:
            return cached
        row = session.get(SubjectKey, subject_id)
        if row is None:
            if not create:
                raise NoDataKeyError(subject_id)
            return self._create(session, subject_id)
        return self._cache.get_or_load(subject_id, lambda: self._open(row))

    def _create(self, session: Session, subject_id: str) -> FieldCipher:
        db_share = new_data_key()
        store_share = self._shares.create(subject_id)  # durable before the row can commit
        wrapped = seal_subject_key(self._keystore, subject_id, db_share)
        session.add(
            SubjectKey(
                subject_id=subject_id,
                wrapped_key=wrapped.to_bytes(),
                key_id=wrapped.key_id,
                created_at=utcnow(),
            )
        )
        session.flush()
        cipher = FieldCipher(combine_shares(db_share, store_share))
        self._fresh(session)[subject_id] = cipher

        def settled() -> None:  # committed: load it like any key; rolled back: it never was
            self._fresh(session).pop(subject_id, None)

        hooks.on_outcome(session, on_commit=settled, on_rollback=settled)
        return cipher

    def _open(self, row: SubjectKey) -> bytes | None:
        if row.destroyed_at is not None or row.wrapped_key is None:
            return None
        store_share = self._shares.get(row.subject_id)
        if store_share is None:
            log.warning(
                "subject key %s has no key-store share: treated as shredded", row.subject_id
            )
            return None
        db_share = open_subject_key(self._keystore, row.subject_id, row.wrapped_key)
        return combine_shares(db_share, store_share)

    def _forget(self, subject_id: str) -> None:
        self._cache.evict(subject_id)  # first: it cannot fail, the file deletion can
        self._shares.destroy(subject_id)
