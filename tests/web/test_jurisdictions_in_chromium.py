"""A privacy officer uses the jurisdiction calculators in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from tests.browser import SCREENSHOTS
from tests.web.conftest import ConsolePage

from privacyops.staff.permissions import Role

pytestmark = pytest.mark.browser


@pytest.fixture
def page(console_page: ConsolePage) -> Page:
    return console_page(Role.PRIVACY_OFFICER, "dana")


def test_the_deadline_and_breach_calculators_answer_in_the_page(page: Page, base_url: str) -> None:
    page.click("nav >> text=Jurisdictions")
    assert page.locator("h1").inner_text() == "Jurisdictions"
    assert page.locator("#regimes tbody tr").count() == 18
    deadline = page.locator("form[aria-label='Request deadline calculator']")
    deadline.locator("input[name=received_at]").fill("2025-09-26T10:00")
    deadline.locator("select[name=zone]").select_option("regime")
    deadline.locator("select[name=regime]").select_option("CN")
    deadline.locator("button[type=submit]").click()
    answer = page.locator("#deadline-answer")
    assert "CN: due 2025-10-23 (end of day, Asia/Shanghai), decided by the law" in (
        answer.inner_text()
    )
    for code in ("EU", "CN"):
        page.locator(f"#breach input[name=regimes][value='{code}']").check()
    breach = page.locator("#breach-form")
    breach.locator("input[name=aware_at]").fill("2025-04-17T15:00")
    breach.locator("input[name=major]").check()
    breach.locator("button[type=submit]").click()
    assert "4 clocks from 2025-04-17 15:00 UTC" in page.locator("#breach-answer").inner_text()
    assert page.locator("#breach tbody tr").first.locator("td").first.inner_text() == (
        "2025-04-17 19:00"
    )
    assert "2025-10-23" in page.locator("#deadline-answer").inner_text()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "admin-jurisdictions.png", full_page=True)


def test_a_regime_page_links_its_sources(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/admin/jurisdictions")
    page.click("#regimes >> text=US-CA")
    assert page.locator("h1").inner_text() == "US-CA"
    assert page.locator("section:has(h2:text('Sources')) li a").count() >= 3
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "admin-jurisdictions-us-ca.png", full_page=True)
