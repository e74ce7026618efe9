"""Each subject's data key is split in two shares; one of them never enters the database.

Why. A master-key-wrapped data key in the database is not enough for
crypto-shredding: every backup of the database still holds the wrapped key,
and the master key still opens it, so a restored backup brings an erased
subject back. Rotating and retiring the master key closes that only at the
end of a rotation cycle, and costs a rewrap of *every* subject per cycle.

Design. A subject's data key ``DK`` is the XOR of two random 32-byte shares:

- the **database share**, wrapped by the master key (``subject_key`` row,
  rotated by ``Vault.rotate_master`` like any wrapped key), and
- the **key-store share**, kept by a ``KeyShareStore`` outside the database
  (embedded default: one file per subject under ``<key_dir>/subjects/``).

``DK = db_share XOR store_share``. This is a 2-of-2 secret split: either share
alone is a uniformly random string that says nothing about ``DK``. Shredding
destroys both (the row's wrapped share is nulled, the key-store share is
deleted), but destroying the key-store share alone already suffices: from
then on no copy of the database, however old, can rebuild ``DK``, because the
missing half exists nowhere. Erasure is effective for database backups at
once, not at the end of a rotation cycle, and costs one file deletion.

What remains: backups of the key store itself. Keep ``<key_dir>`` out of the
database backups, give it its own short retention (or none for
``subjects/``), and erasure is complete at T + that retention. A KMS or Vault
deployment implements ``KeyShareStore`` with per-subject secrets it can
delete (a Vault KV entry, a secrets-manager secret) behind the same interface.

Crash safety. A share is written and fsynced (file and directory) before the
row that needs it is committed, so an acknowledged key never lacks its share;
a transaction that rolls back leaves an unused share behind (random bytes,
harmless). Deletion happens only after the erasing transaction committed
(``Vault.shred``), and ``Vault.complete_shreds`` finishes deletions that a
crash interrupted.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

from privacyops.vault import keyfiles
from privacyops.vault.errors import KeyStoreError

SHARE_BYTES = keyfiles.SECRET_BYTES
SUBJECTS_DIR = "subjects"
_SUBJECT_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,63}")


def combine_shares(db_share: bytes, store_share: bytes) -> bytes:
    """The data key: XOR of the two shares (both must be ``SHARE_BYTES`` long)."""
    if len(db_share) != SHARE_BYTES or len(store_share) != SHARE_BYTES:
        raise ValueError(f"shares must be {SHARE_BYTES} bytes")
    return bytes(a ^ b for a, b in zip(db_share, store_share, strict=True))


class KeyShareStore(Protocol):
    """Per-subject secrets kept outside the database, that can be destroyed one by one."""

    def create(self, subject_id: str) -> bytes:
        """Create the subject's share durably (or return the one that already exists)."""
        ...

    def get(self, subject_id: str) -> bytes | None:
        """The subject's share, or None once it was destroyed (or never created)."""
        ...

    def destroy(self, subject_id: str) -> bool:
        """Delete the subject's share durably; True if it existed."""
        ...


class FileShareStore:
    """One key file per subject: ``<directory>/<first two chars>/<subject_id>.share.key``.

    Files are mode 0600 in 0700 directories, written through
    ``keyfiles.create_key_file`` (fsynced, published atomically, never
    overwritten), so two processes creating the same subject's share agree on
    one. The two-character fan-out keeps directories small (about 4,000
    files each at a million subjects) and keeps the shares out of the master
    key directory that ``FileKeyStore`` rescans.
    """

    def __init__(self, directory: Path) -> None:
        self._directory = Path(directory)
        self._prepared = False

    @property
    def directory(self) -> Path:
        return self._directory

    def create(self, subject_id: str) -> bytes:
        path = self._path(subject_id)
        self._prepare()
        shard = path.parent
        if not shard.is_dir():
            try:
                shard.mkdir(mode=0o700, exist_ok=True)
            except OSError as exc:
                raise KeyStoreError(f"{shard}: cannot create share directory: {exc}") from exc
            keyfiles.fsync_dir(self._directory)
        try:
            keyfiles.create_key_file(path, keyfiles.KIND_SHARE)
        except OSError as exc:
            raise KeyStoreError(f"{path}: cannot write key share: {exc}") from exc
        share = self.get(subject_id)
        if share is None:  # deleted by a concurrent shred between create and read
            raise KeyStoreError(f"{path}: key share vanished while it was being created")
        return share

    def create_many(self, subject_ids: list[str]) -> dict[str, bytes]:
        """Shares for subjects that are new in the caller's transaction, made durable at once.

        One durability barrier for the whole list instead of three fsyncs per
        share (``keyfiles.create_fresh_key_files`` says why that is safe for
        new subjects only). A subject that already has a share raises
        ``KeyStoreError``.
        """
        self._prepare()
        paths = [self._path(subject_id) for subject_id in subject_ids]
        for shard in sorted({path.parent for path in paths}):
            if not shard.is_dir():
                try:
                    shard.mkdir(mode=0o700, exist_ok=True)
                except OSError as exc:
                    raise KeyStoreError(f"{shard}: cannot create share directory: {exc}") from exc
        try:
            made = keyfiles.create_fresh_key_files(paths, keyfiles.KIND_SHARE)
        except FileExistsError as exc:
            raise KeyStoreError(f"{exc.filename}: a key share exists for a new subject") from exc
        except OSError as exc:
            raise KeyStoreError(f"cannot write key shares: {exc}") from exc
        return dict(zip(subject_ids, made, strict=True))

    def get(self, subject_id: str) -> bytes | None:
        path = self._path(subject_id)
        try:
            return keyfiles.read_key_file(path, keyfiles.KIND_SHARE)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise KeyStoreError(f"{path}: cannot read key share: {exc}") from exc

    def destroy(self, subject_id: str) -> bool:
        path = self._path(subject_id)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise KeyStoreError(f"{path}: cannot delete key share: {exc}") from exc
        keyfiles.fsync_dir(path.parent)
        return True

    def _path(self, subject_id: str) -> Path:
        if not _SUBJECT_ID_RE.fullmatch(subject_id):
            raise ValueError(f"subject id not usable as a key-share name: {subject_id!r}")
        return self._directory / subject_id[:2] / f"{subject_id}.share.key"

    def _prepare(self) -> None:
        if not self._prepared:
            keyfiles.prepare_directory(self._directory.parent)
            keyfiles.prepare_directory(self._directory)
            self._prepared = True
