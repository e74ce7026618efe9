"""The JSON shapes of a request, built from its rows for the API routes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.rights import lookups, messages
from privacyops.rights.executors import ExecutionReport
from privacyops.rights.models import RightsRequest, VerificationLevel
from privacyops.rights.schemas import (
    DetailOut,
    ExecutionOut,
    NoteOut,
    QueueItem,
    Receipt,
    StatusOut,
    StepOut,
)
from privacyops.settings import Settings


def receipt(request: RightsRequest, settings: Settings, token: str | None) -> Receipt:
    return Receipt(
        id=request.id,
        type=request.type,
        status=request.status,
        received_at=request.received_at,
        due_at=lookups.due_of(request),
        verification_level=request.verification_level,
        token=token,
        status_url=messages.status_url(settings, token) if token else None,
    )


def status_out(request: RightsRequest) -> StatusOut:
    facts = request.facts or {}
    outcome = facts.get("outcome")
    return StatusOut(
        id=request.id,
        type=request.type,
        status=request.status,
        received_at=request.received_at,
        due_at=request.due_at,
        extended_due_at=request.extended_due_at,
        extension_reason=request.extension_reason,
        verification_level=request.verification_level,
        verified=request.verified_at is not None
        or request.verification_level == VerificationLevel.NONE,
        needs_second_identifier=request.verification_level == VerificationLevel.REASONABLY_HIGH,
        awaiting_staff=bool(facts.get("awaiting_staff")),
        decision_reason=request.decision_reason,
        outcome_summary=outcome.get("summary") if isinstance(outcome, dict) else None,
        closed_at=request.closed_at,
    )


def queue_item(request: RightsRequest) -> QueueItem:
    return QueueItem(
        id=request.id,
        type=request.type,
        status=request.status,
        channel=request.channel,
        regime=request.regime,
        received_at=request.received_at,
        due_at=request.due_at,
        effective_due_at=lookups.due_of(request),
        deadline=lookups.deadline_status(request, utcnow()),
    )


def detail_out(session: Session, request: RightsRequest) -> DetailOut:
    base = queue_item(request)
    return DetailOut(
        **base.model_dump(),
        language=request.language,
        country=request.country,
        region_code=request.region_code,
        verification_level=request.verification_level,
        verified_at=request.verified_at,
        extended_due_at=request.extended_due_at,
        extension_reason=request.extension_reason,
        closed_at=request.closed_at,
        decision_reason=request.decision_reason,
        facts=request.facts or {},
        steps=[
            StepOut(name=s.name, status=s.status, attempts=s.attempts, error=s.error)
            for s in lookups.steps_of(session=session, request_id=request.id)
        ],
        timeline=[
            NoteOut(at=n.at, author=n.author, kind=n.kind, text=n.text)
            for n in lookups.timeline(session=session, request_id=request.id)
        ],
    )


def execution_out(report: ExecutionReport) -> ExecutionOut:
    return ExecutionOut(
        id=report.request_id,
        status=report.status,
        error=report.error,
        failed_step=report.failed_step,
        steps=[
            StepOut(name=s.name, status=s.status, attempts=s.attempts, error=s.error)
            for s in report.steps
        ],
    )


def answered(request: RightsRequest) -> ExecutionOut:
    """An inquiry closed by its answer: nothing was executed."""
    return ExecutionOut(
        id=request.id, status=request.status, error=None, failed_step=None, steps=[]
    )
