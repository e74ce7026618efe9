"""Load a page in headless Chromium and list the cookies it stores, per consent phase.

Debian's `chromium` is driven by Playwright (`executable_path`), so nothing is
downloaded. Each phase gets a fresh browser context: no cookie of one phase can
leak into the next. The banner is ours, so its buttons are found by their
`data-fc` attributes.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

from privacyops.consent.scans import SeenCookie

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REGION_HEADER = "X-Consent-Region"
BUTTONS = {"accept": '[data-fc="accept"]', "reject": '[data-fc="reject"]'}
NAVIGATION_TIMEOUT_MS = 30_000
"""Loading a page may take this long; the caller's timeout bounds only the wait for the banner."""


class ScanError(RuntimeError):
    """The page could not be loaded or the browser could not start."""


@dataclass(frozen=True)
class Observed:
    cookies: dict[str, list[SeenCookie]]
    banner_found: dict[str, bool]


def chromium_path() -> str:
    return shutil.which("chromium") or "/usr/bin/chromium"


def _cookies(context: BrowserContext) -> list[SeenCookie]:
    return [
        SeenCookie(
            name=c.get("name", ""),
            domain=c.get("domain", ""),
            expires=c.get("expires"),
        )
        for c in context.cookies()
    ]


def _phase(
    browser: Browser, url: str, phase: str, region: str | None, timeout_ms: int
) -> tuple[list[SeenCookie], bool]:
    from playwright.sync_api import Error as PlaywrightError

    headers = {REGION_HEADER: region} if region else {}
    context = browser.new_context(extra_http_headers=headers)
    try:
        page = context.new_page()
        page.set_default_timeout(timeout_ms)
        page.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        response = page.goto(url, wait_until="networkidle", timeout=NAVIGATION_TIMEOUT_MS)
        if response is None or response.status >= 400:
            status = response.status if response else "no response"
            raise ScanError(f"{url} answered {status}")
        found = True
        if phase in BUTTONS:
            try:
                page.click(BUTTONS[phase], timeout=timeout_ms)
            except PlaywrightError:
                found = False
            page.wait_for_load_state("networkidle", timeout=NAVIGATION_TIMEOUT_MS)
            page.wait_for_timeout(300)
        else:
            try:
                page.wait_for_selector(BUTTONS["accept"], timeout=timeout_ms)
            except PlaywrightError:
                found = False
        return _cookies(context), found
    finally:
        context.close()


def observe(url: str, *, region: str | None = None, timeout_ms: int = 10_000) -> Observed:
    """Visit ``url`` before any choice, after Accept all and after Reject all."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ScanError("the scanner needs Playwright: pip install playwright") from None
    cookies: dict[str, list[SeenCookie]] = {}
    banner: dict[str, bool] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
            )
            try:
                for phase in ("before", "accept", "reject"):
                    cookies[phase], banner[phase] = _phase(browser, url, phase, region, timeout_ms)
            finally:
                browser.close()
    except PlaywrightError as error:
        raise ScanError(str(error).splitlines()[0]) from None
    return Observed(cookies=cookies, banner_found=banner)
