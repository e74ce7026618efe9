"""`privacyops cookies scan` in real Chromium: the demo shop passes, a leaky page fails."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.sync_api import Browser
from sqlalchemy import select
from tests.browser import SCREENSHOTS, chromium, live_server
from tests.conftest import PASSWORD
from typer.testing import CliRunner

from privacyops.cli import app as cli
from privacyops.consent import demo
from privacyops.consent.models import CookieScan
from privacyops.db import Database
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings
from privacyops.staff.permissions import Role
from privacyops.vault.service import Vault

pytestmark = pytest.mark.browser

LEAKY_PAGE = """<!doctype html><html lang="en"><head><title>leaky</title></head><body>
<script>document.cookie = "_ga=GA1.1.123; Path=/"; document.cookie = "fst_aid=x; Path=/";</script>
<p>No banner here.</p></body></html>"""


@pytest.fixture
def environment(settings: Settings) -> dict[str, str]:
    return {
        "PRIVACYOPS_ENV": "test",
        "PRIVACYOPS_DATABASE_URL": settings.database_url,
        "PRIVACYOPS_SECRET_KEY": settings.secret_key,
        "PRIVACYOPS_POLICY": str(settings.policy),
        "PRIVACYOPS_KEY_DIR": str(settings.key_dir),
        "PRIVACYOPS_DATA_DIR": str(settings.data_dir),
    }


def scans(db: Database) -> list[CookieScan]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(CookieScan).order_by(CookieScan.id)))


def test_the_demo_shop_passes_the_scan_and_the_result_is_kept(
    base_url: str, environment: dict[str, str], db: Database
) -> None:
    result = CliRunner().invoke(
        cli, ["cookies", "scan", f"{base_url}/demo/shop", "--json"], env=environment
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["ok"] is True
    assert found["phases"]["before"] == []
    assert {c["name"] for c in found["phases"]["accept"]} == {"fst_consent", "fst_aid"}
    assert {c["name"] for c in found["phases"]["reject"]} == {"fst_consent"}
    [kept] = scans(db)
    assert kept.ok is True
    assert kept.url.endswith("/demo/shop")


def test_a_page_that_sets_cookies_before_consent_fails_the_scan(
    environment: dict[str, str], db: Database
) -> None:
    leaky = FastAPI()

    @leaky.get("/")
    def page() -> HTMLResponse:
        return HTMLResponse(LEAKY_PAGE)

    with live_server(leaky) as url:
        result = CliRunner().invoke(
            cli, ["cookies", "scan", url + "/", "--timeout", "1"], env=environment
        )
    assert result.exit_code == 1
    assert "_ga" in result.output
    [kept] = scans(db)
    kinds = {(v["kind"], v["cookie"]) for v in kept.findings["violations"]}
    assert ("undeclared", "_ga") in kinds
    assert ("before_consent", "fst_aid") in kinds
    assert ("no_banner", "") in kinds


def test_an_address_that_is_not_http_is_refused(environment: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["cookies", "scan", "file:///etc/passwd"], env=environment)
    assert result.exit_code == 1
    assert "http" in result.output


def test_the_console_shows_the_reports_and_the_latest_scan(
    base_url: str,
    environment: dict[str, str],
    db: Database,
    settings: Settings,
    make_staff: Callable[..., int],
) -> None:
    with db.unit_of_work() as session:
        demo.seed(
            session=session,
            vault=Vault.from_settings(settings),
            declaration=PolicyStore(settings.policy).declaration,
        )
    CliRunner().invoke(cli, ["cookies", "scan", f"{base_url}/demo/shop"], env=environment)
    make_staff("dana", Role.PRIVACY_OFFICER)
    with chromium() as browser:
        _walk_console(browser, base_url)


def _walk_console(browser: Browser, base_url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base_url}/admin/login?next=/admin/consent")
    page.fill("input[name=username]", "dana")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/admin/consent")
    assert page.locator("h1").inner_text() == "Consent"
    assert page.locator("svg.consent-chart rect").count() > 100
    assert "No violations" in page.locator("[role=status]").inner_text()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "consent-admin.png", full_page=True)
    assert errors == []
