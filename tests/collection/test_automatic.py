"""Automatic data is stored in the declared form: parsed user agent, truncated IP, country."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.collection.test_intake import ACCOUNT, NOTICE, api_key, counts

from privacyops.audit.models import AuditEvent
from privacyops.db import Database
from privacyops.settings import Settings
from privacyops.staff.permissions import Role
from privacyops.subjects import records
from privacyops.subjects.models import PersonalRecord, Subject
from privacyops.vault.service import Vault

ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.144 Mobile Safari/537.36"
)
#: A public address registered in the US (Google's resolver); never a real visitor's.
PUBLIC_IP = "8.8.8.8"
AUTOMATIC = {
    "device_model",
    "os_version",
    "browser_type",
    "ip_address",
    "network_type",
    "approximate_location",
    "log_behavior",
}


@pytest.fixture
def integration(
    staff_client: Callable[[Role], TestClient], new_client: Callable[[], TestClient]
) -> TestClient:
    client = new_client()
    client.headers["authorization"] = f"Bearer {api_key(staff_client(Role.ADMIN))}"
    return client


@pytest.fixture
def account(integration: TestClient) -> str:
    created = integration.post(
        "/api/v1/intake/accounts",
        json={"notice_version": NOTICE, "country": "CN", "fields": ACCOUNT},
    )
    assert created.status_code == 201, created.text
    subject_id: str = created.json()["subject_id"]
    return subject_id


def values(db: Database, settings: Settings, subject_id: str) -> dict[tuple[str, str], str]:
    vault = Vault.from_settings(settings)
    with db.unit_of_work() as session:
        found = records.values_of(
            session=session, vault=vault, subject_id=subject_id, reveal=True, actor="test"
        )
    return {(v.category, v.field): v.value for v in found if v.category in AUTOMATIC}


def test_a_visit_is_stored_parsed_truncated_and_governed(
    integration: TestClient, account: str, db: Database, settings: Settings
) -> None:
    response = integration.post(
        "/api/v1/intake/automatic",
        json={
            "notice_version": NOTICE,
            "identity": {"account_id": ACCOUNT["account_id"]},
            "user_agent": ANDROID,
            "ip_address": PUBLIC_IP,
            "data": {
                "network_type": {"network_type": "wifi"},
                "log_behavior": [
                    {
                        "event": "page_view",
                        "page_or_screen": "/devices",
                        "occurred_at": "2026-11-30T08:00:00Z",
                    },
                    {"event": "error", "error_code": "E42", "occurred_at": "2026-11-30T08:01:00Z"},
                ],
            },
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["subject_id"] == account
    stored = values(db, settings, account)
    assert stored[("ip_address", "ip_address")] == "8.8.8.0"
    assert stored[("approximate_location", "country")] == "US"
    assert stored[("browser_type", "browser_name")] == "Chrome Mobile"
    assert stored[("browser_type", "browser_version")] == "120.0.6099"
    assert stored[("os_version", "os_name")] == "Android"
    assert stored[("os_version", "os_version")] == "14"
    assert stored[("device_model", "manufacturer")] == "Samsung"
    assert stored[("device_model", "model")] == "SM-S911B"
    assert stored[("network_type", "network_type")] == "wifi"
    assert ("browser_type", "user_agent") not in stored
    assert PUBLIC_IP not in stored.values()
    with db.unit_of_work() as session:
        rows = list(
            session.scalars(
                select(PersonalRecord).where(
                    PersonalRecord.subject_id == account, PersonalRecord.source == "automatic"
                )
            )
        )
    assert {r.category for r in rows} == AUTOMATIC
    assert len([r for r in rows if r.category == "log_behavior" and r.field == "event"]) == 2
    for row in rows:
        assert (row.purpose, row.region, row.notice_version) == ("service_support", "cn", NOTICE)
        assert row.expires_at is not None
        assert row.expires_at - row.collected_at == timedelta(days=365)


def test_an_ipv6_address_keeps_only_its_48_bit_network(
    integration: TestClient, account: str, db: Database, settings: Settings
) -> None:
    response = integration.post(
        "/api/v1/intake/automatic",
        json={
            "notice_version": NOTICE,
            "identity": {"account_id": ACCOUNT["account_id"]},
            "data": {"ip_address": {"ip_address": "2001:4860:4860:1234:5678::8888"}},
        },
    )
    assert response.status_code == 201, response.text
    assert values(db, settings, account) == {("ip_address", "ip_address"): "2001:4860:4860::"}


def test_a_new_cookie_visitor_gets_a_subject_in_the_country_of_its_address(
    integration: TestClient, db: Database
) -> None:
    response = integration.post(
        "/api/v1/intake/automatic",
        json={
            "notice_version": NOTICE,
            "identity": {"cookie_id": "c0ffee-visitor-1"},
            "ip_address": PUBLIC_IP,
            "user_agent": ANDROID,
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["created"] is True
    with db.unit_of_work() as session:
        subject = session.get_one(Subject, response.json()["subject_id"])
        assert (subject.kind, subject.country) == ("visitor", "US")
    again = integration.post(
        "/api/v1/intake/automatic",
        json={
            "notice_version": NOTICE,
            "identity": {"cookie_id": "c0ffee-visitor-1"},
            "data": {"log_behavior": {"event": "click", "occurred_at": "2026-11-30T08:00:00Z"}},
        },
    )
    assert again.status_code == 201, again.text
    assert again.json()["subject_id"] == response.json()["subject_id"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"device_model": {"manufacturer": "Acme", "colour": "red"}}, "data.device_model.colour"),
        ({"shoe_size": {"size": 44}}, "data.shoe_size"),
        ({"account": {"email": "x@example.com"}}, "data.account"),
        ({"cookies": {"cookie_name": "x", "set_at": "2026-11-30T08:00:00Z"}}, "data.cookies"),
        ({"network_type": {"network_type": "5g-ultra"}}, "data.network_type.network_type"),
        ({"log_behavior": {"event": "x"}}, "data.log_behavior.occurred_at"),
        ({"log_behavior": "page_view"}, "data.log_behavior"),
    ],
)
def test_undeclared_or_badly_typed_data_is_refused_by_name_and_nothing_is_stored(
    integration: TestClient, account: str, db: Database, data: dict[str, object], field: str
) -> None:
    before = counts(db)
    response = integration.post(
        "/api/v1/intake/automatic",
        json={
            "notice_version": NOTICE,
            "identity": {"account_id": ACCOUNT["account_id"]},
            "user_agent": ANDROID,
            "ip_address": PUBLIC_IP,
            "data": data,
        },
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    assert counts(db) == before


def test_a_visitor_cannot_send_what_the_declaration_names_only_for_customers(
    integration: TestClient, db: Database
) -> None:
    response = integration.post(
        "/api/v1/intake/automatic",
        json={
            "notice_version": NOTICE,
            "identity": {"cookie_id": "visitor-2"},
            "data": {"network_type": {"network_type": "wifi"}},
        },
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "data.network_type"
    assert counts(db) == (0, 0)


def test_a_purpose_the_category_is_not_declared_for_is_refused(
    integration: TestClient, account: str, db: Database
) -> None:
    before = counts(db)
    response = integration.post(
        "/api/v1/intake/automatic",
        json={
            "notice_version": NOTICE,
            "purpose": "anti_fraud",
            "identity": {"account_id": ACCOUNT["account_id"]},
            "data": {"network_type": {"network_type": "wifi"}},
        },
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "purpose"
    assert counts(db) == before


def test_analytics_needs_a_separate_consent(integration: TestClient, account: str) -> None:
    response = integration.post(
        "/api/v1/intake/automatic",
        json={
            "notice_version": NOTICE,
            "purpose": "product_analytics",
            "identity": {"account_id": ACCOUNT["account_id"]},
            "user_agent": ANDROID,
        },
    )
    assert response.status_code == 403
    assert response.json()["error"]["field"] == "consent"


def test_an_unknown_account_and_a_bad_address_are_refused(integration: TestClient) -> None:
    unknown = integration.post(
        "/api/v1/intake/automatic",
        json={
            "notice_version": NOTICE,
            "identity": {"account_id": "nobody"},
            "user_agent": ANDROID,
        },
    )
    assert unknown.status_code == 404
    bad = integration.post(
        "/api/v1/intake/automatic",
        json={"notice_version": NOTICE, "identity": {"cookie_id": "v"}, "ip_address": "999.1.1.1"},
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "ip_address"
    two = integration.post(
        "/api/v1/intake/automatic",
        json={
            "notice_version": NOTICE,
            "identity": {"cookie_id": "v", "account_id": "a"},
            "user_agent": ANDROID,
        },
    )
    assert two.status_code == 422
    assert two.json()["error"]["field"] == "identity"


def test_the_audit_log_names_fields_never_values(
    integration: TestClient, account: str, db: Database
) -> None:
    integration.post(
        "/api/v1/intake/automatic",
        json={
            "notice_version": NOTICE,
            "identity": {"account_id": ACCOUNT["account_id"]},
            "ip_address": PUBLIC_IP,
        },
    )
    with db.unit_of_work() as session:
        details = [str(e.details) for e in session.scalars(select(AuditEvent))]
    assert details
    assert not any("8.8.8" in d for d in details)
