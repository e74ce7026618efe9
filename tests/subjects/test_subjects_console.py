"""Staff find subjects through blind indexes and see their data masked unless the role allows."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.collection.test_intake import ACCOUNT, NOTICE, api_key

from privacyops.audit.models import AuditEvent
from privacyops.db import Database
from privacyops.policy.loader import load_declaration
from privacyops.settings import Settings
from privacyops.staff.permissions import Role
from privacyops.subjects import service as subjects
from privacyops.telemetry import service as telemetry
from privacyops.vault.service import Vault

PHONE = "+86 138 0000 0042"
TICKET_TEXT = "My breaker trips; write to me at li.lei@example.com please."


@pytest.fixture
def integration(
    staff_client: Callable[[Role], TestClient], new_client: Callable[[], TestClient]
) -> TestClient:
    client = new_client()
    client.headers["authorization"] = f"Bearer {api_key(staff_client(Role.ADMIN))}"
    return client


@pytest.fixture
def customer(integration: TestClient) -> str:
    created = integration.post(
        "/api/v1/intake/accounts",
        json={
            "notice_version": NOTICE,
            "country": "DE",
            "fields": {**ACCOUNT, "phone": PHONE},
        },
    )
    assert created.status_code == 201, created.text
    ticket = integration.post(
        "/api/v1/intake/support-tickets",
        json={
            "notice_version": NOTICE,
            "requester": {"account_id": ACCOUNT["account_id"]},
            "fields": {
                "ticket_id": "T-1",
                "message": TICKET_TEXT,
                "created_at": "2026-11-30T08:00:00Z",
            },
        },
    )
    assert ticket.status_code == 201, ticket.text
    subject_id: str = created.json()["subject_id"]
    return subject_id


def find(client: TestClient, kind: str, value: str) -> list[str]:
    response = client.post("/api/v1/subjects/search", json={"kind": kind, "value": value})
    assert response.status_code == 200, response.text
    return [m["subject"]["id"] for m in response.json()["matches"]]


def test_search_by_each_identity_kind(
    customer: str,
    staff_client: Callable[[Role], TestClient],
    db: Database,
    settings: Settings,
) -> None:
    agent = staff_client(Role.SUPPORT_AGENT)
    assert find(agent, "email", " LI.LEI@Example.com ") == [customer]
    assert find(agent, "phone", "+8613800000042") == [customer]
    assert find(agent, "account_id", ACCOUNT["account_id"]) == [customer]
    assert find(agent, "email", "nobody@example.com") == []
    vault = Vault.from_settings(settings)
    with db.unit_of_work() as session:
        telemetry.register_device(
            session=session,
            vault=vault,
            serial="FST-MCB-63-990001",
            model="FST-MCB-63",
            firmware="2.4.0",
            region="CN",
            actor="test",
        )
        telemetry.claim(
            session=session,
            vault=vault,
            declaration=load_declaration(settings.policy),
            serial="FST-MCB-63-990001",
            subject_id=customer,
            actor="test",
        )
        other = subjects.create_subject(session=session, kind="customer", actor="test")
        subjects.add_identity(
            session=session,
            vault=vault,
            subject_id=other.id,
            kind="device_serial",
            value="FST-RCBO-40-000777",
            actor="test",
        )
        other_id = other.id
    response = agent.post(
        "/api/v1/subjects/search", json={"kind": "device_serial", "value": "FST-MCB-63-990001"}
    )
    assert [(m["subject"]["id"], m["matched_by"]) for m in response.json()["matches"]] == [
        (customer, "device_owner")
    ]
    assert find(agent, "device_serial", "FST-RCBO-40-000777") == [other_id]


def test_search_refuses_bad_input_in_the_one_error_shape(
    staff_client: Callable[[Role], TestClient],
) -> None:
    agent = staff_client(Role.SUPPORT_AGENT)
    bad = agent.post("/api/v1/subjects/search", json={"kind": "email", "value": "not an email"})
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "value"
    kind = agent.post("/api/v1/subjects/search", json={"kind": "passport", "value": "x"})
    assert kind.status_code == 422
    auditor = staff_client(Role.AUDITOR)
    assert (
        auditor.post(
            "/api/v1/subjects/search", json={"kind": "email", "value": "a@b.cn"}
        ).status_code
        == 403
    )


def test_values_are_masked_without_read_personal_and_unmasked_reads_are_audited(
    customer: str, staff_client: Callable[[Role], TestClient], db: Database
) -> None:
    agent = staff_client(Role.SUPPORT_AGENT)
    masked = agent.get(f"/api/v1/subjects/{customer}")
    assert masked.status_code == 200, masked.text
    body = masked.json()
    assert body["masked"] is True
    assert body["subject"]["jurisdiction"] == "EU"
    values = {(c["key"], v["field"]): v for c in body["categories"] for v in c["values"]}
    assert values[("account", "email")]["value"] == "l***@example.com"
    assert values[("account", "phone")]["value"] == "+86138****0042"
    for value in values.values():
        assert {"purpose", "region", "collected_at", "expires_at"} <= set(value)
    assert "li.lei@example.com" not in masked.text
    assert body["findings"]
    assert body["findings"][0]["entity_type"] == "EMAIL_ADDRESS"
    assert body["findings"][0]["text"] == "l***@example.com"
    assert agent.get(f"/api/v1/subjects/{customer}/values").status_code == 403

    dpo = staff_client(Role.PRIVACY_OFFICER)
    revealed = dpo.get(f"/api/v1/subjects/{customer}/values")
    assert revealed.status_code == 200
    assert revealed.json()["masked"] is False
    assert revealed.json()["findings"][0]["text"] == "li.lei@example.com"
    assert "li.lei@example.com" in revealed.text
    with db.unit_of_work() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "subject.values_revealed")
        ).all()
    assert len(events) == 1
    assert events[0].target_id == customer
    assert events[0].actor.startswith("staff:")
    assert "li.lei" not in str(events[0].details)


def test_an_unknown_subject_is_404(staff_client: Callable[[Role], TestClient]) -> None:
    agent = staff_client(Role.SUPPORT_AGENT)
    assert agent.get("/api/v1/subjects/no-such-subject").status_code == 404
    assert agent.get("/admin/subjects/no-such-subject").status_code == 404


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_the_console_search_posts_and_finds(
    customer: str, staff_client: Callable[[Role], TestClient]
) -> None:
    agent = staff_client(Role.SUPPORT_AGENT)
    page = agent.get("/admin/subjects")
    assert page.status_code == 200
    assert "Find a subject" in page.text
    found = agent.post(
        "/admin/subjects",
        data={"kind": "email", "value": "li.lei@example.com", "csrf_token": _csrf(page.text)},
    )
    assert found.status_code == 200
    assert f"/admin/subjects/{customer}" in found.text
    assert "1 match" in found.text
    bad = agent.post(
        "/admin/subjects",
        data={"kind": "email", "value": "nope", "csrf_token": _csrf(page.text)},
    )
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text


def test_the_subject_page_masks_and_reveals_per_role(
    customer: str, staff_client: Callable[[Role], TestClient], db: Database
) -> None:
    agent = staff_client(Role.SUPPORT_AGENT)
    page = agent.get(f"/admin/subjects/{customer}")
    assert page.status_code == 200
    assert "l***@example.com" in page.text
    assert "li.lei@example.com" not in page.text
    assert "Show values" not in page.text
    assert "Child data discovered" not in page.text
    assert agent.post(f"/admin/subjects/{customer}/values", data={}).status_code == 403

    dpo = staff_client(Role.PRIVACY_OFFICER)
    page = dpo.get(f"/admin/subjects/{customer}")
    assert "Show values" in page.text
    shown = dpo.post(f"/admin/subjects/{customer}/values", data={"csrf_token": _csrf(page.text)})
    assert shown.status_code == 200
    assert "li.lei@example.com" in shown.text
    assert "this read is audited" in shown.text
    with db.unit_of_work() as session:
        assert session.scalars(
            select(AuditEvent).where(AuditEvent.action == "subject.values_revealed")
        ).all()


def test_the_console_buttons_record_consent_and_delete_child_data(
    integration: TestClient, staff_client: Callable[[Role], TestClient], db: Database
) -> None:
    created = integration.post(
        "/api/v1/intake/accounts",
        json={"notice_version": NOTICE, "country": "FR", "age": 13, "fields": ACCOUNT},
    )
    assert created.status_code == 202, created.text
    subject_id = created.json()["subject_id"]
    dpo = staff_client(Role.PRIVACY_OFFICER)
    page = dpo.get(f"/admin/subjects/{subject_id}")
    assert "waits for verified parental consent" in page.text
    assert "Record verified parental consent" in page.text
    listing = dpo.get("/admin/subjects")
    assert f"/admin/subjects/{subject_id}" in listing.text
    token = _csrf(page.text)
    unconfirmed = dpo.post(
        f"/admin/subjects/{subject_id}/child-data",
        data={"reason": "parent_report", "csrf_token": token},
    )
    assert "tick the box" in unconfirmed.text
    deleted = dpo.post(
        f"/admin/subjects/{subject_id}/child-data",
        data={"reason": "parent_report", "confirm": "yes", "csrf_token": token},
        follow_redirects=False,
    )
    assert deleted.status_code == 303
    after = dpo.get(deleted.headers["location"])
    assert "data was deleted" in after.text
    assert "This subject was erased" in after.text
    with db.unit_of_work() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "subject.child_data_discovered")
        ).one()
    assert event.details["reason"] == "parent_report"


def test_the_console_records_a_verified_parental_consent(
    integration: TestClient, staff_client: Callable[[Role], TestClient]
) -> None:
    created = integration.post(
        "/api/v1/intake/accounts",
        json={"notice_version": NOTICE, "country": "CN", "age": 12, "fields": ACCOUNT},
    )
    subject_id = created.json()["subject_id"]
    dpo = staff_client(Role.PRIVACY_OFFICER)
    page = dpo.get(f"/admin/subjects/{subject_id}")
    done = dpo.post(
        f"/admin/subjects/{subject_id}/parental-consent",
        data={"method": "video_call", "csrf_token": _csrf(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = dpo.get(done.headers["location"])
    assert "Verified parental consent recorded" in after.text
    assert "verified parental consent 20" in after.text


def test_the_subject_pages_speak_chinese(
    integration: TestClient, staff_client: Callable[[Role], TestClient]
) -> None:
    created = integration.post(
        "/api/v1/intake/accounts",
        json={"notice_version": NOTICE, "country": "FR", "age": 13, "fields": ACCOUNT},
    )
    subject_id = created.json()["subject_id"]
    dpo = staff_client(Role.PRIVACY_OFFICER)
    listing = dpo.get("/admin/subjects?lang=zh-CN")
    assert listing.status_code == 200
    for words in ("查找数据主体", "等待经核实的监护人同意", "未成年人：等待经核实的监护人同意"):
        assert words in listing.text
    assert "Find a subject" not in listing.text
    found = dpo.post(
        "/admin/subjects",
        data={
            "kind": "account_id",
            "value": ACCOUNT["account_id"],
            "csrf_token": _csrf(listing.text),
        },
    )
    assert "1 个匹配" in found.text
    empty = dpo.post(
        "/admin/subjects", data={"kind": "email", "value": " ", "csrf_token": _csrf(listing.text)}
    )
    assert empty.status_code == 422
    assert "请输入一个值。" in empty.text

    page = dpo.get(f"/admin/subjects/{subject_id}")
    for words in ("按类别列出的个人信息", "记录经核实的监护人同意", "发现儿童数据", "视频通话"):
        assert words in page.text
    assert '<option value="parent_report">家长报告</option>' in page.text
    unconfirmed = dpo.post(
        f"/admin/subjects/{subject_id}/child-data",
        data={"reason": "parent_report", "csrf_token": _csrf(page.text)},
    )
    assert "请勾选复选框以确认删除" in unconfirmed.text
    english = dpo.get(f"/admin/subjects/{subject_id}?lang=en")
    assert '<option value="parent_report">parent report</option>' in english.text
    assert "Personal data by category" in english.text


def test_a_search_value_with_a_percent_sign_is_answered(
    staff_client: Callable[[Role], TestClient],
) -> None:
    agent = staff_client(Role.SUPPORT_AGENT)
    page = agent.get("/admin/subjects")
    for kind, value in (("email", "50%"), ("phone", "%(x)s"), ("account_id", "100%")):
        found = agent.post(
            "/admin/subjects", data={"kind": kind, "value": value, "csrf_token": _csrf(page.text)}
        )
        assert found.status_code in (200, 422)
        assert "Find a subject" in found.text
