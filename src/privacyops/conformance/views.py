"""The conformance audit as a console page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from privacyops.conformance import service
from privacyops.policy.schema import Declaration
from privacyops.staff.permissions import Permission
from privacyops.web.deps import SessionDep, require_page
from privacyops.web.templating import render_admin

router = APIRouter(include_in_schema=False)


@router.get("/admin/conformance", dependencies=[require_page(Permission.REPORTS_READ).dep])
async def conformance_page(request: Request, session: SessionDep) -> Response:
    declaration: Declaration = request.app.state.declaration
    report = service.run(session=session, declaration=declaration)
    return await render_admin(request, "conformance/index.html", {"report": report})
