"""The consent banner in a real Chromium: blocking, choices, GPC, renewal, keyboard, languages."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from urllib.parse import unquote

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import select
from tests.browser import SCREENSHOTS, live_server
from tests.consent.support import publish_major, publish_v1

from privacyops.app import create_app
from privacyops.consent import notices
from privacyops.consent.models import ConsentEvent
from privacyops.db import Database
from privacyops.settings import Settings

pytestmark = pytest.mark.browser

EU = {"X-Consent-Region": "DE"}
CA = {"X-Consent-Region": "US-CA"}
GPC_ON = (
    "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', "
    "{get() { return true; }, configurable: true});"
)


@pytest.fixture
def base_url(settings: Settings, db: Database) -> Iterator[str]:
    notices.forget_known()
    with live_server(create_app(settings, db=db)) as url:
        yield url
    notices.forget_known()


@pytest.fixture
def visit(browser: Browser, base_url: str) -> Iterator[Callable[..., tuple[BrowserContext, Page]]]:
    """A fresh visitor: ``visit(path, headers, gpc=False)``; console errors fail the test."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def make(
        path: str = "/demo/shop", headers: dict[str, str] | None = None, gpc: bool = False
    ) -> tuple[BrowserContext, Page]:
        context = browser.new_context(extra_http_headers={**(headers or EU)})
        if gpc:
            context.add_init_script(GPC_ON)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda msg: (
                errors.append(msg.text) if msg.type == "error" and failure(msg.text) else None
            ),
        )
        page.on(
            "response",
            lambda r: (
                errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico")
                else None
            ),
        )
        page.goto(base_url + path)
        return context, page

    yield make
    for context in contexts:
        context.close()
    assert errors == []


def failure(text: str) -> bool:
    """Console errors count, except the browser's own note on a missing favicon."""
    return not text.startswith("Failed to load resource")


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"consent-{name}.png", full_page=True)


def stored_choice(context: BrowserContext) -> dict[str, object]:
    found = {c["name"]: c["value"] for c in context.cookies()}
    value: dict[str, object] = json.loads(unquote(found["fst_consent"]))
    return value


def cookie_names(context: BrowserContext) -> set[str]:
    return {c["name"] for c in context.cookies()}


def events(db: Database) -> list[tuple[str, str, str]]:
    with db.unit_of_work() as session:
        rows = session.scalars(select(ConsentEvent).order_by(ConsentEvent.id))
        return [(r.purpose, r.state, r.method) for r in rows]


def analytics_ran(page: Page, timeout: float = 5.0) -> None:
    """Poll from outside the page: the strict CSP forbids the eval `wait_for_function` uses."""
    deadline = time.monotonic() + timeout
    while page.evaluate("window.fstAnalyticsRan") is not True:
        assert time.monotonic() < deadline, "the analytics tag did not run"
        page.wait_for_timeout(50)


def click_and_wait(page: Page, selector: str) -> None:
    with page.expect_response(lambda r: r.url.endswith("/consent/choices")) as sent:
        page.click(selector)
    assert sent.value.status == 201


def test_the_banner_appears_with_equal_accept_and_reject(
    visit: Callable[..., tuple[BrowserContext, Page]],
) -> None:
    _context, page = visit()
    banner = page.wait_for_selector(".fc-banner[role=region]")
    assert banner is not None
    assert banner.get_attribute("aria-label") == "Cookie consent"
    accept, reject = page.locator("[data-fc=accept]"), page.locator("[data-fc=reject]")
    assert accept.get_attribute("class") == reject.get_attribute("class")
    a, r = accept.bounding_box(), reject.bounding_box()
    assert a is not None
    assert r is not None
    assert abs(a["height"] - r["height"]) < 1
    assert abs(a["width"] - r["width"]) < 2
    assert page.evaluate("window.fstAnalyticsRan") is None
    shot(page, "banner-en")


