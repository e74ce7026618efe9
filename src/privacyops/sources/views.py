"""Console pages of external sources: each source's health, and an erasure's dry run."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from privacyops.db import utcnow
from privacyops.errors import AppError
from privacyops.sources import health
from privacyops.sources.api import declaration_of
from privacyops.sources.preview import PreviewError, erasure_preview
from privacyops.staff.permissions import Permission
from privacyops.web.deps import CurrentPrincipal, SessionDep, require_page
from privacyops.web.i18n import N_
from privacyops.web.templating import render_admin

router = APIRouter(include_in_schema=False)
#: What the page shows after a check (the query carries the English message id).
CHECKED = N_("Checked")
READ = [require_page(Permission.SOURCES_READ).dep]


@router.get("/admin/sources", dependencies=READ)
async def sources_page(request: Request, session: SessionDep) -> Response:
    declaration = declaration_of(request)
    context = {
        "statuses": health.overview(session=session, declaration=declaration),
        "message": request.query_params.get("message", "")[:200],
    }
    return await render_admin(request, "sources/index.html", context)


@router.post("/admin/sources/check", dependencies=READ)
async def check_page(request: Request, session: SessionDep) -> Response:
    now = utcnow()
    for source in declaration_of(request).external_sources:
        health.check(
            session=session,
            source=source,
            settings=request.app.state.settings,
            vault=request.app.state.vault,
            now=now,
        )
    return RedirectResponse(f"/admin/sources?message={CHECKED}", status_code=303)


@router.get("/admin/sources/erasure-preview/{request_id}", dependencies=READ)
async def preview_page(
    request: Request, request_id: str, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    try:
        found = erasure_preview(
            session=session,
            vault=request.app.state.vault,
            settings=request.app.state.settings,
            declaration=declaration_of(request),
            request_id=request_id,
            actor=principal.actor,
            now=utcnow(),
        )
    except PreviewError as error:
        raise AppError(error.status, str(error)) from None
    return await render_admin(request, "sources/preview.html", {"p": found})
