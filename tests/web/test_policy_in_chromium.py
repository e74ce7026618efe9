"""The public policy and the console's policy section, as a person sees them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser
from tests.browser import SCREENSHOTS, live_server
from tests.conftest import PASSWORD

from privacyops.app import create_app
from privacyops.db import Database
from privacyops.policy import versions
from privacyops.settings import Settings
from privacyops.staff.permissions import Role

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(settings: Settings, db: Database) -> Iterator[str]:
    with db.unit_of_work() as session:
        source = settings.policy.read_text(encoding="utf-8")
        versions.publish(session=session, source=source, name="policy", actor="test")
    with live_server(create_app(settings, db=db)) as url:
        yield url


def test_the_public_policy_reads_in_english_and_chinese(browser: Browser, base_url: str) -> None:
    page = browser.new_page()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.goto(f"{base_url}/policy?lang=en")
    assert page.locator("article h1").inner_text() == "Privacy Policy"
    assert page.locator("article section").count() >= 16
    page.screenshot(path=SCREENSHOTS / "policy-en.png")
    page.goto(f"{base_url}/policy?lang=zh-CN")
    assert page.locator("article h1").inner_text() == "隐私政策"
    page.screenshot(path=SCREENSHOTS / "policy-zh.png")


def test_the_console_shows_the_data_map_and_every_document(
    browser: Browser, base_url: str, make_staff: Callable[..., int]
) -> None:
    make_staff("dana", Role.PRIVACY_OFFICER)
    page = browser.new_page()
    page.goto(f"{base_url}/admin/login")
    page.fill("input[name=username]", "dana")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{base_url}/admin/policy")
    assert "It matches published version 1.0.0" in page.locator("main").inner_text()
    page.screenshot(path=SCREENSHOTS / "admin-policy.png", full_page=True)
    for document in ("apple", "datasafety", "ropa", "cookies"):
        page.goto(f"{base_url}/admin/policy/{document}")
        assert page.locator(".document table").count() >= 1
        page.screenshot(path=SCREENSHOTS / f"admin-policy-{document}.png")
