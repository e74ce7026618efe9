"""Batch intake: each record checked and stored like a single submission, written set-wise."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from privacyops.app import explicit_consent
from privacyops.audit import service as audit
from privacyops.audit.models import AuditEvent
from privacyops.collection import batch
from privacyops.collection.intake import Intake, IntakeError
from privacyops.collection.models import TextFinding
from privacyops.db import Database, utcnow
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings
from privacyops.staff.permissions import Role
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.subjects.models import Identity, PersonalRecord, Subject
from privacyops.vault.models import SubjectKey
from privacyops.vault.service import Vault

NOTICE = "1.0.0"


def contact(i: int, **extra: object) -> dict[str, object]:
    return {"name": f"Person {i}", "email": f"p{i}@example.com", "company": "Grid Co.", **extra}


@pytest.fixture
def vault(settings: Settings) -> Vault:
    return Vault.from_settings(settings)


@pytest.fixture
def take(db: Database, vault: Vault, settings: Settings) -> Callable[..., batch.BatchResult]:
    declaration = PolicyStore(settings.policy).declaration

    def run(rows: list[batch.BatchRow], **options: object) -> batch.BatchResult:
        arguments: dict[str, object] = {
            "category": "contact",
            "purpose": "service_support",
            "kind": "prospect",
            "notice_version": NOTICE,
            "source": "import",
            **options,
        }
        with db.unit_of_work() as session:
            intake = Intake(
                session=session,
                vault=vault,
                declaration=declaration,
                actor="staff:test",
                explicit_consent=explicit_consent,
            )
            return batch.intake_batch(intake, rows=rows, **arguments)  # type: ignore[arg-type]

    return run


@contextmanager
def reading(db: Database) -> Iterator[Session]:
    with db.unit_of_work() as session:
        yield session


def count(db: Database, model: type[object]) -> int:
    with reading(db) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[arg-type]


def test_records_are_encrypted_per_subject_readable_and_found_by_blind_index(
    take: Callable[..., batch.BatchResult], db: Database, vault: Vault
) -> None:
    result = take([batch.BatchRow(line=i, fields=contact(i), country="DE") for i in range(3)])
    assert [a.line for a in result.accepted] == [0, 1, 2]
    assert result.records == 9
    assert not result.rejected
    with reading(db) as session:
        found = subjects.find_subject_by(
            session=session, vault=vault, kind="email", value="P1@Example.com"
        )
        assert found is not None
        assert found.id == result.accepted[1].subject_id
        assert found.jurisdiction == "EU"
        assert found.kind == "prospect"
        values = records.values_of(
            session=session, vault=vault, subject_id=found.id, reveal=True, actor="staff:test"
        )
        assert {v.field: v.value for v in values} == {
            "name": "Person 1",
            "email": "p1@example.com",
            "company": "Grid Co.",
        }
        assert {(v.category, v.purpose, v.region, v.source) for v in values} == {
            ("contact", "service_support", "cn", "import")
        }
        assert all(v.collected_at is not None and v.expires_at is None for v in values)
        rows = session.scalars(select(PersonalRecord)).all()
        assert all(b"Person" not in r.ciphertext for r in rows)
        assert session.scalar(select(func.count()).select_from(SubjectKey)) == 3
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "subject.batch_stored")
        ).all()
        assert len(events) == 1
        assert events[0].details["records_stored"] == 9
        assert events[0].details["subjects_created"] == 3
        assert sorted(events[0].details["subject_ids"]) == sorted(
            a.subject_id for a in result.accepted
        )
        assert audit.verify(session=session).ok


def test_a_bad_row_is_rejected_with_its_line_and_nothing_of_it_is_stored(
    take: Callable[..., batch.BatchResult], db: Database
) -> None:
    rows = [
        batch.BatchRow(line=2, fields=contact(1)),
        batch.BatchRow(line=3, fields=contact(2, email="not-an-email")),
        batch.BatchRow(line=4, fields=contact(3, shoe_size="44")),
        batch.BatchRow(line=5, fields={"email": "p5@example.com"}),
        batch.BatchRow(line=6, fields=contact(6)),
    ]
    result = take(rows)
    assert [a.line for a in result.accepted] == [2, 6]
    assert [(r.line, r.field) for r in result.rejected] == [
        (3, "fields.email"),
        (4, "fields.shoe_size"),
        (5, "fields.name"),
    ]
    assert "not declared" in result.rejected[1].message
    assert count(db, Subject) == 2
    assert count(db, PersonalRecord) == 6
    assert count(db, Identity) == 2


def test_a_batch_level_problem_refuses_the_whole_batch(
    take: Callable[..., batch.BatchResult], db: Database
) -> None:
    with pytest.raises(IntakeError, match="not declared for purpose"):
        take([batch.BatchRow(line=1, fields=contact(1))], purpose="product_analytics")
    with pytest.raises(IntakeError, match="never published"):
        take([batch.BatchRow(line=1, fields=contact(1))], notice_version="0.0.1")
    assert count(db, Subject) == 0


def test_rows_of_one_person_share_a_subject_and_a_rerun_skips_them(
    take: Callable[..., batch.BatchResult], db: Database
) -> None:
    first = take(
        [
            batch.BatchRow(line=1, fields=contact(1)),
            batch.BatchRow(line=2, fields=contact(1, phone="+86 138 0000 0001")),
        ]
    )
    assert first.accepted[0].subject_id == first.accepted[1].subject_id
    assert [a.created for a in first.accepted] == [True, False]
    assert count(db, Identity) == 2  # the e-mail once, the phone added
    again = take([batch.BatchRow(line=1, fields=contact(1))], skip_existing=True)
    assert again.skipped == [1]
    assert not again.accepted
    appended = take([batch.BatchRow(line=1, fields=contact(1))], skip_existing=False)
    assert appended.accepted[0].subject_id == first.accepted[0].subject_id
    assert count(db, Subject) == 1


def test_identities_of_two_subjects_are_refused_and_an_erased_one_is_not_found(
    take: Callable[..., batch.BatchResult], db: Database, vault: Vault
) -> None:
    made = take(
        [
            batch.BatchRow(line=1, fields=contact(1)),
            batch.BatchRow(line=2, fields=contact(2)),
            batch.BatchRow(line=3, fields=contact(3, phone="+8613800000003")),
        ]
    )
    with reading(db) as session:
        subjects.erase(
            session=session, vault=vault, subject_id=made.accepted[1].subject_id, actor="t"
        )
    taken = take(
        [
            batch.BatchRow(line=7, fields=contact(1, phone="+86 138 0000 0003")),
            batch.BatchRow(line=8, fields=contact(2)),
        ]
    )
    assert [(r.line, r.status) for r in taken.rejected] == [(7, 409)]
    assert "different data subjects" in taken.rejected[0].message
    # the erased subject's identities went with it: the same e-mail is a new person now
    assert [(a.line, a.created) for a in taken.accepted] == [(8, True)]
    assert taken.accepted[0].subject_id != made.accepted[1].subject_id


def test_an_existing_closed_account_gets_the_grace_period_expiry(
    take: Callable[..., batch.BatchResult], db: Database
) -> None:
    made = take([batch.BatchRow(line=1, fields=contact(1))])
    with reading(db) as session:
        session.get_one(Subject, made.accepted[0].subject_id).closed_at = utcnow()
    take([batch.BatchRow(line=1, fields=contact(1, job_title="Engineer"))])
    with reading(db) as session:
        expiry = session.scalar(
            select(PersonalRecord.expires_at).where(PersonalRecord.field == "job_title")
        )
    assert expiry is not None
    assert timedelta(days=29) < expiry - utcnow() <= timedelta(days=30)


def test_support_tickets_take_the_requester_and_are_scanned_for_pii(
    take: Callable[..., batch.BatchResult], db: Database
) -> None:
    ticket = {
        "ticket_id": "T-1",
        "message": "我的手机号13812345678，请联系我。",
        "created_at": "2026-11-20T10:00:00+08:00",
    }
    result = take(
        [
            batch.BatchRow(line=1, fields=ticket, requester={"email": "t@example.com"}),
            batch.BatchRow(
                line=2, fields={**ticket, "ticket_id": "T-2"}, requester={"email": "t@example.com"}
            ),
            batch.BatchRow(line=3, fields=ticket, requester={"fax": "1"}),
        ],
        category="support",
        kind="customer",
    )
    assert [a.line for a in result.accepted] == [1, 2]
    assert [(r.line, r.field) for r in result.rejected] == [(3, "requester.fax")]
    assert count(db, TextFinding) == 2
    assert count(db, Subject) == 1


def test_a_rolled_back_batch_leaves_no_key_behind(
    take: Callable[..., batch.BatchResult], db: Database, vault: Vault, settings: Settings
) -> None:
    declaration = PolicyStore(settings.policy).declaration
    lost: list[str] = []

    def interrupted() -> None:
        with db.unit_of_work() as session:
            intake = Intake(
                session=session,
                vault=vault,
                declaration=declaration,
                actor="staff:test",
                explicit_consent=explicit_consent,
            )
            done = batch.intake_batch(
                intake,
                category="contact",
                purpose="service_support",
                kind="prospect",
                notice_version=NOTICE,
                source="import",
                rows=[batch.BatchRow(line=1, fields=contact(1))],
            )
            lost.append(done.accepted[0].subject_id)
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        interrupted()
    assert count(db, SubjectKey) == 0
    assert lost[0] not in vault.cache
    again = take([batch.BatchRow(line=1, fields=contact(1))], skip_existing=True)
    assert len(again.accepted) == 1


@pytest.fixture
def integration(
    staff_client: Callable[[Role], TestClient], new_client: Callable[[], TestClient]
) -> TestClient:
    admin = staff_client(Role.ADMIN)
    created = admin.post("/api/v1/api-clients", json={"name": "crm", "scopes": ["intake.write"]})
    client = new_client()
    client.headers["authorization"] = f"Bearer {created.json()['key']}"
    return client


def body(records: list[dict[str, object]], **extra: object) -> dict[str, object]:
    return {
        "category": "contact",
        "purpose": "service_support",
        "notice_version": NOTICE,
        "records": records,
        **extra,
    }


def test_the_batch_api_lists_what_it_stored_skipped_and_refused(
    integration: TestClient, db: Database
) -> None:
    records_in = [
        {"fields": contact(1), "country": "US", "region": "CA"},
        {"fields": contact(2, fax="1")},
    ]
    response = integration.post("/api/v1/intake/batch", json=body(records_in))
    assert response.status_code == 200, response.text
    out = response.json()
    assert [a["index"] for a in out["accepted"]] == [0]
    assert out["rejected"][0]["index"] == 1
    assert out["rejected"][0]["field"] == "fields.fax"
    assert out["records_stored"] == 3
    again = integration.post("/api/v1/intake/batch", json=body(records_in[:1]))
    assert again.json()["skipped"] == [0]
    with reading(db) as session:
        assert session.scalars(select(Subject.jurisdiction)).all() == ["US-CA"]


def test_the_strict_batch_api_stores_nothing_when_one_record_is_refused(
    integration: TestClient, db: Database
) -> None:
    response = integration.post(
        "/api/v1/intake/batch",
        json=body([{"fields": contact(1)}, {"fields": contact(2, email="x")}], strict=True),
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "records.1.fields.email"
    assert count(db, Subject) == 0
    assert count(db, SubjectKey) == 0
    refused = integration.post("/api/v1/intake/batch", json=body([], strict=True))
    assert refused.status_code == 422
    undeclared = integration.post(
        "/api/v1/intake/batch", json=body([{"fields": contact(1)}], category="shoes")
    )
    assert undeclared.status_code == 422
    assert undeclared.json()["error"]["field"] == "category"
