"""Personal values: stored encrypted with their six governing attributes, read masked or not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select
from tests.subjects.factories import ACTOR, EMAIL, NAME, PHONE, SubjectFactory

from privacyops.audit.models import AuditEvent
from privacyops.db import Database, utcnow
from privacyops.subjects import records
from privacyops.subjects.errors import SubjectErasedError, SubjectError
from privacyops.subjects.masking import mask_email, mask_phone, mask_value
from privacyops.subjects.models import PersonalRecord
from privacyops.vault.errors import IntegrityError
from privacyops.vault.service import Vault

GOVERNING = ("subject_id", "category", "purpose", "region", "collected_at", "expires_at")


def test_every_personal_record_carries_subject_category_purpose_region_time_and_expiry(
    db: Database, make_subject: SubjectFactory
) -> None:
    columns = {c.name: c for c in PersonalRecord.__table__.columns}
    assert set(GOVERNING) <= set(columns)
    assert [name for name in GOVERNING[:-1] if columns[name].nullable] == []
    subject_id = make_subject(with_values=True)
    with db.unit_of_work() as session:
        rows = session.scalars(select(PersonalRecord)).all()
        assert len(rows) == 3
        for row in rows:
            assert row.subject_id == subject_id
            assert (row.category, row.purpose, row.region) == ("contact", "service_support", "cn")
            assert row.collected_at.tzinfo is not None
            assert row.expires_at is not None
            assert row.expires_at > row.collected_at
            assert (row.notice_version, row.source) == ("1.0.0", "form")


def test_a_stored_value_is_ciphertext_bound_to_its_subject_category_and_field(
    db: Database, vault: Vault, make_subject: SubjectFactory
) -> None:
    subject_id = make_subject(with_values=True)
    with db.unit_of_work() as session:
        row = session.scalars(select(PersonalRecord).where(PersonalRecord.field == "email")).one()
        assert EMAIL.encode() not in row.ciphertext
        assert row.ciphertext[0] == 1
        assert len(row.ciphertext) == len(EMAIL) + 29
        plain = vault.decrypt_text(
            session=session,
            subject_id=subject_id,
            category="contact",
            field="email",
            ciphertext=row.ciphertext,
        )
        assert plain == EMAIL
        with pytest.raises(IntegrityError):
            vault.decrypt(
                session=session,
                subject_id=subject_id,
                category="contact",
                field="phone",
                ciphertext=row.ciphertext,
            )


def test_staff_with_read_personal_see_values_and_the_disclosure_is_audited(
    db: Database, vault: Vault, make_subject: SubjectFactory
) -> None:
    subject_id = make_subject(with_values=True)
    with db.unit_of_work() as session:
        values = records.values_of(
            session=session, vault=vault, subject_id=subject_id, reveal=True, actor=ACTOR
        )
        assert {(v.field, v.value, v.masked) for v in values} == {
            ("name", NAME, False),
            ("email", EMAIL, False),
            ("phone", PHONE, False),
        }
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "subject.values_revealed")
        ).one()
        assert event.details == {"count": 3, "category": None}


def test_staff_without_read_personal_see_masked_values_and_nothing_is_disclosed(
    db: Database, vault: Vault, make_subject: SubjectFactory
) -> None:
    subject_id = make_subject(with_values=True)
    with db.unit_of_work() as session:
        values = records.values_of(
            session=session, vault=vault, subject_id=subject_id, reveal=False, actor=ACTOR
        )
        assert {v.field: v.value for v in values} == {
            "name": "Z***",
            "email": "A***@Example.com",
            "phone": "+86138****5678",
        }
        assert all(v.masked for v in values)
        assert (
            session.scalar(select(AuditEvent).where(AuditEvent.action == "subject.values_revealed"))
            is None
        )


@pytest.mark.parametrize(
    ("field", "value", "masked"),
    [
        ("email", "alice@example.com", "a***@example.com"),
        ("phone", "13812345678", "138****5678"),
        ("phone", "+86 138-1234-5678", "+86138****5678"),
        ("phone", "5550123", "*****23"),
        ("contact", "bob@example.org", "b***@example.org"),
        ("name", "Li", "L***"),
        ("name", "X", "***"),
    ],
)
def test_masks_keep_the_shape_and_hide_the_middle(field: str, value: str, masked: str) -> None:
    assert mask_value(field, value) == masked


def test_mask_helpers_never_return_the_value() -> None:
    assert mask_email("no-at-sign") == "n***"
    assert mask_phone("13812345678") != "13812345678"


def test_values_can_be_read_one_category_at_a_time(
    db: Database, vault: Vault, make_subject: SubjectFactory
) -> None:
    subject_id = make_subject(with_values=True)
    with db.unit_of_work() as session:
        records.store_value(
            session=session,
            vault=vault,
            subject_id=subject_id,
            category="account",
            field="username",
            purpose="account_management",
            region="cn",
            value="azhang",
            expires_at=None,
            notice_version="1.0.0",
            source="form",
            actor=ACTOR,
        )
    with db.unit_of_work() as session:
        values = list(
            records.iter_values(
                session=session,
                vault=vault,
                subject_id=subject_id,
                reveal=True,
                category="account",
            )
        )
        assert [(v.field, v.value, v.expires_at) for v in values] == [("username", "azhang", None)]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"expires_at": datetime(2020, 1, 1, tzinfo=UTC)}, "expires_at"),
        ({"expires_at": datetime(2099, 1, 1)}, "expires_at"),
        ({"purpose": " "}, "purpose"),
        ({"region": ""}, "region"),
        ({"category": "c" * 65}, "category"),
    ],
)
def test_a_value_without_sound_governing_attributes_is_refused(
    db: Database,
    vault: Vault,
    make_subject: SubjectFactory,
    change: dict[str, object],
    field: str,
) -> None:
    subject_id = make_subject()
    arguments: dict[str, object] = {
        "category": "contact",
        "field": "email",
        "purpose": "service_support",
        "region": "cn",
        "value": "dan@example.com",
        "expires_at": utcnow() + timedelta(days=30),
        "notice_version": "1.0.0",
        "source": "form",
    } | change
    with pytest.raises(SubjectError) as refused, db.unit_of_work() as session:
        records.store_value(
            session=session,
            vault=vault,
            subject_id=subject_id,
            actor=ACTOR,
            **arguments,  # type: ignore[arg-type]
        )
    assert refused.value.field == field
    with db.unit_of_work() as session:
        assert session.scalar(select(PersonalRecord)) is None


def test_nothing_is_stored_for_an_erased_subject(
    db: Database, vault: Vault, make_subject: SubjectFactory
) -> None:
    from privacyops.subjects import service as subjects

    subject_id = make_subject(with_values=True)
    with db.unit_of_work() as session:
        subjects.erase(session=session, vault=vault, subject_id=subject_id, actor=ACTOR)
    with pytest.raises(SubjectErasedError), db.unit_of_work() as session:
        records.store_value(
            session=session,
            vault=vault,
            subject_id=subject_id,
            category="contact",
            field="email",
            purpose="service_support",
            region="cn",
            value="again@example.com",
            expires_at=None,
            notice_version="1.0.0",
            source="form",
            actor=ACTOR,
        )
    with pytest.raises(SubjectErasedError), db.unit_of_work() as session:
        records.values_of(
            session=session, vault=vault, subject_id=subject_id, reveal=True, actor=ACTOR
        )


def test_personal_record_has_the_indexes_the_sweeps_and_lookups_need(db: Database) -> None:
    indexes = inspect(db.engine).get_indexes("personal_record")
    assert {tuple(ix["column_names"]) for ix in indexes} >= {
        ("subject_id",),
        ("expires_at",),
        ("category",),
    }
