"""Pages that belong to no single domain: health, API docs, the two front doors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import iter_route_contexts
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.disclosures import register
from privacyops.errors import error_response
from privacyops.incidents import clocks, countdown
from privacyops.policy import versions
from privacyops.staff import service as staff
from privacyops.staff.permissions import Permission
from privacyops.subjects.models import PersonalRecord, Subject
from privacyops.web.deps import (
    PUBLIC,
    CurrentPrincipal,
    SessionDep,
    in_unit_of_work,
    require_page,
)
from privacyops.web.i18n import N_, translations
from privacyops.web.templating import render_admin, render_center, staff_language

router = APIRouter(include_in_schema=False)

DOCS_PAGE = (Path(__file__).parent / "templates" / "docs.html").read_text()

DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'"
)

CENTER_SECTIONS = [
    ("/policy", "center.policy"),
    ("/cookies", "center.cookies"),
    ("/rights", "center.rights"),
    ("/account/delete", "center.delete"),
    ("/notices", "center.notices"),
]


@router.get("/healthz", dependencies=[PUBLIC.dep])
async def healthz(request: Request) -> Response:
    def ping(session: Session) -> str:
        session.execute(text("SELECT 1"))
        return session.get_bind().dialect.name

    try:
        dialect = await in_unit_of_work(request, ping)
    except Exception:
        return error_response(503, "unavailable", "the database is not reachable")
    return JSONResponse({"status": "ok", "database": dialect})


@router.get("/api/docs", dependencies=[PUBLIC.dep])
def api_docs() -> HTMLResponse:
    """Swagger UI styles itself inline, so this one page allows inline styles (not scripts)."""
    return HTMLResponse(DOCS_PAGE, headers={"content-security-policy": DOCS_CSP})


@router.get("/", dependencies=[PUBLIC.dep])
def privacy_center(request: Request) -> Response:
    available = {
        getattr(context.original_route, "path", "")
        for context in iter_route_contexts(request.app.routes)
    }
    controller = request.app.state.policy.declaration.controller
    return render_center(
        request,
        "center/home.html",
        {"sections": CENTER_SECTIONS, "available": available, "controller": controller},
    )


@router.get("/admin", dependencies=[require_page(Permission.CONSOLE_VIEW).dep])
async def console_home(
    request: Request, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    latest = versions.latest(session=session)
    living = select(func.count(Subject.id)).where(Subject.state != "erased")
    tiles = [
        {
            "figure": latest.label if latest else "—",
            "label": N_("published policy version"),
            "href": "/admin/policy",
        },
        {"figure": session.scalar(living), "label": N_("data subjects"), "href": "/admin/subjects"},
        {
            "figure": session.scalar(select(func.count(PersonalRecord.id))),
            "label": N_("encrypted personal values"),
            "href": "/admin/subjects",
        },
        {
            "figure": staff.count_staff(session=session),
            "label": N_("staff users"),
            "href": "/admin/staff",
        },
    ]
    recent = audit.recent(session=session, limit=15) if principal.can(Permission.AUDIT_READ) else []
    return await render_admin(
        request,
        "admin/home.html",
        {"tiles": tiles, "recent": recent, "attention": _attention(request, session, principal)},
    )


def _attention(request: Request, session: Session, principal: staff.Principal) -> list[Attention]:
    """What is due or wrong now, from each domain the viewer may see; soonest first."""
    now, lang = utcnow(), staff_language(request)
    say = translations(lang).gettext
    items: list[Attention] = []
    if principal.can(Permission.INCIDENTS_READ):
        why = countdown.explainer(lang, now)
        for incident, state in clocks.running_clocks(session, now)[:8]:
            items.append(
                Attention(
                    kind="overdue" if state.status == "overdue" else "due",
                    what=say(N_("%(reference)s: notify %(audience)s (%(regime)s)"))
                    % {
                        "reference": incident.reference,
                        "audience": say(state.audience),
                        "regime": state.regime,
                    },
                    detail=why(state),
                    href=f"/admin/incidents/{incident.id}",
                )
            )
    if principal.can(Permission.REPORTS_READ):
        declaration = request.app.state.policy.declaration
        entries = register.register(
            declaration, today=now.date(), lang="zh-CN" if lang == "zh-CN" else "en"
        )
        for entry in entries:
            items.extend(
                Attention(kind="review", what=entry.label, detail=w, href="/admin/recipients")
                for w in entry.warnings
            )
    return items


@dataclass(frozen=True)
class Attention:
    kind: str  # overdue | due | review
    what: str
    detail: str
    href: str
