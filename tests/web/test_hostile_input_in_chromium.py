"""Script in free-text fields is shown as text in the console and never runs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page
from tests.conftest import PASSWORD

from privacyops.db import Database
from privacyops.disclosures import authority
from privacyops.staff.permissions import Role

pytestmark = pytest.mark.browser

PAYLOADS = [
    '<script>window.__xss = "script"</script>',
    "<img src=x onerror=\"window.__xss = 'img'\">",
    '"><svg onload="window.__xss = \'svg\'">',
    "javascript:window.__xss='href'",
]


def test_hostile_staff_names_render_as_text(
    browser: Browser,
    base_url: str,
    make_staff: Callable[..., int],
    staff_client: Callable[[Role], TestClient],
) -> None:
    admin = staff_client(Role.ADMIN)
    for n, payload in enumerate(PAYLOADS):
        response = admin.post(
            "/api/v1/staff",
            json={
                "username": f"hostile{n}",
                "role": "auditor",
                "password": "x" * 12,
                "display_name": payload,
            },
        )
        assert response.status_code == 201
    make_staff("viewer", Role.ADMIN)
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{base_url}/admin/login")
    page.fill("input[name=username]", "viewer")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    for path in ("/admin/staff", "/admin/audit", "/admin"):
        page.goto(base_url + path)
        assert page.evaluate("() => window.__xss") is None
    page.goto(f"{base_url}/admin/staff")
    text = page.locator("main").inner_text()
    assert all(payload in text for payload in PAYLOADS[:2])
    assert dialogs == []


def _logged_in(browser: Browser, base_url: str, username: str) -> tuple[Page, list[str]]:
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{base_url}/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    return page, dialogs


def test_hostile_incident_texts_and_authority_requests_render_as_text(
    browser: Browser,
    base_url: str,
    db: Database,
    make_staff: Callable[..., int],
    staff_client: Callable[[Role], TestClient],
) -> None:
    officer = staff_client(Role.PRIVACY_OFFICER)
    created = officer.post(
        "/api/v1/incidents",
        json={
            "title": PAYLOADS[0],
            "description": PAYLOADS[1],
            "detected_at": "2026-11-30T08:00:00Z",
            "aware_at": "2026-11-30T09:00:00Z",
            "categories": ["account"],
            "systems": [PAYLOADS[2]],
            "risk_reasons": PAYLOADS[3],
            "measures": [PAYLOADS[0]],
        },
    )
    assert created.status_code == 201, created.text
    incident = created.json()["id"]
    for payload in PAYLOADS:
        assert officer.post(
            f"/api/v1/incidents/{incident}/notes", json={"text": payload}
        ).is_success
        assert officer.post(
            f"/api/v1/incidents/{incident}/tasks", json={"title": payload}
        ).is_success
    with db.unit_of_work() as session:
        authority.record_request(
            session=session,
            authority=PAYLOADS[1],
            country="CN",
            legal_basis=PAYLOADS[0],
            scope=PAYLOADS[2],
            subject_id=None,
            actor="staff:test",
        )
    make_staff("watcher", Role.PRIVACY_OFFICER)
    page, dialogs = _logged_in(browser, base_url, "watcher")
    for path in (
        "/admin/incidents",
        f"/admin/incidents/{incident}",
        "/admin/authority-requests",
        "/admin/audit",
    ):
        response = page.goto(base_url + path)
        assert response is not None
        assert response.status == 200, path
        assert page.evaluate("() => window.__xss") is None, path
    page.goto(f"{base_url}/admin/incidents/{incident}")
    text = page.locator("main").inner_text()
    assert all(payload in text for payload in PAYLOADS)
    page.goto(f"{base_url}/admin/authority-requests")
    assert PAYLOADS[1] in page.locator("main").inner_text()
    assert dialogs == []
