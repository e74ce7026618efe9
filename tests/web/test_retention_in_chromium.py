"""A privacy officer places and lifts a hold, reads a sweep report and the conformance audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page
from tests.browser import SCREENSHOTS
from tests.web.conftest import ConsolePage

from privacyops.db import Database, utcnow
from privacyops.policy.loader import load_declaration
from privacyops.retention import service
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
    vault, declaration = Vault.from_settings(settings), load_declaration(settings.policy)
    now = utcnow()
    with db.unit_of_work() as session:
        people = [
            subjects.create_subject(session=session, kind="customer", country="CN", actor="t").id
            for _ in range(3)
        ]
        for n, someone in enumerate(people):
            for days, message in ((-5, "old"), (20, "soon"), (200, "later")):
                records.store_values(
                    session=session,
                    vault=vault,
                    subject_id=someone,
                    category="support",
                    values={"ticket_id": f"T-{n}-{days}", "message": message},
                    purpose="service_support",
                    region="cn",
                    expires_at=now + timedelta(days=days),
                    notice_version="1.0.0",
                    source="form",
                    actor="t",
                    collected_at=now - timedelta(days=300),
                )
        service.create_hold(
            session=session,
            declaration=declaration,
            actor="staff:dana",
            reason="Warranty dispute",
            law="PRC Civil Procedure Law art. 67",
            subject_id=people[0],
            reference="(2026) Jing 0108 Min Chu 4711",
        )
        service.sweep(
            session=session, declaration=declaration, actor="staff:dana", checkpoint=session.flush
        )
        # One more expired value after the sweep, so the audit has something to report.
        records.store_values(
            session=session,
            vault=vault,
            subject_id=people[1],
            category="support",
            values={"message": "missed"},
            purpose="service_support",
            region="cn",
            expires_at=now - timedelta(days=1),
            notice_version="1.0.0",
            source="form",
            actor="t",
            collected_at=now - timedelta(days=400),
        )
        return people[0]


def test_holds_sweeps_and_the_conformance_audit_in_a_browser(
    page: Page, base_url: str, db: Database, settings: Settings
) -> None:
    _seed(db, settings)
    page.click("nav >> text=Retention")
    assert page.locator("h1").inner_text() == "Retention"
    assert page.locator("#active-holds").inner_text() == "1"
    support = page.locator("#upcoming tr", has_text="support")
    assert "fixed" in support.inner_text()
    assert page.locator("#expired-due").inner_text() == "1"  # the missed one; two are held
    assert "+ 2 held" in support.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "admin-retention.png"), full_page=True)

    page.click("text=Legal holds")
    page.wait_for_url(f"{base_url}/admin/retention/holds")
    page.select_option("select[name=category]", "ip_address")
    page.fill("input[name=law]", "CSL art. 21 (network logs)")
    page.fill("input[name=reference]", "CAC-2026-0117")
    page.fill("input[name=ends_at]", (utcnow() + timedelta(days=90)).date().isoformat())
    page.fill("textarea[name=reason]", "Regulator inquiry into login abuse")
    page.click("form[aria-label='Place a hold'] button")
    assert "placed" in page.locator("p.ok").inner_text()
    assert page.locator("#holds tbody tr").count() == 2
    page.screenshot(path=str(SCREENSHOTS / "admin-retention-holds.png"), full_page=True)
    page.locator("#holds tr", has_text="CAC-2026-0117").locator("button", has_text="Lift").click()
    assert "lifted" in page.locator("p.ok").inner_text()
    assert "lifted" in page.locator("#holds tr", has_text="CAC-2026-0117").inner_text()

    page.click("text=Sweep reports")
    page.click("#sweeps >> text=#")
    assert "Sweep #" in page.locator("h1").inner_text()
    cells = page.locator("#lines tr", has_text="support").locator("td").all_inner_texts()
    assert cells[2:] == ["delete", "4", "0", "2"]  # two people's tickets went, one is held
    page.screenshot(path=str(SCREENSHOTS / "admin-retention-sweep.png"), full_page=True)

    page.click("nav >> text=Conformance")
    assert page.locator("#violations").inner_text() == "1"
    assert page.locator("#findings tr.finding-expired_data").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "admin-conformance.png"), full_page=True)
