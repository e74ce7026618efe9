"""Console pages for the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from privacyops.audit import service
from privacyops.staff.permissions import Permission
from privacyops.web.deps import SessionDep, require_page
from privacyops.web.templating import render_admin

router = APIRouter(include_in_schema=False)


@router.get("/admin/audit", dependencies=[require_page(Permission.AUDIT_READ).dep])
async def audit_page(
    request: Request,
    session: SessionDep,
    before: Annotated[int | None, Query(ge=1)] = None,
    action: Annotated[str | None, Query(max_length=80)] = None,
) -> Response:
    events = service.recent(session=session, limit=100, before=before, action=action or None)
    return await render_admin(request, "admin/audit.html", {"events": events, "action": action})


@router.get("/admin/audit/verify", dependencies=[require_page(Permission.AUDIT_VERIFY).dep])
async def audit_verify_page(request: Request, session: SessionDep) -> Response:
    verification = service.verify(session=session)
    events = service.recent(session=session, limit=100)
    return await render_admin(
        request, "admin/audit.html", {"events": events, "verification": verification}
    )
