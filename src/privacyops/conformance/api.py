"""The conformance audit as JSON (the same report as `privacyops audit run --json`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from privacyops.conformance import service
from privacyops.policy.schema import Declaration
from privacyops.staff.permissions import Permission
from privacyops.web.deps import SessionDep, require

router = APIRouter(prefix="/api/v1/conformance", tags=["conformance"])


@router.get("", dependencies=[require(Permission.REPORTS_READ).dep])
def conformance(request: Request, session: SessionDep) -> dict[str, Any]:
    declaration: Declaration = request.app.state.declaration
    return service.run(session=session, declaration=declaration).as_json()
