"""The sources page and an erasure's dry run in headless Chromium (screenshots under
screenshots/), with a real external database behind them."""

from __future__ import annotations

import types
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from tests.browser import CHROMIUM, SCREENSHOTS, chromium, live_server
from tests.conftest import PASSWORD, create_database
from tests.rights.support import ALICE, World
from tests.sources import shop

from privacyops.app import create_app
from privacyops.settings import Settings
from privacyops.staff.permissions import Role


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_sources_and_dry_run_pages(
    world: World,
    settings: Settings,
    make_staff: Callable[..., int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = create_database(tmp_path, "shop_pages")
    engine = create_engine(url)
    shop.create(engine)
    engine.dispose()
    monkeypatch.setenv("SHOP_DATABASE_URL", url)
    world.declaration = shop.declaration(world)
    alice = world.subject(ALICE, phone=shop.ALICE_PHONE)
    request_id = world.request(alice, "deletion")
    make_staff("dpo-pages", Role.PRIVACY_OFFICER)
    app = create_app(settings, db=world.db)
    app.state.policy = types.SimpleNamespace(declaration=world.declaration)
    SCREENSHOTS.mkdir(exist_ok=True)
    with live_server(app) as base, chromium() as browser:
        page = browser.new_page()
        login = page.request.post(
            f"{base}/api/v1/auth/login", data={"username": "dpo-pages", "password": PASSWORD}
        )
        assert login.ok, login.text()
        page.goto(f"{base}/admin/sources")
        page.click("text=Check now")
        page.wait_for_selector("#sources")
        assert "yes" in page.inner_text("#sources")
        page.screenshot(path=str(SCREENSHOTS / "sources.png"), full_page=True)
        page.goto(f"{base}/admin/sources/erasure-preview/{request_id}")
        table = page.inner_text("#preview")
        assert "shop.orders" in table
        assert "hashed with this request's key" in table
        page.screenshot(path=str(SCREENSHOTS / "sources_preview.png"), full_page=True)
        page.goto(f"{base}/admin/sources?lang=zh-CN")
        chinese = page.inner_text("main")
        for words in ("外部数据源", "可连接", "索引齐全", "立即检查", "是"):
            assert words in chinese
        assert "Check now" not in chinese
        page.screenshot(path=str(SCREENSHOTS / "sources_zh.png"), full_page=True)
        page.goto(f"{base}/admin/sources/erasure-preview/{request_id}")
        chinese = page.inner_text("main")
        assert "删除演练" in chinese
        assert "使用本请求的密钥进行哈希" in page.inner_text("#preview")
        assert "hashed with this request's key" not in chinese
        page.screenshot(path=str(SCREENSHOTS / "sources_preview_zh.png"), full_page=True)
