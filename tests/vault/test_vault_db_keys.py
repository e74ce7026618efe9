"""Subject data keys in the database: split in two shares, created once, shredded after commit."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.subjects.factories import SubjectFactory

from privacyops.audit.models import AuditEvent
from privacyops.db import Database
from privacyops.settings import Settings
from privacyops.vault.errors import KeyDestroyedError
from privacyops.vault.keystore import FileKeyStore
from privacyops.vault.models import SubjectKey
from privacyops.vault.service import NoDataKeyError, Vault
from privacyops.vault.shares import FileShareStore, combine_shares
from privacyops.vault.shredder import open_subject_key

ACTOR = "staff:test"


@pytest.fixture
def vault(key_dir: Path) -> Vault:
    return Vault(keystore=FileKeyStore(key_dir), shares=FileShareStore(key_dir / "subjects"))


@pytest.fixture
def subject_id(db: Database, vault: Vault) -> str:
    return SubjectFactory(db, vault)()


def _encrypt(db: Database, vault: Vault, subject_id: str, value: str = "v") -> bytes:
    with db.unit_of_work() as session:
        return vault.encrypt(
            session=session, subject_id=subject_id, category="contact", field="name", value=value
        )


def _decrypt(db: Database, vault: Vault, subject_id: str, blob: bytes) -> str:
    with db.unit_of_work() as session:
        return vault.decrypt_text(
            session=session,
            subject_id=subject_id,
            category="contact",
            field="name",
            ciphertext=blob,
        )


def test_the_data_key_is_two_shares_one_wrapped_in_the_db_one_in_the_key_dir(
    db: Database, vault: Vault, subject_id: str, key_dir: Path
) -> None:
    blob = _encrypt(db, vault, subject_id, "hello")
    with db.unit_of_work() as session:
        row = session.get_one(SubjectKey, subject_id)
        assert row.key_id == "k1"
        assert row.wrapped_key is not None
        db_share = open_subject_key(vault.keystore, subject_id, row.wrapped_key)
    share_file = key_dir / "subjects" / subject_id[:2] / f"{subject_id}.share.key"
    assert share_file.stat().st_mode & 0o777 == 0o600
    store_share = FileShareStore(key_dir / "subjects").get(subject_id)
    assert store_share is not None
    assert store_share != db_share
    fresh = Vault(keystore=FileKeyStore(key_dir), shares=FileShareStore(key_dir / "subjects"))
    assert _decrypt(db, fresh, subject_id, blob) == "hello"
    assert len(combine_shares(db_share, store_share)) == 32


def test_a_subject_gets_one_key_however_often_it_is_used(
    db: Database, vault: Vault, subject_id: str
) -> None:
    blobs = [_encrypt(db, vault, subject_id, f"value {n}") for n in range(3)]
    vault.cache.clear()
    assert [_decrypt(db, vault, subject_id, b) for b in blobs] == ["value 0", "value 1", "value 2"]
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(SubjectKey)) == 1


def test_decrypting_for_a_subject_without_a_key_says_so(
    db: Database, vault: Vault, subject_id: str
) -> None:
    with pytest.raises(NoDataKeyError):
        _decrypt(db, vault, subject_id, b"\x01" + b"0" * 40)


def test_a_key_created_in_a_rolled_back_transaction_is_never_used_again(
    db: Database, vault: Vault, subject_id: str
) -> None:
    def create_then_fail() -> None:
        with db.unit_of_work() as session:
            vault.create_key(session=session, subject_id=subject_id)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        create_then_fail()
    with db.unit_of_work() as session:
        assert session.get(SubjectKey, subject_id) is None
    blob = _encrypt(db, vault, subject_id, "after the rollback")
    vault.cache.clear()
    assert _decrypt(db, vault, subject_id, blob) == "after the rollback"


def test_shredding_is_audited_once_and_a_second_call_is_a_no_op(
    db: Database, vault: Vault, subject_id: str
) -> None:
    blob = _encrypt(db, vault, subject_id)
    with db.unit_of_work() as session:
        assert vault.shred(session=session, subject_id=subject_id, actor=ACTOR) is True
    with db.unit_of_work() as session:
        assert vault.shred(session=session, subject_id=subject_id, actor=ACTOR) is False
    with db.unit_of_work() as session:
        events = session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "vault.key_destroyed")
        ).all()
        assert events == [{"had_key": True}]
    with pytest.raises(KeyDestroyedError):
        _decrypt(db, vault, subject_id, blob)


def test_the_key_store_share_is_deleted_only_when_the_erasure_commits(
    db: Database, vault: Vault, subject_id: str, key_dir: Path
) -> None:
    blob = _encrypt(db, vault, subject_id, "still here")
    shares = FileShareStore(key_dir / "subjects")

    def shred_then_fail() -> None:
        with db.unit_of_work() as session:
            vault.shred(session=session, subject_id=subject_id, actor=ACTOR)
            assert shares.get(subject_id) is not None  # not before the commit
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        shred_then_fail()
    assert shares.get(subject_id) is not None
    assert _decrypt(db, vault, subject_id, blob) == "still here"
    with db.unit_of_work() as session:
        vault.shred(session=session, subject_id=subject_id, actor=ACTOR)
        assert shares.get(subject_id) is not None
    assert shares.get(subject_id) is None
    assert subject_id not in vault.cache


def test_a_share_deletion_lost_after_the_commit_is_finished_by_the_repair_sweep(
    db: Database,
    vault: Vault,
    subject_id: str,
    key_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    blob = _encrypt(db, vault, subject_id)
    shares = FileShareStore(key_dir / "subjects")

    def crash(_subject_id: str) -> bool:
        raise OSError("power cut")

    with monkeypatch.context() as patch, caplog.at_level(logging.ERROR):
        patch.setattr(vault._shares, "destroy", crash)
        with db.unit_of_work() as session:
            vault.shred(session=session, subject_id=subject_id, actor=ACTOR)
    assert "repair sweep" in caplog.text
    assert shares.get(subject_id) is not None  # the erasure committed, the deletion did not run
    with db.unit_of_work() as session:
        assert vault.complete_shreds(session=session) == 1
        assert vault.complete_shreds(session=session) == 0
    assert shares.get(subject_id) is None
    with pytest.raises(KeyDestroyedError):
        _decrypt(db, vault, subject_id, blob)


def test_a_missing_key_store_share_reads_as_shredded(
    db: Database, vault: Vault, subject_id: str, key_dir: Path
) -> None:
    blob = _encrypt(db, vault, subject_id)
    FileShareStore(key_dir / "subjects").destroy(subject_id)
    vault.cache.clear()
    with pytest.raises(KeyDestroyedError):
        _decrypt(db, vault, subject_id, blob)


def test_from_settings_gives_one_vault_per_key_directory(
    settings: Settings, tmp_path: Path
) -> None:
    assert Vault.from_settings(settings) is Vault.from_settings(settings)
    other = settings.model_copy(update={"key_dir": tmp_path / "other-keys"})
    assert Vault.from_settings(other) is not Vault.from_settings(settings)
