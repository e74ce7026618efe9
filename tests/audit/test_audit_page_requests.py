"""Malformed proof requests on the console's audit page get a 4xx with the reason."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from privacyops.audit.tasks import Run
from privacyops.staff.permissions import Role


def test_malformed_proof_requests_on_the_page_get_a_4xx_with_a_message(
    staff_client: Callable[[Role], TestClient],
    append: Callable[..., list[int]],
    sequence: Callable[..., Run],
) -> None:
    ids = append(3)
    sequence()
    pending = append(1)[0]
    auditor = staff_client(Role.AUDITOR)
    good = auditor.get(f"/admin/audit?proof={ids[1]}&old_size=1&new_size=3")
    assert good.status_code == 200, good.text
    cases = {
        "/admin/audit?proof=99999999": "no audit event 99999999",
        f"/admin/audit?proof={pending}": "is pending",
        "/admin/audit?old_size=2&new_size=50": "beyond the tree",
        "/admin/audit?old_size=3&new_size=2": "may not exceed",
    }
    for path, message in cases.items():
        answer = auditor.get(path)
        assert answer.status_code == 422, (path, answer.status_code)
        assert message in answer.text, path
    for path in ("/admin/audit?proof=abc", "/admin/audit?proof=0", "/admin/audit?old_size=-1"):
        answer = auditor.get(path)
        assert 400 <= answer.status_code < 500, (path, answer.status_code)


def test_the_page_says_a_refused_proof_in_the_console_language(
    staff_client: Callable[[Role], TestClient],
    append: Callable[..., list[int]],
    sequence: Callable[..., Run],
) -> None:
    append(2)
    sequence()
    auditor = staff_client(Role.AUDITOR)
    chinese = auditor.get("/admin/audit?lang=zh-CN&proof=99999999")
    assert chinese.status_code == 422
    assert "没有审计事件 99999999" in chinese.text
    english = auditor.get("/admin/audit?lang=en&old_size=2&new_size=50")
    assert "new_size 50 is beyond the tree of 2" in english.text
