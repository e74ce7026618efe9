"""Crypto-shredding reaches backups: a backup restored after an erasure cannot be read.

The backup is taken while the subject is live and proven readable; the
subject is erased; the backup is restored over the live database. The
restored rows still hold the wrapped database share, and the master key
still unwraps it, but the key-store share is gone, so the data key cannot
be rebuilt from anything that exists.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, insert, select
from tests.conftest import TEST_SECRET, create_database
from tests.subjects.factories import ACTOR, EMAIL, SubjectFactory

from privacyops import migrate
from privacyops.db import Database
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.subjects.models import Identity, PersonalRecord, Subject
from privacyops.vault.errors import KeyDestroyedError
from privacyops.vault.keystore import FileKeyStore
from privacyops.vault.models import SubjectKey
from privacyops.vault.service import Vault
from privacyops.vault.shares import FileShareStore
from privacyops.vault.shredder import open_subject_key

TABLES: list[Table] = [
    Subject.__table__,  # type: ignore[list-item]
    Identity.__table__,  # type: ignore[list-item]
    SubjectKey.__table__,  # type: ignore[list-item]
    PersonalRecord.__table__,  # type: ignore[list-item]
]


@dataclass
class Backup:
    """Take a backup of the live database and restore it later, the way the dialect allows."""

    db: Database
    tmp: Path
    rows: dict[str, list[dict[str, Any]]] | None = None

    @property
    def sqlite_path(self) -> Path:
        return Path(self.db.url.removeprefix("sqlite:///"))

    def take(self) -> None:
        if self.db.engine.dialect.name == "sqlite":
            # The SQLite backup is a copy of the file, made after folding the WAL into it.
            with self.db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            self.db.dispose()
            shutil.copyfile(self.sqlite_path, self.tmp / "backup.db")
            return
        # On PostgreSQL, the rows of the subject and vault tables go to a second database.
        backup_url = create_database(self.tmp, "po_backup")
        migrate.upgrade(backup_url)
        backup = Database(backup_url, secret=TEST_SECRET)
        with self.db.engine.connect() as live, backup.engine.begin() as copy:
            for table in TABLES:
                rows = [dict(r._mapping) for r in live.execute(select(table))]
                if rows:
                    copy.execute(insert(table), rows)
        with backup.engine.connect() as conn:
            self.rows = {
                t.name: [dict(r._mapping) for r in conn.execute(select(t))] for t in TABLES
            }
        backup.dispose()

    def restore(self) -> None:
        if self.db.engine.dialect.name == "sqlite":
            self.db.dispose()
            for suffix in ("-wal", "-shm"):
                Path(f"{self.sqlite_path}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(self.tmp / "backup.db", self.sqlite_path)
            return
        assert self.rows is not None
        with self.db.engine.begin() as conn:
            for table in reversed(TABLES):
                conn.execute(table.delete())
            for table in TABLES:
                if self.rows[table.name]:
                    conn.execute(insert(table), self.rows[table.name])


@pytest.fixture
def live(tmp_path: Path, db: Database) -> Iterator[Database]:
    """The live database: the shared one on PostgreSQL, an own file on SQLite (to copy it)."""
    if db.engine.dialect.name != "sqlite":
        yield db
        return
    url = f"sqlite:///{tmp_path / 'live.db'}"
    migrate.upgrade(url)
    own = Database(url, secret=TEST_SECRET)
    yield own
    own.dispose()


def _values(db: Database, vault: Vault, subject_id: str) -> list[str]:
    with db.unit_of_work() as session:
        return [
            v.value
            for v in records.iter_values(
                session=session, vault=vault, subject_id=subject_id, reveal=True
            )
        ]


def test_a_backup_restored_after_erasure_is_unreadable(
    live: Database, tmp_path: Path, key_dir: Path
) -> None:
    vault = Vault(keystore=FileKeyStore(key_dir), shares=FileShareStore(key_dir / "subjects"))
    make = SubjectFactory(live, vault)
    erased = make(email=EMAIL, with_values=True)
    kept = make(email="kept@example.com", with_values=True)
    backup = Backup(live, tmp_path)
    backup.take()
    assert EMAIL in _values(live, vault, erased)

    with live.unit_of_work() as session:
        subjects.erase(session=session, vault=vault, subject_id=erased, actor=ACTOR)
    backup.restore()

    # A new process after the restore: no cached keys, the key directory as it is now.
    restored = Vault(keystore=FileKeyStore(key_dir), shares=FileShareStore(key_dir / "subjects"))
    with live.unit_of_work() as session:
        subject = session.get_one(Subject, erased)
        assert subject.state == "active"  # the backup predates the erasure...
        row = session.get_one(SubjectKey, erased)
        assert row.wrapped_key is not None
        assert row.destroyed_at is None
        open_subject_key(restored.keystore, erased, row.wrapped_key)  # ...its share still opens
    with pytest.raises(KeyDestroyedError):
        _values(live, restored, erased)
    with pytest.raises(KeyDestroyedError):
        _values(live, vault, erased)
    assert "kept@example.com" in _values(live, restored, kept)