def test_reject_keeps_the_analytics_tag_from_running(
    visit: Callable[..., tuple[BrowserContext, Page]], db: Database
) -> None:
    context, page = visit()
    page.wait_for_selector(".fc-banner")
    click_and_wait(page, "[data-fc=reject]")
    assert page.locator(".fc-banner").count() == 0
    assert page.evaluate("window.fstAnalyticsRan") is None
    assert "fst_aid" not in cookie_names(context)
    assert stored_choice(context)["c"] == {"analytics": False, "functional": False}
    assert events(db) == [
        ("product_analytics", "denied", "banner"),
        ("consented_uses", "denied", "banner"),
    ]
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator(".fc-banner").count() == 0
    assert page.evaluate("window.fstAnalyticsRan") is None


def test_accept_runs_the_analytics_tag_which_sets_its_cookie(
    visit: Callable[..., tuple[BrowserContext, Page]], db: Database
) -> None:
    context, page = visit()
    page.wait_for_selector(".fc-banner")
    click_and_wait(page, "[data-fc=accept]")
    analytics_ran(page)
    assert "fst_aid" in cookie_names(context)
    assert ("product_analytics", "granted", "banner") in events(db)
    page.reload()
    analytics_ran(page)
    assert page.locator(".fc-banner").count() == 0


def test_withdrawing_deletes_the_category_cookies_and_stops_the_tag(
    visit: Callable[..., tuple[BrowserContext, Page]], db: Database
) -> None:
    context, page = visit()
    click_and_wait(page, "[data-fc=accept]")
    analytics_ran(page)
    assert "fst_aid" in cookie_names(context)
    page.evaluate("window.fstConsent.open()")
    with page.expect_navigation():  # a tag that already ran is stopped by reloading
        click_and_wait(page, ".fc-dialog [data-fc=reject]")
    page.wait_for_load_state("networkidle")
    assert "fst_aid" not in cookie_names(context)
    assert page.evaluate("window.fstAnalyticsRan") is None
    assert events(db)[-2:] == [
        ("product_analytics", "withdrawn", "preferences"),
        ("consented_uses", "withdrawn", "preferences"),
    ]


def test_gpc_opts_a_california_visitor_out_of_sale_and_sharing(
    visit: Callable[..., tuple[BrowserContext, Page]], db: Database
) -> None:
    with_signal = {**CA, "Sec-GPC": "1"}
    context, page = visit(headers=with_signal, gpc=True)
    note = page.wait_for_selector(".fc-banner .fc-gpc")
    assert note is not None
    assert "Opt-Out Preference Signal Honored" in note.inner_text()
    analytics_ran(page)  # opt-out regime: analytics on
    page.wait_for_timeout(300)
    recorded = events(db)
    assert ("sale_sharing", "denied", "gpc") in recorded
    assert ("product_analytics", "granted", "jurisdiction_default") in recorded
    assert stored_choice(context)["c"]["sale_sharing"] is False  # type: ignore[index]
    shot(page, "gpc-california")
    page.click("[data-fc=prefs]")
    box = page.locator("input[data-cat=sale_sharing]")
    assert box.is_checked() is False
    shot(page, "gpc-preferences")


def test_gpc_in_the_eu_leaves_the_banner_to_decide(
    visit: Callable[..., tuple[BrowserContext, Page]], db: Database
) -> None:
    _context, page = visit(headers={**EU, "Sec-GPC": "1"}, gpc=True)
    page.wait_for_selector(".fc-banner")
    assert page.locator(".fc-gpc").count() == 0
    assert events(db) == []


