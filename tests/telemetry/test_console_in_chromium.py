"""The device page in a real browser: alarms and refused input from both paths, live refresh."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page
from tests.browser import SCREENSHOTS
from tests.telemetry.conftest import Fleet, alarm, electrical
from tests.web.conftest import ConsolePage, base_url, browser, console_page  # noqa: F401 - fixtures

from privacyops.db import Database
from privacyops.policy.schema import Declaration
from privacyops.staff.permissions import Role
from privacyops.telemetry import messages, publisher
from privacyops.vault.service import Vault

pytestmark = pytest.mark.browser
SERIAL = "FST-MCB-63-0004711"


def test_the_device_page_shows_alarms_and_refusals(
    console_page: ConsolePage,  # noqa: F811 - the fixture
    fleet: Fleet,
    db: Database,
    vault: Vault,
    declaration: Declaration,
    now: datetime,
) -> None:
    device_id, _secret = fleet.device(SERIAL)
    readings = [electrical(now - timedelta(minutes=15 * n)) for n in range(96)]
    fleet.ingest([*readings, alarm(now - timedelta(hours=3))], serial=SERIAL)
    with db.unit_of_work() as session:
        messages.store_group(
            session=session,
            vault=vault,
            declaration=declaration,
            messages=[
                messages.Incoming(
                    messages.topic_for(SERIAL, "alarms"),
                    publisher.batch_payload(
                        [alarm(now, alarm_type="leakage", severity="critical")]
                    ),
                ),
                messages.Incoming(messages.topic_for(SERIAL), b"{broken"),
                messages.Incoming(
                    messages.topic_for(SERIAL),
                    publisher.batch_payload([electrical(now, frequency=90.0)]),
                ),
            ],
        )
    page: Page = console_page(Role.SUPPORT_AGENT, "sam")
    page.goto(page.url.replace("/admin", f"/admin/devices/{device_id}?refresh=30"))
    assert page.locator("meta[http-equiv=refresh]").count() == 1
    assert page.locator("#alarms tbody tr").count() == 2
    assert "leakage" in page.locator("#alarms").inner_text()
    refused = page.locator("#refused").inner_text()
    assert "the body is not valid JSON" in refused
    assert "frequency" in refused
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "admin-device-mqtt.png", full_page=True)
    page.goto(page.url.replace("?refresh=30", "?lang=zh-CN"))
    refused = page.locator("#refused").inner_text()
    assert "消息体不是有效的 JSON" in refused
    assert "1 条读数中有 1 条被拒绝；第 0 条读数：frequency" in refused
    assert "未解除" in page.locator("#alarms").inner_text()
    assert "Refused input" not in page.locator("main").inner_text()
    page.screenshot(path=SCREENSHOTS / "admin-device-mqtt-zh.png", full_page=True)
