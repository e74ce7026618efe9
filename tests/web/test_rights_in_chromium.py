"""A requester and a privacy officer in real Chromium: the form, the status page with the code
from real e-mail, account deletion without the app, and the console's queue and detail."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page
from tests.browser import SCREENSHOTS
from tests.conftest import PASSWORD
from tests.notify.support import SENDER, SmtpSink
from tests.rights.requests_support import CODE, smtp_sink
from tests.subjects.factories import store

from privacyops.db import Database, utcnow
from privacyops.notify import service as notify
from privacyops.notify.backends import SmtpBackend
from privacyops.policy.loader import load_declaration
from privacyops.rights import demo
from privacyops.settings import Settings
from privacyops.staff.permissions import Role
from privacyops.subjects import service as subjects
from privacyops.vault.service import Vault

pytestmark = pytest.mark.browser

ALICE = "alice.wang@example.com"
LI = "li.lei@example.com"
PHONE = "+86 138 1234 5678"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as started:
        yield started


def _page(browser: Browser) -> tuple[Page, list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
    return page, errors


def _code(db: Database, vault: Vault, sink: SmtpSink, address: str) -> str:
    backend = SmtpBackend("127.0.0.1", sink.port, sender=SENDER)
    try:
        with db.unit_of_work() as session:
            notify.deliver_due(
                session=session,
                vault=vault,
                backend=backend,
                now=utcnow(),
                checkpoint=session.commit,
            )
    finally:
        backend.close()
    codes = [
        m.group(1)
        for r in sink.received
        if address in r.rcpt_tos and (m := CODE.search(r.body("plain")))
    ]
    assert codes
    return codes[-1]


def _customer(db: Database, vault: Vault) -> None:
    with db.unit_of_work() as session:
        subject = subjects.create_subject(session=session, kind="customer", country="CN", actor="t")
        for kind, value in (("email", LI), ("phone", PHONE)):
            subjects.add_identity(
                session=session,
                vault=vault,
                subject_id=subject.id,
                kind=kind,
                value=value,
                actor="t",
            )
            store(session, vault, subject.id, kind, value)
        store(session, vault, subject.id, "name", "Li Lei")


def test_a_requester_makes_and_verifies_requests_in_both_languages(
    browser: Browser, base_url: str, db: Database, settings: Settings, sink: SmtpSink
) -> None:
    vault = Vault.from_settings(settings)
    _customer(db, vault)
    page, errors = _page(browser)
    page.goto(f"{base_url}/rights?lang=en")
    assert page.locator("h1").inner_text() == "Make a privacy request"
    page.screenshot(path=str(SCREENSHOTS / "center-request-form-en.png"), full_page=True)
    page.click("header nav >> text=中文")
    assert page.locator("h1").inner_text() == "提交隐私请求"
    page.screenshot(path=str(SCREENSHOTS / "center-request-form-zh.png"), full_page=True)
    page.click("header nav >> text=English")

    page.check("input[name=type][value=restriction]")
    page.fill("input[name=contact]", ALICE)
    page.select_option("select[name=country]", "DE")
    page.fill("textarea[name=details]", "Please stop the newsletter analytics.")
    page.click("form.request-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/requests/status/R-\d{4}-\d{6}\..*"))
    assert "Waiting for you to confirm your identity" in page.locator("main").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "center-request-status-en.png"), full_page=True)
    page.fill("input[name=code]", _code(db, vault, sink, ALICE))
    page.click("form[action*='/verify'] button")
    page.wait_for_load_state()
    assert "Completed" in page.locator("main").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "center-request-done-en.png"), full_page=True)

    page.goto(f"{base_url}/account/delete?lang=zh-CN")
    assert page.locator("h1").inner_text() == "注销我的账号"
    page.screenshot(path=str(SCREENSHOTS / "center-account-delete-zh.png"), full_page=True)
    page.fill("input[name=contact]", LI)
    page.select_option("select[name=country]", "CN")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/requests/status/.*"))
    assert "等待您验证身份" in page.locator("main").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "center-request-status-zh.png"), full_page=True)
    page.fill("input[name=code]", _code(db, vault, sink, LI))
    page.select_option("select[name=second_kind]", "phone")
    page.fill("input[name=second_value]", PHONE)
    page.click("form[action*='/verify'] button")
    page.wait_for_load_state()
    assert "已完成" in page.locator("main").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "center-account-deleted-zh.png"), full_page=True)
    assert errors == []


def test_a_privacy_officer_works_the_queue(
    browser: Browser,
    base_url: str,
    db: Database,
    settings: Settings,
    make_staff: Callable[..., int],
) -> None:
    with db.unit_of_work() as session:
        demo.seed(
            session=session,
            vault=Vault.from_settings(settings),
            declaration=load_declaration(settings.policy),
        )
    make_staff("dana", Role.PRIVACY_OFFICER)
    page, errors = _page(browser)
    page.goto(f"{base_url}/admin/login")
    page.fill("input[name=username]", "dana")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/admin")
    page.click("nav >> text=Requests")
    assert page.locator("h1").inner_text() == "Rights requests"
    rows = page.locator("#requests tbody tr")
    assert rows.count() == 4  # the open ones
    assert "overdue" in page.locator("#requests").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "admin-requests-queue.png"), full_page=True)
    page.click("#requests tbody tr:first-child a")
    page.wait_for_url(re.compile(r".*/admin/requests/R-\d{4}-\d{6}"))
    page.fill("textarea[name=text]", "Asked the product team for the device list")
    page.click("form[action$='/notes'] button")
    assert "Asked the product team" in page.locator(".timeline").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "admin-request-detail.png"), full_page=True)
    page.goto(f"{base_url}/admin/requests/metrics")
    assert "Median days to close" in page.locator("#metrics").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "admin-requests-metrics.png"), full_page=True)
    assert errors == []
