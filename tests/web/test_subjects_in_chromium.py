"""In a real browser: staff find a subject and open its page; a visitor sends both center forms."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page
from tests.browser import SCREENSHOTS, live_server
from tests.conftest import PASSWORD

from privacyops.app import create_app
from privacyops.collection import demo
from privacyops.db import Database
from privacyops.policy.loader import load_declaration
from privacyops.settings import Settings
from privacyops.staff.permissions import Role
from privacyops.vault.service import Vault

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(settings: Settings, db: Database) -> Iterator[str]:
    with db.unit_of_work() as session:
        demo.seed(
            session=session,
            vault=Vault.from_settings(settings),
            declaration=load_declaration(settings.policy),
            customers=12,
        )
    with live_server(create_app(settings, db=db)) as url:
        yield url


def _watch(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    return errors


@pytest.fixture
def staff_page(browser: Browser, base_url: str, make_staff: Callable[..., int]) -> Iterator[Page]:
    make_staff("dana", Role.PRIVACY_OFFICER)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = _watch(page)
    page.goto(f"{base_url}/admin/login")
    page.fill("input[name=username]", "dana")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/admin")
    yield page
    assert errors == []


def test_staff_find_a_subject_and_reveal_its_values(staff_page: Page, base_url: str) -> None:
    page = staff_page
    page.click("nav >> text=Subjects")
    page.wait_for_url(f"{base_url}/admin/subjects")
    assert page.locator("#pending tbody tr").count() == 1  # the demo minor
    page.screenshot(path=str(SCREENSHOTS / "admin-subjects.png"), full_page=True)
    page.select_option("select[name=kind]", "account_id")
    page.fill("input[name=value]", "demo-0003")
    page.click("form[aria-label='Find a data subject'] button[type=submit]")
    assert page.locator("#matches tbody tr").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "admin-subjects-search.png"), full_page=True)
    page.click("#matches tbody a")
    page.wait_for_selector("h1:has-text('Subject')")
    body = page.inner_text("main")
    assert "d***@example.com" in body
    assert "demo003@example.com" not in body
    assert "Device model" in body
    assert "IP address" in body
    page.screenshot(path=str(SCREENSHOTS / "admin-subject.png"), full_page=True)
    page.click("#show-values")
    page.wait_for_selector("text=this read is audited")
    assert "demo003@example.com" in page.inner_text("main")
    page.screenshot(path=str(SCREENSHOTS / "admin-subject-revealed.png"), full_page=True)


def test_the_pending_minor_page_offers_both_age_actions(staff_page: Page, base_url: str) -> None:
    page = staff_page
    page.goto(f"{base_url}/admin/subjects")
    page.click("#pending tbody a")
    page.wait_for_selector("#parental-consent")
    assert page.is_visible("#child-data")
    page.screenshot(path=str(SCREENSHOTS / "admin-subject-minor.png"), full_page=True)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_visitor_sends_the_contact_form(browser: Browser, base_url: str, lang: str) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors = _watch(page)
    page.goto(f"{base_url}/?lang={lang}")
    page.click(f"a[href='/contact?lang={lang}']")
    page.fill("#f-name", "Lena Example")
    page.fill("#f-email", "lena-at-example")
    page.click("form button[type=submit]")
    page.wait_for_selector("#e-email")
    suffix = "zh" if lang == "zh-CN" else "en"
    page.screenshot(path=str(SCREENSHOTS / f"center-contact-error-{suffix}.png"), full_page=True)
    page.fill("#f-email", "lena@example.com")
    page.select_option("#f-country", "FR")
    page.fill("#f-message", "Where can I download the manual of the FST-MCB-63?")
    page.click("form button[type=submit]")
    page.wait_for_selector("[role=status]")
    page.screenshot(path=str(SCREENSHOTS / f"center-contact-sent-{suffix}.png"), full_page=True)
    assert [e for e in errors if not e.startswith("422 ")] == []  # the shown field error


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_partner_sends_the_cooperation_form(browser: Browser, base_url: str, lang: str) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors = _watch(page)
    page.goto(f"{base_url}/cooperation?lang={lang}")
    suffix = "zh" if lang == "zh-CN" else "en"
    page.screenshot(path=str(SCREENSHOTS / f"center-cooperation-{suffix}.png"), full_page=True)
    page.fill("#f-company_name", "Example Utilities Ltd.")
    page.fill("#f-contact_name", "Bao Sample")
    page.fill("#f-email", "bao@example.com")
    page.fill("#f-cooperation_details", "400 smart breakers per quarter")
    page.click("form button[type=submit]")
    page.wait_for_selector("[role=status]")
    page.screenshot(path=str(SCREENSHOTS / f"center-cooperation-sent-{suffix}.png"), full_page=True)
    assert errors == []
