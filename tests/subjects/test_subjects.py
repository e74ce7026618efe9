"""Subjects, identities by blind index, state changes and the conflict rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.subjects.factories import ACTOR, SubjectFactory

from privacyops.audit.models import AuditEvent
from privacyops.db import Database
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import IdentityConflictError, SubjectError
from privacyops.subjects.models import Identity, Subject, SubjectKind, SubjectState
from privacyops.vault.service import Vault

ROOT = Path(__file__).resolve().parents[2]


def test_subject_kinds_are_the_declarations_data_subjects() -> None:
    loader = pytest.importorskip("privacyops.policy.loader")
    declaration = loader.load_declaration(ROOT / "policy" / "fstsmart.yaml")
    assert {s.key for s in declaration.data_subjects} == {k.value for k in SubjectKind}


@pytest.mark.parametrize(
    ("country", "region", "regime"),
    [("DE", None, "EU"), ("US", "CA", "US-CA"), ("us-ca", None, "US-CA"), ("CN", None, "CN")],
)
def test_jurisdiction_is_derived_from_country_and_region(
    db: Database, country: str, region: str | None, regime: str
) -> None:
    with db.unit_of_work() as session:
        subject = subjects.create_subject(
            session=session, kind="customer", country=country, region_code=region, actor=ACTOR
        )
        assert subject.jurisdiction == regime
        assert subject.state == SubjectState.ACTIVE
        assert subject.age_status == "unknown"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "robot"}, "kind"),
        ({"kind": "customer", "country": "Germany"}, "country"),
        ({"kind": "customer", "jurisdiction": "ATLANTIS"}, "jurisdiction"),
        ({"kind": "customer", "age_status": "teen"}, "age_status"),
    ],
)
def test_bad_subject_input_is_refused_naming_the_field(
    db: Database, kwargs: dict[str, str], field: str
) -> None:
    with pytest.raises(SubjectError) as refused, db.unit_of_work() as session:
        subjects.create_subject(session=session, actor=ACTOR, **kwargs)
    assert refused.value.field == field
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Subject)) == 0


@pytest.mark.parametrize(
    ("kind", "stored", "variants"),
    [
        (
            "email",
            "Alice.Zhang@Example.com",
            [" alice.zhang@example.COM ", "ALICE.ZHANG@EXAMPLE.COM"],
        ),
        ("phone", "+86 138-1234-5678", ["13812345678", "0086 138 1234 5678", "8613812345678"]),
        ("device_serial", "fst-a1-00042", [" FST-A1-00042"]),
    ],
)
def test_identity_lookup_works_across_normalisation_variants(
    db: Database,
    vault: Vault,
    make_subject: SubjectFactory,
    kind: str,
    stored: str,
    variants: list[str],
) -> None:
    subject_id = make_subject()
    with db.unit_of_work() as session:
        subjects.add_identity(
            session=session,
            vault=vault,
            subject_id=subject_id,
            kind=kind,
            value=stored,
            actor=ACTOR,
        )
    with db.unit_of_work() as session:
        for variant in variants:
            found = subjects.find_subject_by(session=session, vault=vault, kind=kind, value=variant)
            assert found is not None, variant
            assert found.id == subject_id, variant
        other_kind = "account_id" if kind != "account_id" else "cookie_id"
        assert (
            subjects.find_subject_by(session=session, vault=vault, kind=other_kind, value=stored)
            is None
        )


def test_identity_rows_hold_the_blind_index_and_never_the_value(
    db: Database, vault: Vault, make_subject: SubjectFactory
) -> None:
    subject_id = make_subject(email="bob@example.org")
    with db.unit_of_work() as session:
        (identity,) = subjects.identities_of(session=session, subject_id=subject_id)
        assert identity.kind == "email"
        assert identity.blind_index == vault.index("email", "bob@example.org")
        assert len(identity.blind_index) == 16
        assert set(Identity.__table__.columns.keys()) == {
            "id",
            "subject_id",
            "kind",
            "blind_index",
            "created_at",
        }


def test_an_identity_bound_to_another_subject_is_refused_with_a_clear_error(
    db: Database, vault: Vault, make_subject: SubjectFactory
) -> None:
    owner = make_subject(email="carol@example.com")
    other = make_subject()
    with pytest.raises(IdentityConflictError) as refused, db.unit_of_work() as session:
        subjects.add_identity(
            session=session,
            vault=vault,
            subject_id=other,
            kind="email",
            value="  CAROL@example.com",
            actor=ACTOR,
        )
    assert str(refused.value) == "this email is already bound to another data subject"
    assert refused.value.code == "conflict"
    assert refused.value.field == "value"
    assert refused.value.other_subject_id == owner
    with db.unit_of_work() as session:
        assert subjects.identities_of(session=session, subject_id=other) == []


def test_binding_the_same_identity_to_the_same_subject_again_changes_nothing(
    db: Database, vault: Vault, make_subject: SubjectFactory
) -> None:
    subject_id = make_subject(phone="13812345678")
    with db.unit_of_work() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent))
        again = subjects.add_identity(
            session=session,
            vault=vault,
            subject_id=subject_id,
            kind="phone",
            value="+86 138 1234 5678",
            actor=ACTOR,
        )
        assert again.subject_id == subject_id
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
        assert len(subjects.identities_of(session=session, subject_id=subject_id)) == 1


def test_an_invalid_identity_value_is_refused_naming_the_field(
    db: Database, vault: Vault, make_subject: SubjectFactory
) -> None:
    subject_id = make_subject()
    with pytest.raises(SubjectError) as refused, db.unit_of_work() as session:
        subjects.add_identity(
            session=session,
            vault=vault,
            subject_id=subject_id,
            kind="email",
            value="not an address",
            actor=ACTOR,
        )
    assert refused.value.field == "value"


def test_restricting_and_reactivating_a_subject_is_audited(
    db: Database, make_subject: SubjectFactory
) -> None:
    subject_id = make_subject()
    with db.unit_of_work() as session:
        subjects.set_state(session=session, subject_id=subject_id, state="restricted", actor=ACTOR)
        subjects.set_state(session=session, subject_id=subject_id, state="restricted", actor=ACTOR)
        subjects.set_state(session=session, subject_id=subject_id, state="active", actor=ACTOR)
    with db.unit_of_work() as session:
        changes = session.scalars(
            select(AuditEvent.details)
            .where(AuditEvent.action == "subject.state_changed")
            .order_by(AuditEvent.id)
        ).all()
        assert changes == [
            {"from": "active", "to": "restricted"},
            {"from": "restricted", "to": "active"},
        ]


def test_set_state_refuses_erased_as_a_target(db: Database, make_subject: SubjectFactory) -> None:
    subject_id = make_subject()
    with pytest.raises(SubjectError) as refused, db.unit_of_work() as session:
        subjects.set_state(session=session, subject_id=subject_id, state="erased", actor=ACTOR)
    assert refused.value.field == "state"


def test_an_unknown_subject_is_a_not_found_error(db: Database) -> None:
    with pytest.raises(SubjectError) as refused, db.unit_of_work() as session:
        subjects.get_subject(session=session, subject_id="no-such-subject")
    assert refused.value.code == "not_found"


def test_services_of_subjects_and_vault_never_commit() -> None:
    offenders = [
        path.name
        for folder in ("subjects", "vault")
        for path in (ROOT / "src" / "privacyops" / folder).glob("*.py")
        if path.name != "cli.py" and ".commit(" in path.read_text()
    ]
    assert offenders == []
