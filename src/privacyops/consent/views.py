"""Pages: the privacy center's cookie preferences, the console's consent reports, a demo shop."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from privacyops.consent import reports, scans
from privacyops.consent.catalogue import SALE_SHARING
from privacyops.consent.chart import stacked_days
from privacyops.policy.base import Lang
from privacyops.policy.render import wording
from privacyops.policy.render.cookies import cookie_rows
from privacyops.policy.schema import Declaration
from privacyops.staff.permissions import Permission
from privacyops.web.deps import PUBLIC, SessionDep, require_page
from privacyops.web.i18n import N_, pick_language, translations
from privacyops.web.templating import render_admin, render_center, staff_language

router = APIRouter(include_in_schema=False)

#: A stand-in for a third-party analytics tag: it sets the declared analytics cookie.
ANALYTICS_JS = (
    "(function(){var m=document.cookie.match(/(?:^|; )fst_aid=([^;]*)/);"
    "var id=m?m[1]:Math.random().toString(36).slice(2)+Date.now().toString(36);"
    'document.cookie="fst_aid="+id+"; Max-Age="+365*86400+"; Path=/; SameSite=Lax";'
    "window.fstAnalyticsRan=true;"
    'document.documentElement.setAttribute("data-analytics","ran");})();\n'
)


def _declaration(request: Request) -> Declaration:
    declaration: Declaration = request.app.state.policy.declaration
    return declaration


@router.get("/cookies", dependencies=[PUBLIC.dep])
def cookie_preferences(request: Request) -> Response:
    """Change choices (the banner's own dialog), read the cookie table, get the last receipt."""
    lang: Lang = "zh-CN" if pick_language(request) == "zh-CN" else "en"
    declaration = _declaration(request)
    return render_center(
        request,
        "center/consent_cookies.html",
        {
            "rows": cookie_rows(declaration, lang),
            "head": [
                wording.label(key, lang)
                for key in (
                    "cookie",
                    "cookie_category",
                    "provider",
                    "duration",
                    "purpose",
                    "description",
                )
            ],
            "categories": [
                (c.label.get(lang), c.description.get(lang))
                for c in declaration.cookie_policy.categories
            ],
            "management": declaration.cookie_policy.management.get(lang),
        },
    )


@router.get("/admin/consent", dependencies=[require_page(Permission.CONSENT_READ).dep])
async def consent_console(
    request: Request, session: SessionDep, days: Annotated[int, Query(ge=7, le=366)] = 90
) -> Response:
    found = reports.report(session=session, days=days)
    lang = staff_language(request)
    say = translations(lang).gettext
    declared = {
        p.key: p.label.get("zh-CN" if lang == "zh-CN" else "en")
        for p in _declaration(request).purposes
    }
    declared[SALE_SHARING] = say(N_("Sale or sharing, targeted ads (opt-out)"))
    return await render_admin(
        request,
        "admin/consent_index.html",
        {
            "report": found,
            "days": days,
            "labels": declared,
            "chart": stacked_days(
                found.days(),
                title=say(N_("Consent decisions per day, last %(days)s days (UTC)"))
                % {"days": days},
            ),
            "scan": scans.latest(session=session),
            "states": reports.STATES,
        },
    )


@router.get("/demo/shop", dependencies=[PUBLIC.dep])
def demo_shop(request: Request) -> Response:
    """A page of the demo website: the banner and a blocked analytics tag."""
    return render_center(request, "center/consent_demo_shop.html")


@router.get("/demo/analytics.js", dependencies=[PUBLIC.dep])
def demo_analytics() -> Response:
    return Response(ANALYTICS_JS, media_type="text/javascript")