def test_a_major_version_asks_again_for_a_granted_purpose(
    visit: Callable[..., tuple[BrowserContext, Page]], db: Database
) -> None:
    with db.unit_of_work() as session:
        publish_v1(session)
    context, page = visit()
    click_and_wait(page, "[data-fc=accept]")
    assert stored_choice(context)["v"] == "1.0.0"
    with db.unit_of_work() as session:
        publish_major(session, "2.0.0")
    analytics_page = context.new_page()
    analytics_page.goto(page.url)
    banner = analytics_page.wait_for_selector(".fc-banner")
    assert banner is not None
    assert "changed in a way that affects" in banner.inner_text()
    assert analytics_page.evaluate("window.fstAnalyticsRan") is None
    shot(analytics_page, "renewal")
    click_and_wait(analytics_page, "[data-fc=accept]")
    assert stored_choice(context)["v"] == "2.0.0"
    analytics_ran(analytics_page)


def test_the_banner_and_its_dialog_work_with_the_keyboard(
    visit: Callable[..., tuple[BrowserContext, Page]], db: Database
) -> None:
    _context, page = visit()
    page.wait_for_selector(".fc-banner")
    assert page.evaluate("document.activeElement.classList.contains('fc-banner')")
    order = []
    for _ in range(4):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.getAttribute('data-fc') || 'link'"))
    assert order == ["link", "accept", "reject", "prefs"]
    page.keyboard.press("Enter")
    dialog = page.wait_for_selector("[role=dialog][aria-modal=true]")
    assert dialog is not None
    assert page.evaluate("document.activeElement.getAttribute('data-cat')") == "analytics"
    assert page.locator("input[data-cat=necessary]").is_disabled()
    shot(page, "preferences-dialog")
    for _ in range(8):
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('[role=dialog]')")
    page.keyboard.press("Escape")
    assert page.locator("[role=dialog]").count() == 0
    assert page.evaluate("document.activeElement.getAttribute('data-fc')") == "prefs"
    page.keyboard.press("Enter")
    page.wait_for_selector("[role=dialog]")
    page.keyboard.press("Space")
    assert page.locator("input[data-cat=analytics]").is_checked()
    page.locator("[data-fc=save]").focus()
    with page.expect_response(lambda r: r.url.endswith("/consent/choices")):
        page.keyboard.press("Enter")
    assert events(db) == [
        ("product_analytics", "granted", "preferences"),
        ("consented_uses", "denied", "preferences"),
    ]
    analytics_ran(page)


def test_the_banner_speaks_chinese_on_a_chinese_page(
    visit: Callable[..., tuple[BrowserContext, Page]],
) -> None:
    _context, page = visit("/demo/shop?lang=zh-CN")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    banner = page.wait_for_selector(".fc-banner")
    assert banner is not None
    assert banner.get_attribute("aria-label") == "Cookie 同意"
    assert page.locator("[data-fc=accept]").inner_text() == "全部接受"
    assert page.locator("[data-fc=reject]").inner_text() == "全部拒绝"
    shot(page, "banner-zh")


def test_the_cookie_page_changes_choices_and_hands_out_the_receipt(
    visit: Callable[..., tuple[BrowserContext, Page]],
) -> None:
    context, page = visit("/cookies")
    page.wait_for_selector(".fc-banner")
    click_and_wait(page, "[data-fc=reject]")
    assert "not allowed" in page.locator("[data-consent-status]").inner_text()
    page.click("[data-consent-open]")
    page.check("input[data-cat=analytics]")
    with page.expect_response(lambda r: r.url.endswith("/consent/choices")):
        page.click("[data-fc=save]")
    status = page.locator("[data-consent-status]").inner_text()
    assert "Analytics cookies: allowed" in status
    assert page.locator("[data-consent-saved]").inner_text() == "Your choices were saved."
    assert page.locator("table.cookie-table").inner_text().count("fst_") == 5
    shot(page, "cookies-page")
    with page.expect_download() as download:
        page.click("a[href='/consent/receipt']")
    path = download.value.path()
    receipt = json.loads(path.read_text(encoding="utf-8"))
    states = {p["purpose"]: p["state"] for p in receipt["services"][0]["purposes"]}
    assert states["product_analytics"] == "granted"
    assert receipt["collectionMethod"] == "preferences"
    assert stored_choice(context)["id"] not in json.dumps(receipt)
