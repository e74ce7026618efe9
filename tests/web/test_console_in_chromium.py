"""A staff member logs in to the console in a real browser and sees the pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page
from tests.browser import SCREENSHOTS
from tests.conftest import PASSWORD

from privacyops.staff.permissions import Role

pytestmark = pytest.mark.browser


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/admin")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/admin")


def test_an_admin_logs_in_and_walks_the_console(
    browser: Browser, base_url: str, make_staff: Callable[..., int]
) -> None:
    make_staff("root", Role.ADMIN)
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base_url, "root")
    assert page.locator("h1").inner_text() == "Overview"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "admin-overview.png", full_page=True)
    for path, heading in [
        ("/admin/staff", "Staff"),
        ("/admin/audit", "Audit log"),
        ("/admin/api-clients", "API clients"),
    ]:
        page.goto(base_url + path)
        assert page.locator("h1").inner_text() == heading
        page.screenshot(path=SCREENSHOTS / f"admin-{path.rsplit('/', 1)[1]}.png", full_page=True)
    page.goto(f"{base_url}/admin/audit")
    page.click("text=Verify the whole log")
    assert "Log verified" in page.locator("[role=status]").first.inner_text()
    assert errors == []


def test_an_auditor_sees_no_staff_menu_and_is_refused_the_page(
    browser: Browser, base_url: str, make_staff: Callable[..., int]
) -> None:
    make_staff("avery", Role.AUDITOR)
    page = browser.new_page()
    log_in(page, base_url, "avery")
    assert page.locator("nav >> text=Staff").count() == 0
    response = page.goto(f"{base_url}/admin/staff")
    assert response is not None
    assert response.status == 403


def test_the_privacy_center_renders_in_both_languages(browser: Browser, base_url: str) -> None:
    page = browser.new_page()
    page.goto(f"{base_url}/?lang=zh-CN")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "隐私中心"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "center-zh.png", full_page=True)
    page.click("text=English")
    assert page.locator("h1").inner_text() == "Privacy Center"


def test_the_api_docs_render_offline(browser: Browser, base_url: str) -> None:
    page = browser.new_page()
    page.goto(f"{base_url}/api/docs")
    page.wait_for_selector(".swagger-ui .info", timeout=60_000)  # the schema is built on first use
    assert "privacyops" in page.locator(".swagger-ui .info").inner_text()
