"""JSON routes to read and verify the audit log."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from privacyops.audit import service
from privacyops.audit.schemas import AuditEventOut, VerificationOut
from privacyops.staff.permissions import Permission
from privacyops.web.deps import SessionDep, require

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get(
    "/events", dependencies=[require(Permission.AUDIT_READ).dep], response_model=list[AuditEventOut]
)
def list_events(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[int | None, Query(ge=1)] = None,
    action: Annotated[str | None, Query(max_length=80)] = None,
) -> list[AuditEventOut]:
    """Newest first; page with `before` = the smallest `seq` of the previous page."""
    events = service.recent(session=session, limit=limit, before=before, action=action)
    return [AuditEventOut.model_validate(e) for e in events]


@router.get(
    "/verify", dependencies=[require(Permission.AUDIT_VERIFY).dep], response_model=VerificationOut
)
def verify(session: SessionDep) -> VerificationOut:
    return VerificationOut(**asdict(service.verify(session=session)))
