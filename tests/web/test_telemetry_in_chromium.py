"""A support agent finds a device by serial and reads its chart, alarms and owners in Chromium."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page
from tests.browser import SCREENSHOTS
from tests.web.conftest import ConsolePage

from privacyops.db import Database
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings
from privacyops.staff.permissions import Role
from privacyops.subjects import service as subjects
from privacyops.telemetry import service, simulator
from privacyops.vault.service import Vault

pytestmark = pytest.mark.browser


@pytest.fixture
def device(settings: Settings, db: Database) -> tuple[int, str]:
    """A week of simulated readings; owned by one account, then by another."""
    vault = Vault.from_settings(settings)
    declaration = PolicyStore(settings.policy).declaration
    sim = simulator.fleet(3)[1]
    end = datetime.now(UTC)
    with db.unit_of_work() as session:
        owners = []
        for account in ("acct-browser-1", "acct-browser-2"):
            subject = subjects.create_subject(
                session=session, kind="customer", country="CN", actor="t"
            )
            subjects.add_identity(
                session=session,
                vault=vault,
                subject_id=subject.id,
                kind="account_id",
                value=account,
                actor="t",
            )
            owners.append(subject.id)
        simulator.seed_device(
            session=session,
            vault=vault,
            declaration=declaration,
            device=sim,
            start=end - timedelta(days=7),
            end=end,
            owners=[(owners[0], end - timedelta(days=7)), (owners[1], end - timedelta(days=2))],
            actor="t",
        )
        found = service.device_or_404(session, vault, sim.serial)
        service.ingest_batch(
            session=session,
            declaration=declaration,
            device=found,
            readings=[
                {
                    "kind": "alarm",
                    "occurred_at": (end - timedelta(hours=30)).isoformat(),
                    "alarm_type": "leakage",
                    "alarm_code": "LK-30",
                    "severity": "critical",
                },
            ],
        )
        return found.id, sim.serial


@pytest.fixture
def page(console_page: ConsolePage) -> Page:
    return console_page(Role.SUPPORT_AGENT, "sam")


def test_a_device_page_shows_its_chart_alarms_and_owners(
    page: Page, base_url: str, device: tuple[int, str]
) -> None:
    device_id, serial = device
    page.click("nav >> text=Devices")
    assert page.locator("h1").inner_text() == "Devices"
    page.fill("input[name=serial]", serial.lower())
    page.click("form[aria-label='Find a device by serial'] button")
    rows = page.locator("#devices tbody tr")
    assert rows.count() == 1
    assert serial[-4:] in rows.first.inner_text()
    assert serial not in page.content()
    rows.first.locator("a").nth(1).click()
    page.wait_for_url(f"{base_url}/admin/devices/{device_id}")
    chart = page.locator("svg.chart")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] > 900
    assert box["height"] > 300
    for line in ("voltage", "power"):
        path = chart.locator(f"path.line.{line}")
        assert len(path.get_attribute("d") or "") > 1000
        assert path.evaluate("e => getComputedStyle(e).fill") == "none"  # app.css applied
    assert chart.locator("line.alarm.critical").count() >= 1
    assert page.locator("#alarms tbody tr").count() >= 1
    assert "leakage" in page.locator("#alarms").inner_text()
    owners = page.locator("#ownership tbody tr")
    assert owners.count() == 2
    assert "current" in owners.first.inner_text()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "admin-device.png", full_page=True)
    page.click("text=1 day")
    assert page.locator("svg.chart path.line.voltage").count() == 1
    page.goto(f"{base_url}/admin/devices?account_id=acct-browser-1")
    assert page.locator("#devices tbody tr").count() == 1
    page.screenshot(path=SCREENSHOTS / "admin-devices.png", full_page=True)
