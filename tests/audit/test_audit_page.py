"""The console's audit page in real Chromium: heads, pending count, a proof, a consistency check."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.browser import CHROMIUM, SCREENSHOTS, chromium, live_server
from tests.conftest import PASSWORD

from privacyops.app import create_app
from privacyops.audit.tasks import Run
from privacyops.db import Database
from privacyops.settings import Settings
from privacyops.staff.permissions import Role

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


def test_the_audit_page_shows_heads_pending_and_proofs(
    settings: Settings,
    db: Database,
    make_staff: Callable[..., int],
    append: Callable[..., list[int]],
    sequence: Callable[..., Run],
) -> None:
    ids = append(12)
    sequence()
    append(3)
    make_staff("ada", Role.AUDITOR)
    failed: list[str] = []
    with live_server(create_app(settings, db=db)) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("pageerror", lambda error: failed.append(str(error)))
        page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
        page.goto(f"{url}/admin/login?next=/admin/audit")
        page.fill("input[name=username]", "ada")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/admin/audit")
        assert "pending" in page.locator(".tiles").inner_text()
        page.click("button:has-text('Sequence pending events now')")
        page.wait_for_url(f"{url}/admin/audit")
        page.fill("input[name=proof]", str(ids[5]))
        page.click("button:has-text('Prove')")
        page.wait_for_url("**/admin/audit?proof=*")
        assert "the proof verifies" in page.locator("[role=status]").first.inner_text()
        page.fill("input[name=old_size]", "12")
        page.click("button:has-text('Check')")
        page.wait_for_url("**/admin/audit?old_size=*")
        assert "is a prefix of" in page.locator("[role=status]").last.inner_text()
        with page.expect_download() as download:
            page.click("text=Download the latest tree head")
        assert download.value.suggested_filename.startswith("audit-tree-head-")
        page.click("text=Verify the whole log")
        page.wait_for_url("**/admin/audit/verify")
        assert "Log verified" in page.locator("[role=status]").first.inner_text()
        SCREENSHOTS.mkdir(exist_ok=True)
        page.goto(f"{url}/admin/audit?proof={ids[5]}&old_size=12&new_size=16")
        page.screenshot(path=SCREENSHOTS / "audit-admin.png", full_page=True)
    assert failed == []
