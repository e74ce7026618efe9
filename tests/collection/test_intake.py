"""Intake stores only what the declaration names, encrypted, with its governing attributes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import sqlite_file_bytes

from privacyops.collection import intake
from privacyops.collection.models import TextFinding
from privacyops.db import Database, utcnow
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings
from privacyops.staff.permissions import Role
from privacyops.subjects.models import PersonalRecord, Subject
from privacyops.vault.service import Vault

NOTICE = "1.0.0"
ACCOUNT = {
    "account_id": "acct-0001",
    "email": "li.lei@example.com",
    "display_name": "Li Lei",
    "language": "zh-CN",
    "created_at": "2026-11-01T08:00:00Z",
}


def api_key(admin: TestClient) -> str:
    created = admin.post("/api/v1/api-clients", json={"name": "app", "scopes": ["intake.write"]})
    assert created.status_code == 201, created.text
    key: str = created.json()["key"]
    return key


@pytest.fixture
def integration(
    staff_client: Callable[[Role], TestClient], new_client: Callable[[], TestClient]
) -> TestClient:
    client = new_client()
    client.headers["authorization"] = f"Bearer {api_key(staff_client(Role.ADMIN))}"
    return client


def counts(db: Database) -> tuple[int, int]:
    with db.unit_of_work() as session:
        return (
            session.scalar(select(func.count(Subject.id))) or 0,
            session.scalar(select(func.count(PersonalRecord.id))) or 0,
        )


def test_an_account_is_stored_with_category_purpose_region_and_expiry(
    integration: TestClient, db: Database
) -> None:
    response = integration.post(
        "/api/v1/intake/accounts",
        json={"notice_version": NOTICE, "country": "DE", "fields": ACCOUNT},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] is True
    assert {s["field"] for s in body["stored"]} == set(ACCOUNT)
    with db.unit_of_work() as session:
        rows = list(session.scalars(select(PersonalRecord)))
        subject = session.get_one(Subject, body["subject_id"])
    assert subject.jurisdiction == "EU"
    assert {(r.category, r.purpose, r.region, r.notice_version) for r in rows} == {
        ("account", "account_management", "cn", NOTICE)
    }
    assert all(r.collected_at is not None and r.expires_at is None for r in rows)


def test_an_undeclared_field_is_refused_by_name_and_nothing_is_stored(
    integration: TestClient, db: Database
) -> None:
    before = counts(db)
    response = integration.post(
        "/api/v1/intake/accounts",
        json={"notice_version": NOTICE, "fields": {**ACCOUNT, "shoe_size": 44}},
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "fields.shoe_size"
    assert counts(db) == before


def test_a_badly_typed_value_is_refused(integration: TestClient, db: Database) -> None:
    response = integration.post(
        "/api/v1/intake/accounts",
        json={"notice_version": NOTICE, "fields": {**ACCOUNT, "email": "not-an-email"}},
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "fields.email"
    assert counts(db) == (0, 0)


def test_a_notice_version_that_never_existed_is_refused(integration: TestClient) -> None:
    response = integration.post(
        "/api/v1/intake/accounts", json={"notice_version": "0.1.0", "fields": ACCOUNT}
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "notice_version"


def test_the_same_account_twice_is_a_conflict(integration: TestClient) -> None:
    body = {"notice_version": NOTICE, "fields": ACCOUNT}
    assert integration.post("/api/v1/intake/accounts", json=body).status_code == 201
    assert integration.post("/api/v1/intake/accounts", json=body).status_code == 409


def test_an_update_replaces_the_old_value(integration: TestClient, db: Database) -> None:
    integration.post("/api/v1/intake/accounts", json={"notice_version": NOTICE, "fields": ACCOUNT})
    response = integration.patch(
        "/api/v1/intake/accounts/acct-0001",
        json={"notice_version": NOTICE, "fields": {"display_name": "Li L."}},
    )
    assert response.status_code == 200, response.text
    with db.unit_of_work() as session:
        names = session.scalars(
            select(PersonalRecord).where(PersonalRecord.field == "display_name")
        ).all()
    assert len(names) == 1


def test_closing_an_account_starts_the_declared_grace_period(
    integration: TestClient, db: Database
) -> None:
    integration.post("/api/v1/intake/accounts", json={"notice_version": NOTICE, "fields": ACCOUNT})
    response = integration.post("/api/v1/intake/accounts/acct-0001/close")
    assert response.status_code == 200
    assert response.json()["records_now_expiring"] == len(ACCOUNT)
    with db.unit_of_work() as session:
        expiries = session.scalars(select(PersonalRecord.expires_at)).all()
    expected = utcnow() + timedelta(days=30)
    assert all(e is not None and abs(e - expected) < timedelta(minutes=5) for e in expiries)
    assert integration.post("/api/v1/intake/accounts/acct-0001/close").status_code == 409


def test_a_contact_form_for_an_undeclared_purpose_is_refused(integration: TestClient) -> None:
    response = integration.post(
        "/api/v1/intake/contact",
        json={
            "notice_version": NOTICE,
            "purpose": "product_analytics",
            "fields": {"name": "Han Meimei", "email": "han@example.com"},
        },
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "purpose"


def test_a_support_ticket_records_pii_found_in_chinese_text(
    integration: TestClient, db: Database
) -> None:
    message = "我的手机号13812345678，设备无法连接，请联系我。"
    response = integration.post(
        "/api/v1/intake/support-tickets",
        json={
            "notice_version": NOTICE,
            "requester": {"email": "zhang.wei@example.com"},
            "fields": {
                "ticket_id": "T-1001",
                "message": message,
                "channel": "web_form",
                "created_at": "2026-11-20T10:00:00+08:00",
            },
        },
    )
    assert response.status_code == 201, response.text
    findings = response.json()["pii_findings"]
    assert [(f["entity_type"], message[f["start"] : f["end"]]) for f in findings] == [
        ("CN_MOBILE", "13812345678")
    ]
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count(TextFinding.id))) == 1
        expiry = session.scalars(
            select(PersonalRecord.expires_at).where(PersonalRecord.category == "support")
        ).first()
    assert expiry is not None
    assert timedelta(days=364) < expiry - utcnow() <= timedelta(days=365)


def test_a_cooperation_request_is_kept_for_the_legal_period(integration: TestClient) -> None:
    response = integration.post(
        "/api/v1/intake/cooperation",
        json={
            "notice_version": NOTICE,
            "fields": {
                "company_name": "Example Grid Co.",
                "contact_name": "Wang Fang",
                "email": "wang.fang@example.com",
                "cooperation_details": "500 smart breakers per quarter",
            },
        },
    )
    assert response.status_code == 201, response.text
    assert {s["purpose"] for s in response.json()["stored"]} == {"order_cooperation"}


def test_the_database_holds_no_plaintext_personal_value(
    integration: TestClient, settings: Settings, db: Database
) -> None:
    integration.post("/api/v1/intake/accounts", json={"notice_version": NOTICE, "fields": ACCOUNT})
    if db.is_postgres:
        with db.engine.connect() as conn:
            dump = "".join(
                str(row)
                for table in ("personal_record", "identity", "subject", "audit_event")
                for row in conn.exec_driver_sql(f"SELECT * FROM {table}")  # noqa: S608
            )
        assert "li.lei@example.com" not in dump
        return
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
    data = sqlite_file_bytes(path) + sqlite_file_bytes(path.with_name(path.name + "-wal"))
    assert b"li.lei@example.com" not in data
    assert b"Li Lei" not in data


def test_sensitive_data_needs_a_separate_explicit_consent(
    settings: Settings, db: Database, tmp_path: Path, integration: TestClient
) -> None:
    source = settings.policy.read_text(encoding="utf-8")
    head, tail = source.split("  - key: sensitive_data\n", 1)
    tail = tail.replace(
        "    fields: []\n", "    fields:\n      - {name: health_note, type: text}\n", 1
    )
    declared = tmp_path / "policy.yaml"
    declared.write_text(head + "  - key: sensitive_data\n" + tail, encoding="utf-8")
    declaration = PolicyStore(declared).declaration
    subject = integration.post(
        "/api/v1/intake/contact",
        json={"notice_version": NOTICE, "fields": {"name": "Zhao Lei", "email": "z@example.com"}},
    ).json()["subject_id"]
    with db.unit_of_work() as session:
        context = intake.Intake(
            session=session,
            vault=Vault.from_settings(settings),
            declaration=declaration,
            actor="test",
            explicit_consent=lambda _session, _subject, _purpose: False,
        )
        with pytest.raises(intake.IntakeError) as refused:
            intake.validate_fields(
                context,
                category="sensitive_data",
                purpose="consented_uses",
                values={"health_note": "x"},
                subject_id=subject,
            )
    assert (refused.value.status, refused.value.field) == (403, "consent")
