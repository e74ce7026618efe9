"""External sources over the API: health, a check, and the erasure dry run of a request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from privacyops.db import utcnow
from privacyops.errors import AppError
from privacyops.policy.schema import Declaration
from privacyops.sources import health
from privacyops.sources.preview import PreviewError, erasure_preview
from privacyops.staff.permissions import Permission
from privacyops.web.deps import CurrentPrincipal, SessionDep, require

router = APIRouter(prefix="/api/v1/sources", tags=["external sources"])
READ = [require(Permission.SOURCES_READ).dep]


class SourceOut(BaseModel):
    name: str
    tables: int
    last_request_at: datetime | None
    checked_at: datetime | None
    reachable: bool | None
    indexes_ok: bool | None
    check_error: str | None
    last_error: str | None
    last_error_at: datetime | None


class PreviewOut(BaseModel):
    request_id: str
    at: datetime
    tables: list[dict[str, Any]]
    error: str | None


def declaration_of(request: Request) -> Declaration:
    declaration: Declaration = request.app.state.policy.declaration
    return declaration


def _statuses(request: Request, session: SessionDep) -> list[SourceOut]:
    found = health.overview(session=session, declaration=declaration_of(request))
    return [SourceOut(**status.__dict__) for status in found]


@router.get("", dependencies=READ, summary="Each external source's health")
def list_sources(request: Request, session: SessionDep) -> list[SourceOut]:
    return _statuses(request, session)


@router.post("/check", dependencies=READ, summary="Connect to each source and check its tables")
def check_sources(request: Request, session: SessionDep) -> list[SourceOut]:
    now = utcnow()
    for source in declaration_of(request).external_sources:
        health.check(
            session=session,
            source=source,
            settings=request.app.state.settings,
            vault=request.app.state.vault,
            now=now,
        )
    return _statuses(request, session)


@router.get(
    "/erasure-preview/{request_id}",
    dependencies=READ,
    summary="What an erasure would change in each external table, before it runs",
)
def preview(
    request: Request, request_id: str, session: SessionDep, principal: CurrentPrincipal
) -> PreviewOut:
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
        raise AppError(error.status, str(error), field="request_id") from None
    return PreviewOut(
        request_id=found.request_id, at=found.at, tables=found.tables, error=found.error
    )
