"""Master key rotation: data stays readable, an interrupted run is finished by the next one."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from tests.conftest import TEST_SECRET
from tests.subjects.factories import SubjectFactory
from typer.testing import CliRunner

from privacyops.audit import service as audit
from privacyops.audit.models import AuditEvent
from privacyops.db import Database
from privacyops.settings import Settings
from privacyops.vault import rotation
from privacyops.vault.cli import keys_app
from privacyops.vault.keystore import FileKeyStore
from privacyops.vault.models import SubjectKey
from privacyops.vault.service import Vault
from privacyops.vault.shares import FileShareStore

ACTOR = "staff:test"


class SimulatedCrashError(Exception):
    """Stands for the process dying mid-way."""


@pytest.fixture
def vault(key_dir: Path) -> Vault:
    return Vault(keystore=FileKeyStore(key_dir), shares=FileShareStore(key_dir / "subjects"))


def _subjects_with_data(db: Database, vault: Vault, count: int) -> dict[str, bytes]:
    make = SubjectFactory(db, vault)
    blobs: dict[str, bytes] = {}
    for n in range(count):
        subject_id = make()
        with db.unit_of_work() as session:
            blobs[subject_id] = vault.encrypt(
                session=session,
                subject_id=subject_id,
                category="contact",
                field="name",
                value=f"person {n}",
            )
    return blobs


def _readable(db: Database, vault: Vault, blobs: dict[str, bytes]) -> list[str]:
    vault.cache.clear()
    with db.unit_of_work() as session:
        return [
            vault.decrypt_text(
                session=session,
                subject_id=subject_id,
                category="contact",
                field="name",
                ciphertext=blob,
            )
            for subject_id, blob in blobs.items()
        ]


def _key_ids(db: Database) -> list[str | None]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(SubjectKey.key_id).order_by(SubjectKey.subject_id)))


def test_rotation_rewraps_every_key_and_keeps_data_readable(db: Database, vault: Vault) -> None:
    blobs = _subjects_with_data(db, vault, 5)
    before = _readable(db, vault, blobs)
    with db.unit_of_work() as session:
        result = vault.rotate_master(session=session, actor=ACTOR, batch=2)
    assert (result.key_id, result.created_key, result.rewrapped, result.failed) == (
        "k2",
        True,
        5,
        0,
    )
    assert _key_ids(db) == ["k2"] * 5
    assert _readable(db, vault, blobs) == before
    with db.unit_of_work() as session:
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.like("vault.%"))
            .order_by(AuditEvent.id)
        ).all()
        assert actions == ["vault.master_key_rotated", "vault.subject_keys_rewrapped"]
        assert audit.verify(session=session).ok


def test_a_rotation_interrupted_mid_way_is_finished_by_the_next_run(
    db: Database, vault: Vault
) -> None:
    blobs = _subjects_with_data(db, vault, 7)
    calls: list[tuple[int, int]] = []

    def crash_after_first_batch(done: int, total: int) -> None:
        calls.append((done, total))
        if done >= 3:
            raise SimulatedCrashError

    with pytest.raises(SimulatedCrashError), db.unit_of_work() as session:
        vault.rotate_master(
            session=session,
            actor=ACTOR,
            batch=3,
            checkpoint=session.commit,
            progress=crash_after_first_batch,
        )
    assert calls == [(0, 7), (3, 7)]
    assert sorted(_key_ids(db), key=str) == ["k1"] * 4 + ["k2"] * 3  # one batch committed
    assert _readable(db, vault, blobs) == [f"person {n}" for n in range(7)]

    with db.unit_of_work() as session:
        result = vault.rotate_master(
            session=session, actor=ACTOR, batch=3, checkpoint=session.commit
        )
    assert (result.key_id, result.created_key) == ("k2", False)  # finished, no k3
    assert (result.rewrapped, result.already_current, result.failed) == (4, 3, 0)
    assert _key_ids(db) == ["k2"] * 7
    assert _readable(db, vault, blobs) == [f"person {n}" for n in range(7)]


def test_rotation_skips_shredded_keys_and_never_revives_them(db: Database, vault: Vault) -> None:
    blobs = _subjects_with_data(db, vault, 3)
    shredded = next(iter(blobs))
    with db.unit_of_work() as session:
        vault.shred(session=session, subject_id=shredded, actor=ACTOR)
    with db.unit_of_work() as session:
        result = vault.rotate_master(session=session, actor=ACTOR)
    assert (result.rewrapped, result.failed) == (2, 0)
    with db.unit_of_work() as session:
        row = session.get_one(SubjectKey, shredded)
        assert (row.wrapped_key, row.key_id) == (None, None)


def test_a_rewrap_racing_a_shred_does_not_write_the_key_back(db: Database, vault: Vault) -> None:
    (subject_id,) = _subjects_with_data(db, vault, 1)
    with db.unit_of_work() as session:
        row = session.get_one(SubjectKey, subject_id)
        stale = (row.key_id, row.wrapped_key)
    vault.keystore.rotate()
    with db.unit_of_work() as session:
        vault.shred(session=session, subject_id=subject_id, actor=ACTOR)
    with db.unit_of_work() as session:  # the rotation read the row before the shred committed
        outcome = rotation._rewrap_row(vault.keystore, session, subject_id, *stale)
        assert outcome == "gone"
    with db.unit_of_work() as session:
        row = session.get_one(SubjectKey, subject_id)
        assert (row.wrapped_key, row.key_id) == (None, None)


def test_a_tampered_key_is_counted_as_failed_and_does_not_stall_the_run(
    db: Database, vault: Vault
) -> None:
    blobs = _subjects_with_data(db, vault, 3)
    broken = sorted(blobs)[0]
    with db.unit_of_work() as session:
        row = session.get_one(SubjectKey, broken)
        assert row.wrapped_key is not None
        row.wrapped_key = row.wrapped_key[:-1] + bytes([row.wrapped_key[-1] ^ 1])
    with db.unit_of_work() as session:
        result = vault.rotate_master(session=session, actor=ACTOR, batch=1)
    assert (result.rewrapped, result.failed) == (2, 1)


def test_status_counts_subject_keys_per_master_key(db: Database, vault: Vault) -> None:
    blobs = _subjects_with_data(db, vault, 3)
    with db.unit_of_work() as session:
        vault.shred(session=session, subject_id=next(iter(blobs)), actor=ACTOR)
    vault.keystore.rotate()
    with db.unit_of_work() as session:
        report = vault.status(session=session)
    assert [(u.key_id, u.current, u.in_store, u.subject_keys) for u in report.master_keys] == [
        ("k1", False, True, 2),
        ("k2", True, True, 0),
    ]
    assert report.destroyed == 1


def test_the_keys_commands_rotate_and_report(
    settings: Settings, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_dir = tmp_path / "cli-keys"
    vault = Vault.from_settings(settings.model_copy(update={"key_dir": key_dir}))
    blobs = _subjects_with_data(db, vault, 2)
    for name, value in {
        "database_url": settings.database_url,
        "key_dir": key_dir,
        "secret_key": TEST_SECRET,
        "env": "test",
    }.items():
        monkeypatch.setenv(f"PRIVACYOPS_{name.upper()}", str(value))
    runner = CliRunner()
    rotated = runner.invoke(keys_app, ["rotate", "--batch", "1"])
    assert rotated.exit_code == 0, rotated.output
    assert "new master key k2" in rotated.output
    assert "2 subject keys rewrapped" in rotated.output
    status = runner.invoke(keys_app, ["status"])
    assert status.exit_code == 0, status.output
    assert "k1" in status.output
    assert "k2" in status.output
    assert "shredded subject keys: 0" in status.output
    finished = runner.invoke(keys_app, ["finish-shreds"])
    assert finished.exit_code == 0
    assert "nothing to finish" in finished.output
    assert _readable(db, vault, blobs) == ["person 0", "person 1"]
