"""Browser fixtures: Debian's Chromium, the app on a live port, a logged-in console page."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page
from tests.browser import chromium, live_server
from tests.conftest import PASSWORD

from privacyops.app import create_app
from privacyops.db import Database
from privacyops.settings import Settings
from privacyops.staff.permissions import Role

ConsolePage = Callable[..., Page]


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def base_url(settings: Settings, db: Database) -> Iterator[str]:
    with live_server(create_app(settings, db=db)) as url:
        yield url


def _bad(message: ConsoleMessage) -> bool:
    """A script or style the CSP blocked, or a failed load (the browser's own favicon aside)."""
    return message.type == "error" and "favicon" not in message.location.get("url", "")


@pytest.fixture
def console_page(
    browser: Browser, base_url: str, make_staff: Callable[..., int]
) -> Iterator[ConsolePage]:
    """``console_page(role, username)``: a page logged in to the console as a new staff member.

    At the end of the test no page may have had a script error, a console error
    (CSP refusals among them) or an answer of 400 or more.
    """
    problems: list[str] = []

    def make(role: Role = Role.PRIVACY_OFFICER, username: str = "dana") -> Page:
        make_staff(username, role)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda m: problems.append(m.text) if _bad(m) else None)
        page.on("response", lambda r: problems.append(r.url) if r.status >= 400 else None)
        page.goto(f"{base_url}/admin/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/admin")
        return page

    yield make
    assert problems == []
