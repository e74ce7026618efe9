"""Pure renderers: each takes a Declaration and returns text or plain data."""

from privacyops.policy.render.apple import app_privacy_details, apple_answers, apple_html
from privacyops.policy.render.cookies import cookie_rows, cookies_html
from privacyops.policy.render.datasafety import (
    datasafety_answers,
    datasafety_csv,
    datasafety_html,
    datasafety_rows,
)
from privacyops.policy.render.page import page_context, render_page
from privacyops.policy.render.ropa import ropa_csv, ropa_html, ropa_rows

__all__ = [
    "app_privacy_details",
    "apple_answers",
    "apple_html",
    "cookie_rows",
    "cookies_html",
    "datasafety_answers",
    "datasafety_csv",
    "datasafety_html",
    "datasafety_rows",
    "page_context",
    "render_page",
    "ropa_csv",
    "ropa_html",
    "ropa_rows",
]
