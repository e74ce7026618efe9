"""Recipients register warnings; authority requests are decided by another person, then logged."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.disclosures.test_disclosures import new_subject

from privacyops.db import Database
from privacyops.disclosures import register
from privacyops.disclosures.models import AuthorityRequest, Disclosure
from privacyops.policy.schema import Declaration
from privacyops.staff.permissions import Role


def test_the_register_warns_on_a_missing_or_expired_agreement(declaration: Declaration) -> None:
    recipients = [
        r.model_copy(update={"agreement_ref": None}) if r.key == "affiliates" else r
        for r in declaration.recipients
    ]
    changed = declaration.model_copy(update={"recipients": recipients})
    entries = {e.key: e for e in register.register(changed, today=date(2026, 11, 24))}
    assert "no processing agreement on record" in entries["affiliates"].warnings
    assert entries["payment_partners"].warnings == ("agreement review overdue since 2026-06-30",)
    assert entries["logistics"].warnings == ()
    assert entries["legal_authorities"].warnings == ()  # acts under the law, not a contract
    assert entries["logistics"].agreement_ref == "FST-LOG-2026-02"
    assert "orders" in entries["logistics"].categories
    chinese = {e.key: e for e in register.register(changed, today=date(2026, 11, 24), lang="zh-CN")}
    assert chinese["payment_partners"].warnings == ("协议复核自2026-06-30起逾期",)
    assert "没有记录在案的委托处理协议" in chinese["affiliates"].warnings


def test_the_recipients_page_lists_every_recipient_with_its_warnings(
    staff_client: Callable[[Role], TestClient],
) -> None:
    page = staff_client(Role.AUDITOR).get("/admin/recipients")
    assert page.status_code == 200
    for label in ("Payment partners", "Logistics providers", "FST-PAY-2025-03"):
        assert label in page.text
    assert "agreement review overdue" in page.text
    assert staff_client(Role.SUPPORT_AGENT).get("/admin/recipients").status_code == 403


def _csrf(client: TestClient) -> str:
    page = client.get("/admin/authority-requests")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def test_an_authority_request_is_recorded_decided_by_another_and_answered(
    staff_client: Callable[[Role], TestClient], db: Database
) -> None:
    subject_id = new_subject(db)
    clerk, officer = staff_client(Role.PRIVACY_OFFICER), staff_client(Role.PRIVACY_OFFICER)
    form = {
        "csrf_token": _csrf(clerk),
        "authority": "Huairou District Public Security Bureau",
        "country": "CN",
        "legal_basis": "Criminal Procedure Law art. 54; case 2026-118",
        "scope": "Orders of one account in 2026",
        "subject_id": subject_id,
    }
    assert (
        clerk.post("/admin/authority-requests", data=form, follow_redirects=False).status_code
        == 303
    )
    with db.unit_of_work() as session:
        request_id = session.scalars(select(AuthorityRequest.id)).one()
    decision = {
        "decision": "approve",
        "note": "Valid order",
        "no_notice_reason": "Investigation secrecy",
    }
    own = clerk.post(
        f"/admin/authority-requests/{request_id}/decision",
        data={**decision, "csrf_token": _csrf(clerk)},
    )
    assert own.status_code == 403  # whoever recorded it cannot approve it
    done = officer.post(
        f"/admin/authority-requests/{request_id}/decision",
        data={**decision, "csrf_token": _csrf(officer)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    refused = officer.post(
        f"/admin/authority-requests/{request_id}/disclose",
        data={"categories": "orders telemetry", "csrf_token": _csrf(officer)},
    )
    assert refused.status_code == 422  # an undeclared category is refused here too
    answered = officer.post(
        f"/admin/authority-requests/{request_id}/disclose",
        data={"categories": "account orders", "csrf_token": _csrf(officer)},
        follow_redirects=False,
    )
    assert answered.status_code == 303, answered.text
    with db.unit_of_work() as session:
        row = session.get_one(AuthorityRequest, request_id)
        sent = list(session.scalars(select(Disclosure)))
    assert (row.status, row.may_tell_subject, row.no_notice_reason) == (
        "disclosed", False, "Investigation secrecy"
    )  # fmt: skip
    assert [(d.recipient, d.categories, d.basis, d.authority_request_id) for d in sent] == [
        ("legal_authorities", ["account", "orders"], "legal_obligation", request_id)
    ]
    page = staff_client(Role.SUPPORT_AGENT).get("/admin/authority-requests")
    assert page.status_code == 200
    assert "Huairou" in page.text
    assert "Record a request" not in page.text
