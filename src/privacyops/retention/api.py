"""JSON routes of the retention domain: legal holds, sweep reports, previews, upcoming expiry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from privacyops.db import utcnow
from privacyops.errors import AppError
from privacyops.jobs import queue
from privacyops.policy.schema import Declaration
from privacyops.retention import service
from privacyops.retention.models import LegalHold, SweepReport
from privacyops.staff.permissions import Permission
from privacyops.web.deps import CurrentPrincipal, SessionDep, require

router = APIRouter(prefix="/api/v1/retention", tags=["retention"])
READ = [require(Permission.REPORTS_READ).dep]
MANAGE = [require(Permission.RETENTION_MANAGE).dep]
HoldId = Annotated[str, Path(max_length=20)]
ReportId = Annotated[int, Path(ge=1, le=2**53)]


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject_id: str | None = Field(default=None, max_length=36)
    category: str | None = Field(default=None, max_length=64)
    reason: str = Field(max_length=500)
    law: str = Field(max_length=200)
    reference: str | None = Field(default=None, max_length=120)
    ends_at: datetime | None = None


def declaration_of(request: Request) -> Declaration:
    declaration: Declaration = request.app.state.declaration
    return declaration


def refusal(error: service.RetentionError) -> AppError:
    return AppError(error.status, str(error), field=error.field)


def hold_json(hold: LegalHold, now: datetime) -> dict[str, Any]:
    return {
        "id": hold.id,
        "state": service.hold_state(hold, now),
        "subject_id": hold.subject_id,
        "category": hold.category,
        "reason": hold.reason,
        "law": hold.law,
        "reference": hold.reference,
        "ends_at": hold.ends_at.isoformat() if hold.ends_at else None,
        "created_at": hold.created_at.isoformat(),
        "created_by": hold.created_by,
        "lifted_at": hold.lifted_at.isoformat() if hold.lifted_at else None,
        "lifted_by": hold.lifted_by,
    }


def report_json(report: SweepReport) -> dict[str, Any]:
    return {
        "id": report.id,
        "status": report.status,
        "actor": report.actor,
        "started_at": report.started_at.isoformat(),
        "finished_at": report.finished_at.isoformat() if report.finished_at else None,
        "cutoff": report.cutoff.isoformat(),
        "batch_size": report.batch_size,
        "batches": report.batches,
        "deleted": report.deleted,
        "anonymized": report.anonymized,
        "held": report.held,
        "categories": report.lines,
        "other_stores": report.extras,
    }


@router.get("/holds", dependencies=READ)
def holds(session: SessionDep, active: bool = False) -> dict[str, Any]:
    now = utcnow()
    rows = service.list_holds(session=session, active_only=active, now=now)
    return {"holds": [hold_json(h, now) for h in rows]}


@router.post("/holds", dependencies=MANAGE, status_code=201)
def create_hold(
    request: Request, session: SessionDep, principal: CurrentPrincipal, body: HoldIn
) -> dict[str, Any]:
    try:
        hold = service.create_hold(
            session=session,
            declaration=declaration_of(request),
            actor=principal.actor,
            reason=body.reason,
            law=body.law,
            subject_id=body.subject_id,
            category=body.category,
            ends_at=body.ends_at,
            reference=body.reference,
        )
    except service.RetentionError as error:
        raise refusal(error) from None
    return hold_json(hold, utcnow())


@router.get("/holds/{hold_id}", dependencies=READ)
def get_hold(hold_id: HoldId, session: SessionDep) -> dict[str, Any]:
    try:
        return hold_json(service.get_hold(session=session, hold_id=hold_id), utcnow())
    except service.RetentionError as error:
        raise refusal(error) from None


@router.post("/holds/{hold_id}/lift", dependencies=MANAGE)
def lift_hold(hold_id: HoldId, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    try:
        hold = service.lift_hold(session=session, hold_id=hold_id, actor=principal.actor)
    except service.RetentionError as error:
        raise refusal(error) from None
    return hold_json(hold, utcnow())


@router.get("/sweeps", dependencies=READ)
def sweeps(session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    return {"sweeps": [report_json(r) for r in service.reports(session=session, limit=limit)]}


@router.get("/sweeps/{report_id}", dependencies=READ)
def sweep_report(report_id: ReportId, session: SessionDep) -> dict[str, Any]:
    report = service.get_report(session=session, report_id=report_id)
    if report is None:
        raise AppError(404, "no such sweep report", field="report_id")
    return report_json(report)


@router.post("/sweeps", dependencies=MANAGE, status_code=202)
def queue_sweep(session: SessionDep, principal: CurrentPrincipal) -> JSONResponse:
    """Queue a sweep for the job workers; a sweep already waiting is the same work."""
    job = queue.enqueue(session=session, task_name="retention_sweep", requested_by=principal.actor)
    session.flush()
    body = {"queued": job is not None, "job_id": job.id if job else None}
    return JSONResponse(body, status_code=202)


@router.get("/preview", dependencies=READ)
def preview(request: Request, session: SessionDep) -> dict[str, Any]:
    now = utcnow()
    lines = service.preview(session=session, declaration=declaration_of(request), now=now)
    return {
        "cutoff": now.isoformat(),
        "categories": [
            {
                "category": x.category,
                "rule": x.rule,
                "action": x.action,
                "expired": x.expired,
                "held": x.held,
                "would_go": x.due,
            }
            for x in lines
        ],
    }


@router.get("/upcoming", dependencies=READ)
def upcoming(request: Request, session: SessionDep) -> dict[str, Any]:
    rows = service.upcoming(session=session, declaration=declaration_of(request))
    return {
        "categories": [
            {
                "category": r.category,
                "rule": r.rule,
                "expired": r.expired,
                "within_7_days": r.within_7,
                "within_30_days": r.within_30,
                "within_90_days": r.within_90,
                "no_expiry_yet": r.open_ended,
                "held": r.held,
                "expired_held": r.expired_held,
                "total": r.total,
            }
            for r in rows
        ]
    }
