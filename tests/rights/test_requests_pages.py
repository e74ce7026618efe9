"""The privacy center's pages in both languages, account deletion, and the console."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.rights.requests_support import Desk, open_desk
from tests.rights.support import World

from privacyops.audit.models import AuditEvent
from privacyops.staff.permissions import Role

ALICE = "alice.wang@example.com"
PHONE = "+49 151 23456789"


@pytest.fixture
def desk(app_client: TestClient, world: World) -> Iterator[Desk]:
    with open_desk(app_client, world) as opened:
        yield opened


def _token(location: str) -> str:
    return location.split("/requests/status/", 1)[1].split("?", 1)[0]


def test_the_form_is_bilingual_and_leads_to_the_status_page(desk: Desk) -> None:
    english = desk.client.get("/rights?lang=en")
    chinese = desk.client.get("/rights?lang=zh-CN")
    assert english.status_code == chinese.status_code == 200
    assert "Make a privacy request" in english.text
    assert "提交隐私请求" in chinese.text
    assert "查阅权" in chinese.text  # the rights come from the declaration, in its language
    sent = desk.client.post(
        "/rights?lang=zh-CN",
        data={"type": "restriction", "contact": ALICE, "country": "CN", "details": "请限制"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    token = _token(sent.headers["location"])
    page = desk.client.get(sent.headers["location"])
    assert "等待您验证身份" in page.text
    assert "我们已收到您的请求" in page.text
    receipt = [m for m in desk.mail_to(ALICE) if "验证码" not in m.subject]
    assert token in receipt[0].body("plain")
    code = desk.code(ALICE)
    wrong = desk.client.post(
        f"/requests/status/{token}/verify?lang=zh-CN",
        data={"code": f"{(int(code) + 1) % 1_000_000:06d}"},
    )
    assert wrong.status_code == 200  # back on the status page, which shows why
    assert wrong.url.path == f"/requests/status/{token}"
    assert "验证码不正确" in wrong.text
    done = desk.client.post(
        f"/requests/status/{token}/verify?lang=zh-CN", data={"code": code}, follow_redirects=False
    )
    assert done.status_code == 303
    final = desk.client.get(done.headers["location"])
    assert "已完成" in final.text
    assert "我们已将对您信息的处理限制在必要范围内" in final.text


def test_form_errors_are_shown_in_the_requesters_language(desk: Desk) -> None:
    bad = desk.client.post(
        "/rights?lang=zh-CN", data={"type": "access", "contact": "not an address@", "country": "CN"}
    )
    assert bad.status_code == 422
    assert "请填写有效的电子邮箱" in bad.text
    unknown = desk.client.post("/rights", data={"type": "nonsense", "contact": ALICE})
    assert unknown.status_code == 422
    assert "We could not accept this" in unknown.text


def test_account_deletion_without_the_app(desk: Desk, world: World) -> None:
    subject_id = desk.customer(ALICE, phone=PHONE)
    assert "注销我的账号" in desk.client.get("/account/delete?lang=zh-CN").text
    page = desk.client.get("/account/delete")
    assert "Delete my account" in page.text
    assert "What is deleted, and what is kept" in page.text
    sent = desk.client.post(
        "/account/delete", data={"contact": ALICE, "country": "DE"}, follow_redirects=False
    )
    token = _token(sent.headers["location"])
    status = desk.client.get(f"/requests/status/{token}")
    assert "Device serial number" in status.text  # a deletion asks for a second identifier
    done = desk.client.post(
        f"/requests/status/{token}/verify",
        data={"code": desk.code(ALICE), "second_kind": "phone", "second_value": PHONE},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "Completed" in desk.client.get(done.headers["location"]).text
    assert world.records_of(subject_id) == 0


def test_account_deletion_api_for_the_apps(desk: Desk) -> None:
    desk.customer(ALICE, account_id="acct-9")
    made = desk.client.post(
        "/api/v1/requests/account-deletion", json={"email": ALICE, "country": "DE"}
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["type"] == "deletion"
    desk.tokens[body["id"]] = body["token"]
    verified = desk.verify(body["id"], desk.code(ALICE), second=("account_id", "acct-9"))
    assert verified.json()["status"] == "completed"
    assert desk.stored(body["id"]).channel == "account"
    both = desk.client.post(
        "/api/v1/requests/account-deletion", json={"email": ALICE, "phone": PHONE}
    )
    assert both.status_code == 422


def test_staff_enter_a_mailed_request_and_handle_it_in_the_console(
    desk: Desk, world: World, staff_client: Callable[[Role], TestClient]
) -> None:
    desk.customer(ALICE)  # holds data, but no second identifier is on file
    agent = staff_client(Role.SUPPORT_AGENT)
    entered = agent.post(
        "/admin/requests",
        data={
            "type": "access",
            "contact": ALICE,
            "channel": "email",
            "country": "DE",
            "language": "en",
            "details": "Sent to support@ on Monday",
        },
        follow_redirects=False,
    )
    assert entered.status_code == 303, entered.text
    request_id = entered.headers["location"].split("/admin/requests/", 1)[1].split("?")[0]
    status_link = desk.link(ALICE, "status")
    token = status_link.split("/requests/status/", 1)[1].split("?", 1)[0]
    desk.tokens[request_id] = token
    assert desk.stored(request_id).channel == "email"
    partial = desk.verify(request_id, desk.code(ALICE))
    assert partial.json()["awaiting_staff"] is True
    detail = agent.get(f"/admin/requests/{request_id}")
    assert "a second data point is needed from staff" in detail.text
    assert "Sent to support@" not in detail.text  # the details stay encrypted for this role
    assert (
        agent.post(
            f"/admin/requests/{request_id}/notes",
            data={"text": "Called back, matched order number"},
        ).status_code
        == 200
    )
    verified = agent.post(
        f"/admin/requests/{request_id}/verify",
        data={"method": "Phone call; the order number matched"},
        follow_redirects=False,
    )
    assert verified.status_code == 303
    assert desk.status(request_id).json()["status"] == "completed"
    assert desk.link(ALICE, "download")

    dpo = staff_client(Role.PRIVACY_OFFICER)
    page = dpo.get(f"/admin/requests/{request_id}?reveal=true")
    assert "Sent to support@ on Monday" in page.text
    assert "Called back, matched order number" in page.text
    package = dpo.get(f"/admin/requests/{request_id}/package")
    assert package.status_code == 200
    assert package.headers["content-type"] == "application/zip"
    assert agent.get(f"/admin/requests/{request_id}/package").status_code == 403
    with world.db.unit_of_work() as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"rights.package_downloaded_by_staff", "rights.details_read"} <= actions


def test_deny_with_a_reason_the_requester_reads(
    desk: Desk, staff_client: Callable[[Role], TestClient]
) -> None:
    made = desk.submit("restriction", ALICE)
    dpo = staff_client(Role.PRIVACY_OFFICER)
    denied = dpo.post(
        f"/admin/requests/{made['id']}/deny",
        data={"reason": "We hold no data about this address."},
        follow_redirects=False,
    )
    assert denied.status_code == 303
    status = desk.status(made["id"]).json()
    assert status["status"] == "denied"
    assert status["decision_reason"] == "We hold no data about this address."
    page = desk.client.get(f"/requests/status/{made['token']}")
    assert "We hold no data about this address." in page.text
    [notice] = [m for m in desk.mail_to(ALICE) if "cannot act" in m.subject]
    body = notice.body("plain")
    assert "Why: We hold no data about this address." in body
    assert "you can complain to" in body  # and to whom: the regime's authority
    again = dpo.post(
        f"/admin/requests/{made['id']}/deny", data={"reason": "again"}, follow_redirects=False
    )
    assert "Refused" in again.headers["location"]


def test_the_console_shows_requests_and_refusals_in_chinese(
    desk: Desk, staff_client: Callable[[Role], TestClient]
) -> None:
    made = desk.submit("restriction", ALICE)
    dpo = staff_client(Role.PRIVACY_OFFICER)
    queue = dpo.get("/admin/requests?lang=zh-CN")
    assert "<h1>权利请求</h1>" in queue.text
    assert "限制处理" in queue.text
    assert "待验证" in queue.text
    assert "Rights requests" not in queue.text
    denied = dpo.post(f"/admin/requests/{made['id']}/deny", data={"reason": "No data held here."})
    assert 'class="ok"' in denied.text
    assert "已拒绝" in denied.text
    again = dpo.post(f"/admin/requests/{made['id']}/deny", data={"reason": "again"})
    assert "failed=1" in str(again.url)
    assert 'class="error" role="status">已拒绝：' in again.text
    english = dpo.get(f"/admin/requests/{made['id']}?lang=en")
    assert "Deadline basis" in english.text
    assert "时限依据" not in english.text


def test_metrics_per_year_as_page_json_and_csv(
    desk: Desk, staff_client: Callable[[Role], TestClient]
) -> None:
    desk.submit("complaint", ALICE)
    desk.submit("restriction", "bob@example.com")
    year = datetime.now(UTC).year
    auditor = staff_client(Role.AUDITOR)
    data = auditor.get(f"/api/v1/requests/metrics?year={year}").json()
    rows = {row["right"]: row for row in data["rows"]}
    assert rows["total"]["received"] == 2
    assert rows["complaint"]["complied"] == 1
    assert rows["restriction"]["open"] == 1
    assert rows["complaint"]["median_days_to_close"] is not None
    table = list(
        csv.DictReader(io.StringIO(auditor.get(f"/api/v1/requests/metrics.csv?year={year}").text))
    )
    assert table[-1]["right"] == "total"
    assert table[-1]["received"] == "2"
    page = auditor.get(f"/admin/requests/metrics?year={year}")
    assert page.status_code == 200
    assert "Median days to close" in page.text
    assert (
        staff_client(Role.SUPPORT_AGENT).get("/api/v1/requests/metrics?year=2026").status_code
        == 403
    )


def test_a_flood_of_requests_from_one_address_is_stopped(desk: Desk) -> None:
    statuses = []
    for n in range(22):
        response = desk.client.post(
            "/api/v1/requests",
            json={"type": "inquiry", "email": f"flood{n}@example.com", "country": "DE"},
        )
        statuses.append(response.status_code)
    assert statuses[:20] == [201] * 20
    assert statuses[20:] == [429, 429]
    page = desk.client.post(
        "/rights", data={"type": "inquiry", "contact": "one.more@example.com", "country": "DE"}
    )
    assert page.status_code == 429
    assert "Too many tries" in page.text
