"""Verification codes (wrong, expired, too many, resent, hashed) and who may read which request."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.rights.requests_support import Desk, open_desk
from tests.rights.support import World

from privacyops.db import utcnow
from privacyops.rights.models import VerificationCode
from privacyops.rights.verification import MAX_ATTEMPTS
from privacyops.staff.permissions import Role

ALICE = "alice.wang@example.com"
BOB = "bob.chen@example.com"


@pytest.fixture
def desk(app_client: TestClient, world: World) -> Iterator[Desk]:
    with open_desk(app_client, world) as opened:
        yield opened


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_wrong_code_is_refused_and_counted(desk: Desk) -> None:
    desk.customer(ALICE)
    made = desk.submit("restriction", ALICE)
    code = desk.code(ALICE)
    refused = desk.verify(made["id"], _wrong(code))
    assert refused.status_code == 422
    assert refused.json()["error"] == {
        "code": "invalid",
        "message": f"wrong code; {MAX_ATTEMPTS - 1} attempt(s) left",
        "field": "code",
    }
    with desk.world.db.unit_of_work() as session:
        row = session.scalars(
            select(VerificationCode).where(VerificationCode.request_id == made["id"])
        ).one()
        assert row.attempts == 1  # committed although the answer was a refusal
    assert desk.verify(made["id"], code).status_code == 200


def test_codes_are_stored_as_keyed_hashes_only(desk: Desk) -> None:
    made = desk.submit("restriction", ALICE)
    code = desk.code(ALICE)
    with desk.world.db.unit_of_work() as session:
        row = session.scalars(
            select(VerificationCode).where(VerificationCode.request_id == made["id"])
        ).one()
    assert code not in row.code_hash
    assert row.code_hash != hashlib.sha256(code.encode()).hexdigest()
    assert row.expires_at - row.sent_at == timedelta(minutes=15)


def test_an_expired_code_is_refused_and_a_new_one_works(desk: Desk) -> None:
    made = desk.submit("restriction", ALICE)
    code = desk.code(ALICE)
    later = utcnow() + timedelta(minutes=16)
    with time_machine.travel(later, tick=False):
        expired = desk.verify(made["id"], code)
        assert expired.status_code == 410
        assert expired.json()["error"]["code"] == "gone"
        assert desk.resend(made["id"]).status_code == 202
        fresh = desk.code(ALICE, now=later)
        assert desk.verify(made["id"], fresh).status_code == 200


def test_too_many_wrong_codes_lock_the_code(desk: Desk) -> None:
    made = desk.submit("restriction", ALICE)
    code = desk.code(ALICE)
    statuses = [desk.verify(made["id"], _wrong(code)).status_code for _ in range(MAX_ATTEMPTS)]
    assert statuses == [422] * (MAX_ATTEMPTS - 1) + [429]
    locked = desk.verify(made["id"], code)
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "rate_limited"
    assert desk.status(made["id"]).json()["status"] == "pending_verification"


def test_new_codes_are_rate_limited(desk: Desk) -> None:
    made = desk.submit("restriction", ALICE)
    first = desk.code(ALICE)
    assert desk.resend(made["id"]).status_code == 429  # within a minute of the last one
    start = utcnow()
    for minutes in (2, 4):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert desk.resend(made["id"]).status_code == 202
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert desk.resend(made["id"]).status_code == 429  # three codes an hour
        latest = desk.code(ALICE, now=start + timedelta(minutes=6))
        if latest != first:
            assert desk.verify(made["id"], first).status_code in (410, 422)
        assert desk.verify(made["id"], latest).status_code == 200


def test_one_requester_never_reads_or_verifies_another_request(desk: Desk) -> None:
    alice = desk.submit("restriction", ALICE)
    bob = desk.submit("restriction", BOB)
    bob_code = desk.code(BOB)
    alice_token, bob_token = alice["token"], bob["token"]
    assert desk.status(alice["id"], alice_token).status_code == 200
    for request_id, token in ((bob["id"], alice_token), (alice["id"], bob_token)):
        assert desk.status(request_id, token).status_code == 404
        assert desk.verify(request_id, bob_code, token=token).status_code == 404
        response = desk.client.post(
            f"/api/v1/requests/{request_id}/code", headers={"x-requester-token": token}
        )
        assert response.status_code == 404
    forged = f"{bob['id']}.{alice_token.split('.', 1)[1]}"
    assert desk.status(bob["id"], forged).status_code == 404
    assert desk.status(bob["id"], bob["id"]).status_code == 404
    # the pages: a link opens its own request only
    page = desk.client.get(f"/requests/status/{alice_token}")
    assert page.status_code == 200
    assert alice["id"] in page.text
    assert bob["id"] not in page.text
    assert desk.client.get(f"/requests/status/{forged}").status_code == 404
    assert (
        desk.client.post(f"/requests/status/{forged}/verify", data={"code": bob_code}).status_code
        == 404
    )
    assert desk.client.post(f"/requests/status/{forged}/code").status_code == 404
    assert desk.status(bob["id"], bob_token).json()["status"] == "pending_verification"


def test_a_download_link_opens_only_its_own_package(desk: Desk) -> None:
    desk.customer(ALICE, account_id="acct-1")
    desk.customer(BOB, account_id="acct-2")
    links = {}
    for who, account in ((ALICE, "acct-1"), (BOB, "acct-2")):
        made = desk.submit("access", who)
        assert (
            desk.verify(made["id"], desk.code(who), second=("account_id", account)).status_code
            == 200
        )
        links[who] = desk.link(who, "download").split("/requests/download/", 1)[1]
    alice_id, alice_secret = links[ALICE].split(".", 1)
    bob_id, _ = links[BOB].split(".", 1)
    assert desk.client.get(f"/requests/download/{bob_id}.{alice_secret}").status_code == 404
    assert desk.client.get(f"/requests/download/{alice_id}.{alice_secret}").status_code == 200


def test_staff_routes_check_permissions_and_ids(
    desk: Desk, staff_client: Callable[[Role], TestClient], new_client: Callable[[], TestClient]
) -> None:
    made = desk.submit("restriction", ALICE)
    agent = staff_client(Role.SUPPORT_AGENT)
    auditor = staff_client(Role.AUDITOR)
    assert agent.get(f"/api/v1/requests/{made['id']}").status_code == 200
    assert (
        agent.post(f"/api/v1/requests/{made['id']}/deny", json={"reason": "no"}).status_code == 403
    )
    assert (
        auditor.post(f"/api/v1/requests/{made['id']}/notes", json={"text": "hello"}).status_code
        == 403
    )
    assert agent.get("/api/v1/requests/R-1999-000001").status_code == 404
    assert agent.get(f"/admin/requests/{made['id']}/package").status_code == 403
    assert new_client().get(f"/api/v1/requests/{made['id']}").status_code == 401
    # the requester's token is no staff credential
    anonymous = new_client()
    anonymous.headers["x-requester-token"] = made["token"]
    assert anonymous.get(f"/api/v1/requests/{made['id']}").status_code == 401
    # an app key with requests.read lists the queue but decides nothing
    admin = staff_client(Role.ADMIN)
    key = admin.post(
        "/api/v1/api-clients", json={"name": "app", "scopes": ["requests.read"]}
    ).json()["key"]
    app = new_client()
    app.headers["authorization"] = f"Bearer {key}"
    assert [r["id"] for r in app.get("/api/v1/requests").json()] == [made["id"]]
    assert app.post(f"/api/v1/requests/{made['id']}/execute").status_code == 403


def test_a_phone_number_on_file_counts_and_the_code_goes_to_the_email_on_file(
    desk: Desk, world: World
) -> None:
    phone = "+49 151 23456789"
    subject_id = desk.customer(ALICE, phone=phone)
    response = desk.client.post(
        "/api/v1/requests", json={"type": "deletion", "phone": phone, "country": "DE"}
    )
    assert response.status_code == 201, response.text
    made = response.json()
    desk.tokens[made["id"]] = made["token"]
    verified = desk.verify(made["id"], desk.code(ALICE))  # the number matched: two data points
    assert verified.status_code == 200, verified.text
    assert verified.json()["status"] == "completed"
    assert desk.stored(made["id"]).facts["verified_with"] == ["email_on_file_code", "phone"]
    assert world.records_of(subject_id) == 0


def test_an_unknown_phone_number_waits_for_staff(desk: Desk) -> None:
    response = desk.client.post(
        "/api/v1/requests", json={"type": "restriction", "phone": "+49 151 11112222"}
    )
    made = response.json()
    assert made["status"] == "pending_verification"
    assert desk.deliver() == []  # no address to write to
    desk.tokens[made["id"]] = made["token"]
    assert desk.resend(made["id"]).json() == {"sent": False}
    assert desk.verify(made["id"], "123456").status_code == 422


def test_bad_input_is_refused_in_the_one_error_shape(desk: Desk) -> None:
    cases = [
        ({"type": "access"}, None),
        ({"type": "access", "email": ALICE, "phone": "+49 151 1"}, None),
        ({"type": "access", "email": "no-at-sign"}, "email"),
        ({"type": "access", "email": ALICE, "country": "ZZZ"}, "country"),
        ({"type": "teleport", "email": ALICE}, "type"),
        ({"type": "withdraw_consent", "email": ALICE, "purposes": ["nope"]}, "purposes"),
    ]
    for body, field in cases:
        response = desk.client.post("/api/v1/requests", json=body)
        assert response.status_code == 422, (body, response.text)
        error = response.json()["error"]
        assert set(error) == {"code", "message", "field"}
        if field:
            assert error["field"] == field, (body, error)


def test_a_person_may_open_five_requests_a_day(desk: Desk) -> None:
    for _ in range(5):
        desk.submit("restriction", ALICE)
    sixth = desk.client.post("/api/v1/requests", json={"type": "restriction", "email": ALICE})
    assert sixth.status_code == 429


def test_an_expired_download_link_is_refused_with_a_page_in_both_languages(desk: Desk) -> None:
    desk.customer(ALICE, account_id="acct-1")
    made = desk.submit("access", ALICE)
    desk.verify(made["id"], desk.code(ALICE), second=("account_id", "acct-1"))
    path = "/requests/download/" + desk.link(ALICE, "download").split("/requests/download/", 1)[1]
    with time_machine.travel(utcnow() + timedelta(days=15), tick=False):
        gone = desk.client.get(path + "?lang=zh-CN")
        assert gone.status_code == 410
        assert "此下载链接已过期" in gone.text
        assert "This download link has expired" in desk.client.get(path + "?lang=en").text
