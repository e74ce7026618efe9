"""Each right end to end through HTTP: intake, the code from real e-mail, execution, result."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.rights.requests_support import Desk, open_desk
from tests.rights.support import World

from privacyops.consent.models import ConsentEvent
from privacyops.rights.executors.models import Objection
from privacyops.staff.permissions import Role
from privacyops.subjects.models import Identity, Subject

ALICE = "alice.wang@example.com"
PHONE = "+49 151 23456789"


@pytest.fixture
def desk(app_client: TestClient, world: World) -> Iterator[Desk]:
    with open_desk(app_client, world) as opened:
        yield opened


def _verified(desk: Desk, kind: str, *, second: tuple[str, str] | None = None) -> dict[str, str]:
    made = desk.submit(kind, ALICE, country="DE")
    code = desk.code(ALICE)
    response = desk.verify(made["id"], code, second=second)
    assert response.status_code == 200, response.text
    return made


def test_access_needs_a_second_identifier_and_the_receipt_carries_the_status_link(
    desk: Desk,
) -> None:
    desk.customer(ALICE, phone=PHONE)
    made = desk.submit("access", ALICE, country="DE", details="Everything you hold, please.")
    assert made["id"].startswith("R-20")
    assert made["status"] == "pending_verification"
    assert made["verification_level"] == "reasonably_high"
    receipts = desk.mail_to(ALICE)
    assert {m.subject for m in receipts} == {
        f"We received your privacy request {made['id']}",
        "Your verification code",
    }
    assert desk.link(ALICE, "status").endswith(f"/requests/status/{made['token']}?lang=en")

    code = desk.code(ALICE)
    needs_second = desk.verify(made["id"], code)
    assert needs_second.status_code == 422
    assert needs_second.json()["error"]["field"] == "second_value"
    assert desk.status(made["id"]).json()["status"] == "pending_verification"
    # The refused answer did not use the code up: with the phone it is accepted.
    assert desk.verify(made["id"], code, second=("phone", PHONE)).status_code == 200


def test_a_wrong_second_identifier_uses_the_code_up(desk: Desk) -> None:
    desk.customer(ALICE, phone=PHONE)
    made = desk.submit("access", ALICE, country="DE")
    code = desk.code(ALICE)
    wrong = desk.verify(made["id"], code, second=("phone", "+49 151 99999999"))
    assert wrong.status_code == 422
    assert wrong.json()["error"]["field"] == "second_value"
    again = desk.verify(made["id"], code, second=("phone", PHONE))
    assert again.status_code == 422
    assert again.json()["error"]["field"] == "code"


def test_access_with_code_and_phone_builds_a_package_the_requester_downloads(
    desk: Desk, world: World
) -> None:
    desk.customer(ALICE, phone=PHONE)
    made = desk.submit("access", ALICE, country="DE")
    response = desk.verify(made["id"], desk.code(ALICE), second=("phone", PHONE))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "completed"
    done = [m for m in desk.mail_to(ALICE) if m.subject.endswith("is complete")]
    assert len(done) == 1
    link = desk.link(ALICE, "download")
    path = link.split("://", 1)[1].split("/", 1)[1]
    download = desk.client.get("/" + path)
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert "summary.html" in archive.namelist()
    assert desk.client.get("/" + path[:-2] + "xx").status_code == 404
    stored = desk.stored(made["id"])
    assert stored.contact_ciphertext is None  # the contact is gone once the request is closed
    assert stored.facts["verified_with"] == ["email_code", "phone"]


def test_portability_end_to_end(desk: Desk) -> None:
    desk.customer(ALICE, account_id="acct-7781")
    made = _verified(desk, "portability", second=("account_id", "acct-7781"))
    assert desk.status(made["id"]).json()["status"] == "completed"
    assert desk.link(ALICE, "download")


def test_deletion_end_to_end_erases_and_mails_the_confirmation(desk: Desk, world: World) -> None:
    subject_id = desk.customer(ALICE, phone=PHONE)
    made = _verified(desk, "deletion", second=("phone", PHONE))
    state = desk.status(made["id"]).json()
    assert state["status"] == "completed", state
    assert world.records_of(subject_id) == 0
    with world.db.unit_of_work() as session:
        assert session.get_one(Subject, subject_id).state == "erased"
        assert (
            session.scalars(select(Identity).where(Identity.subject_id == subject_id)).all() == []
        )
    assert any(m.subject.endswith("is complete") for m in desk.mail_to(ALICE))


def test_correction_waits_for_staff_review_then_applies(
    desk: Desk, world: World, staff_client: Callable[[Role], TestClient]
) -> None:
    subject_id = desk.customer(ALICE)
    made = _verified(desk, "correction")
    assert desk.status(made["id"]).json()["status"] == "verified"
    dpo = staff_client(Role.PRIVACY_OFFICER)
    early = dpo.post(f"/api/v1/requests/{made['id']}/approve", json={"reason": "looks right"})
    assert early.status_code == 409  # corrections first
    sealed = dpo.post(
        f"/api/v1/requests/{made['id']}/corrections",
        json={"corrections": {"contact": {"name": "Wang Alice"}}},
    )
    assert sealed.status_code == 200, sealed.text
    approved = dpo.post(f"/api/v1/requests/{made['id']}/approve", json={"reason": "checked ID"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "completed"
    assert world.values_of(subject_id, "contact")["name"] == "Wang Alice"


def test_restriction_end_to_end(desk: Desk, world: World) -> None:
    subject_id = desk.customer(ALICE)
    made = _verified(desk, "restriction")
    assert desk.status(made["id"]).json()["status"] == "completed"
    with world.db.unit_of_work() as session:
        assert session.get_one(Subject, subject_id).state == "restricted"


def test_objection_needs_no_code_and_runs_at_once(desk: Desk, world: World) -> None:
    subject_id = desk.customer(ALICE)
    made = desk.submit("objection", ALICE, country="DE")
    assert made["verification_level"] == "none"
    assert desk.status(made["id"]).json()["status"] == "completed"
    with world.db.unit_of_work() as session:
        assert session.scalars(select(Objection).where(Objection.subject_id == subject_id)).all()
    subjects = {m.subject for m in desk.mail_to(ALICE)}
    assert "Your verification code" not in subjects


def test_withdrawal_of_consent_needs_no_code(desk: Desk, world: World) -> None:
    subject_id = desk.customer(ALICE)
    made = desk.submit("withdraw_consent", ALICE, country="DE")
    assert desk.status(made["id"]).json()["status"] == "completed"
    with world.db.unit_of_work() as session:
        events = session.scalars(
            select(ConsentEvent).where(ConsentEvent.subject_id == subject_id)
        ).all()
        assert events
        assert all(e.state != "granted" for e in events)


def test_complaint_is_routed_without_verification(desk: Desk) -> None:
    made = desk.submit("complaint", ALICE, country="CN", language="zh-CN")
    assert desk.status(made["id"]).json()["status"] == "completed"
    mails = desk.mail_to(ALICE)
    assert any("已收到" in m.subject or "请求" in m.subject for m in mails)


def test_an_inquiry_is_due_in_business_days_and_answered_by_staff(
    desk: Desk, staff_client: Callable[[Role], TestClient]
) -> None:
    desk.customer(ALICE)
    made = _verified(desk, "inquiry")
    stored = desk.stored(made["id"])
    assert 7 <= (stored.due_at - stored.received_at).days <= 11  # 7 business days
    agent = staff_client(Role.SUPPORT_AGENT)
    assert (
        agent.post(f"/api/v1/requests/{made['id']}/approve", json={"reason": "x" * 9}).status_code
        == 403
    )
    dpo = staff_client(Role.PRIVACY_OFFICER)
    answered = dpo.post(
        f"/api/v1/requests/{made['id']}/approve", json={"reason": "replied by mail"}
    )
    assert answered.json()["status"] == "completed"
