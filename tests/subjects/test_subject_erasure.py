"""Erasure: the key is destroyed, identities deleted, the subject marked; idempotent and atomic."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.subjects.factories import ACTOR, EMAIL, SubjectFactory, store

from privacyops.audit import service as audit
from privacyops.audit.models import AuditEvent
from privacyops.db import Database
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import SubjectError
from privacyops.subjects.models import Identity, PersonalRecord, Subject
from privacyops.vault.errors import KeyDestroyedError
from privacyops.vault.models import SubjectKey
from privacyops.vault.service import Vault


def _decrypt_all(db: Database, vault: Vault, subject_id: str) -> list[str]:
    with db.unit_of_work() as session:
        return [
            vault.decrypt_text(
                session=session,
                subject_id=subject_id,
                category=row.category,
                field=row.field,
                ciphertext=row.ciphertext,
            )
            for row in session.scalars(
                select(PersonalRecord).where(PersonalRecord.subject_id == subject_id)
            )
        ]


def test_erasure_destroys_the_key_deletes_identities_and_marks_the_subject(
    db: Database, vault: Vault, make_subject: SubjectFactory
) -> None:
    subject_id = make_subject(email=EMAIL, phone="13812345678", with_values=True)
    kept = make_subject(email="kept@example.com", with_values=True)
    with db.unit_of_work() as session:
        assert subjects.erase(session=session, vault=vault, subject_id=subject_id, actor=ACTOR)
    with db.unit_of_work() as session:
        subject = session.get_one(Subject, subject_id)
        assert subject.state == "erased"
        assert subject.erased_at is not None
        assert subject.closed_at is not None
        assert subjects.identities_of(session=session, subject_id=subject_id) == []
        assert (
            subjects.find_subject_by(session=session, vault=vault, kind="email", value=EMAIL)
            is None
        )
        key = session.get_one(SubjectKey, subject_id)
        assert (key.wrapped_key, key.key_id) == (None, None)
        assert key.destroyed_at is not None
        assert session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "subject.erased")
        ).all() == [{"identities_deleted": 2}]
    with pytest.raises(KeyDestroyedError):
        _decrypt_all(db, vault, subject_id)
    assert len(_decrypt_all(db, vault, kept)) == 3


def test_erasing_twice_records_nothing_the_second_time(
    db: Database, vault: Vault, make_subject: SubjectFactory
) -> None:
    subject_id = make_subject(email=EMAIL, with_values=True)
    with db.unit_of_work() as session:
        assert subjects.erase(session=session, vault=vault, subject_id=subject_id, actor=ACTOR)
    with db.unit_of_work() as session:
        events = session.scalar(select(func.count()).select_from(AuditEvent))
        assert not subjects.erase(session=session, vault=vault, subject_id=subject_id, actor=ACTOR)
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
    with db.unit_of_work() as session:
        assert audit.verify(session=session).ok


def test_a_failed_erasure_changes_nothing(
    db: Database, vault: Vault, make_subject: SubjectFactory
) -> None:
    subject_id = make_subject(email=EMAIL, with_values=True)

    def erase_then_fail() -> None:
        with db.unit_of_work() as session:
            subjects.erase(session=session, vault=vault, subject_id=subject_id, actor=ACTOR)
            raise RuntimeError("the next step of the request failed")

    with pytest.raises(RuntimeError):
        erase_then_fail()
    with db.unit_of_work() as session:
        assert session.get_one(Subject, subject_id).state == "active"
        assert session.scalar(select(func.count()).select_from(Identity)) == 1
        assert session.get_one(SubjectKey, subject_id).destroyed_at is None
    assert EMAIL in _decrypt_all(db, vault, subject_id)


def test_an_erased_subject_whose_key_was_never_created_gets_none_later(
    db: Database, vault: Vault, make_subject: SubjectFactory
) -> None:
    subject_id = make_subject()
    with db.unit_of_work() as session:
        assert subjects.erase(session=session, vault=vault, subject_id=subject_id, actor=ACTOR)
    with pytest.raises(KeyDestroyedError), db.unit_of_work() as session:
        vault.encrypt(
            session=session, subject_id=subject_id, category="contact", field="name", value="x"
        )


def test_erased_records_are_purged_in_batches_and_only_after_erasure(
    db: Database, vault: Vault, make_subject: SubjectFactory
) -> None:
    subject_id = make_subject(with_values=True)
    with pytest.raises(SubjectError), db.unit_of_work() as session:
        records.purge_records(session=session, subject_id=subject_id)
    with db.unit_of_work() as session:
        subjects.erase(session=session, vault=vault, subject_id=subject_id, actor=ACTOR)
    with db.unit_of_work() as session:
        assert records.purge_records(session=session, subject_id=subject_id, limit=2) == 2
        assert records.purge_records(session=session, subject_id=subject_id, limit=2) == 1
        assert records.purge_records(session=session, subject_id=subject_id, limit=2) == 0


def test_a_value_stored_and_erased_in_one_transaction_is_unreadable(
    db: Database, vault: Vault, make_subject: SubjectFactory
) -> None:
    subject_id = make_subject()
    with db.unit_of_work() as session:
        store(session, vault, subject_id, "email", EMAIL)
        subjects.erase(session=session, vault=vault, subject_id=subject_id, actor=ACTOR)
    with pytest.raises(KeyDestroyedError):
        _decrypt_all(db, vault, subject_id)
