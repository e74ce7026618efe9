"""Pages in both languages through the catalogue: the privacy center and the console switch."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from privacyops.web.templating import STAFF_LANG_COOKIE


def test_the_privacy_center_renders_in_chinese(new_client: Callable[[], TestClient]) -> None:
    client = new_client()
    english = client.get("/?lang=en")
    chinese = client.get("/?lang=zh-CN")
    assert english.status_code == chinese.status_code == 200
    assert "Privacy Center" in english.text
    assert "隐私中心" in chinese.text
    assert "Privacy Center" not in chinese.text
    assert '<html lang="zh-CN">' in chinese.text


def test_the_rights_form_speaks_chinese_with_plural_free_text(
    new_client: Callable[[], TestClient],
) -> None:
    page = new_client().get("/rights?lang=zh-CN")
    assert page.status_code == 200
    assert "提交隐私请求" in page.text
    assert "咨询问题" in page.text


def test_the_console_login_follows_the_staff_language(
    new_client: Callable[[], TestClient],
) -> None:
    client = new_client()
    chinese = client.get("/admin/login?lang=zh-CN")
    assert chinese.status_code == 200
    assert client.cookies.get(STAFF_LANG_COOKIE) == "zh-CN"
    assert '<html lang="zh-CN">' in chinese.text
    again = client.get("/admin/login")
    assert '<html lang="zh-CN">' in again.text
    assert '<html lang="en">' in client.get("/admin/login?lang=en").text
