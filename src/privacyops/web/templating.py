"""Jinja2 templates shared by the privacy center and the admin console."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from starlette.responses import HTMLResponse

from privacyops.staff.permissions import Permission
from privacyops.web import i18n
from privacyops.web.deps import current_principal
from privacyops.web.keyed import keyed

#: The console's language: English unless a staff member switches (``?lang=``, kept here).
STAFF_LANG_COOKIE = "po_staff_lang"

TEMPLATES = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True)
)
i18n.install(TEMPLATES.env)


def trusted_html(html: str) -> Markup:
    """HTML produced by our own autoescaping renderers, to be embedded in a page as is."""
    return Markup(html)  # noqa: S704 - only ever called on renderer output, never on input


def staff_language(request: Request) -> str:
    for candidate in (request.query_params.get("lang"), request.cookies.get(STAFF_LANG_COOKIE)):
        if candidate in i18n.LANGUAGES:
            return candidate
    return "en"


def _render(
    request: Request, template: str, lang: str, values: dict[str, Any], status: int
) -> HTMLResponse:
    with i18n.speaking(lang):
        return TEMPLATES.TemplateResponse(request, template, values, status_code=status)


async def render_admin(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    principal = await current_principal(request)
    lang = staff_language(request)
    values: dict[str, Any] = {
        "principal": principal,
        "csrf_token": principal.csrf_token if principal else "",
        "P": Permission,
        "lang": lang,
        "other_lang": "en" if lang == "zh-CN" else "zh-CN",
    }
    values.update(context or {})
    response = _render(request, template, lang, values, status)
    chosen = request.query_params.get("lang")
    if chosen in i18n.LANGUAGES and chosen != request.cookies.get(STAFF_LANG_COOKIE):
        response.set_cookie(
            STAFF_LANG_COOKIE, chosen, max_age=365 * 86400, httponly=True, samesite="lax"
        )
    return response


def render_center(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    lang = i18n.pick_language(request)
    values: dict[str, Any] = {"lang": lang, "t": keyed(lang)}
    values.update(context or {})
    return _render(request, template, lang, values, status)
