"""A privacy officer opens an incident in a real browser: clocks, estimate, notices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page
from tests.browser import SCREENSHOTS
from tests.web.conftest import ConsolePage

from privacyops.db import Database, utcnow
from privacyops.incidents import service
from privacyops.policy.loader import load_declaration
from privacyops.settings import Settings
from privacyops.staff.permissions import Role
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.vault.service import Vault

pytestmark = pytest.mark.browser


@pytest.fixture
def page(console_page: ConsolePage) -> Page:
    return console_page(Role.PRIVACY_OFFICER, "dana")


def _seed(db: Database, settings: Settings) -> str:
    vault = Vault.from_settings(settings)
    now = utcnow()
    with db.unit_of_work() as session:
        for n, (country, state) in enumerate([("DE", None), ("CN", None), ("US", "CA")]):
            subject = subjects.create_subject(
                session=session, kind="customer", country=country, region_code=state, actor="t"
            )
            records.store_value(
                session=session,
                vault=vault,
                subject_id=subject.id,
                category="account",
                field="email",
                purpose="account_management",
                region="cn",
                value=f"person{n}@example.com",
                expires_at=now + timedelta(days=30),
                notice_version="1.0.0",
                source="form",
                actor="t",
            )
        return service.register(
            session=session,
            declaration=load_declaration(settings.policy),
            actor="staff:dana",
            title="Support export exposed",
            description="An export of account e-mails was readable from the internet.",
            detected_at=now - timedelta(hours=3),
            aware_at=now - timedelta(hours=2),
            categories=["account"],
            systems=["support-exports bucket"],
            risk="high",
            risk_reasons="Addresses allow targeted phishing.",
        ).id


def test_the_incident_page_counts_down_the_clocks(
    page: Page, base_url: str, db: Database, settings: Settings
) -> None:
    incident_id = _seed(db, settings)
    page.click("nav >> text=Incidents")
    assert page.locator("h1").inner_text() == "Incidents"
    page.click("#incidents >> text=INC-")
    page.wait_for_url(f"{base_url}/admin/incidents/{incident_id}")
    assert page.locator("#subjects").inner_text() == "3"
    rows = page.locator("#clocks tbody tr")
    assert rows.count() >= 4
    assert "left" in page.locator("#clocks").inner_text()
    page.fill("input[name=text]", "Bucket locked down")
    page.click("form[action$='/notes'] button")
    assert "Bucket locked down" in page.locator(".timeline").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "admin-incident.png"), full_page=True)
