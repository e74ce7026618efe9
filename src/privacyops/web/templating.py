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
from privacyops.web.deps import current_principal
from privacyops.web.i18n import pick_language, translator

TEMPLATES = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
)
TEMPLATES.env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]


def trusted_html(html: str) -> Markup:
    """HTML produced by our own autoescaping renderers, to be embedded in a page as is."""
    return Markup(html)  # noqa: S704 - only ever called on renderer output, never on input


async def render_admin(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    principal = await current_principal(request)
    values: dict[str, Any] = {
        "principal": principal,
        "csrf_token": principal.csrf_token if principal else "",
        "P": Permission,
    }
    values.update(context or {})
    return TEMPLATES.TemplateResponse(request, template, values, status_code=status)


def render_center(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    lang = pick_language(request)
    values: dict[str, Any] = {"lang": lang, "t": translator(lang)}
    values.update(context or {})
    return TEMPLATES.TemplateResponse(request, template, values, status_code=status)
