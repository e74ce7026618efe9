"""The console's sources page and the dry-run API: permission, empty state, clear refusals."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from privacyops.staff.permissions import Role


def test_the_sources_page_and_api_need_the_permission(
    staff_client: Callable[[Role], TestClient],
) -> None:
    officer = staff_client(Role.PRIVACY_OFFICER)
    page = officer.get("/admin/sources")
    assert page.status_code == 200
    assert "The declaration names no external source." in page.text
    assert officer.get("/api/v1/sources").json() == []
    agent = staff_client(Role.SUPPORT_AGENT)
    assert agent.get("/api/v1/sources").status_code == 403


def test_the_dry_run_of_an_unknown_request_is_a_clear_404(
    staff_client: Callable[[Role], TestClient],
) -> None:
    officer = staff_client(Role.PRIVACY_OFFICER)
    response = officer.get("/api/v1/sources/erasure-preview/nope")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "no rights request 'nope'"
    assert response.json()["error"]["field"] == "request_id"


def test_a_message_with_a_percent_sign_is_shown_as_written(
    staff_client: Callable[[Role], TestClient],
) -> None:
    officer = staff_client(Role.PRIVACY_OFFICER)
    page = officer.get("/admin/sources", params={"message": "50% done %(x)s"})
    assert page.status_code == 200
    assert "50% done %(x)s" in page.text
    assert "检查完成" in officer.get("/admin/sources?message=Checked&lang=zh-CN").text
