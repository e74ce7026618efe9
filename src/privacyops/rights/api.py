"""JSON routes of rights requests: public intake and status for the apps, staff handling.

The requester's routes are public and answer only to the request's status
token (header ``X-Requester-Token``), so one requester never reads another's
request; the id in the path must be the token's own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.errors import AppError
from privacyops.policy.schema import Declaration
from privacyops.rights import decisions, identity, intake, lookups, messages, metrics, running
from privacyops.rights.common import RightsError
from privacyops.rights.models import Channel, RightsRequest, VerificationLevel
from privacyops.rights.schemas import (
    AccountDeletionIn,
    CorrectionsIn,
    DetailOut,
    ExecutionOut,
    ExtendIn,
    MetricsOut,
    MetricsRow,
    NoteIn,
    NoteOut,
    QueueItem,
    ReasonIn,
    Receipt,
    RequestIn,
    StaffEntryIn,
    StaffVerifyIn,
    StatusOut,
    StepOut,
    VerifyIn,
)
from privacyops.rights.verification import SecondPoint
from privacyops.settings import Settings
from privacyops.staff.permissions import Permission
from privacyops.vault.service import Vault
from privacyops.web.deps import PUBLIC, CurrentPrincipal, SessionDep, require
from privacyops.web.limits import allow_public_write

router = APIRouter(prefix="/api/v1/requests", tags=["rights requests"])
READ = [require(Permission.REQUESTS_READ).dep]
VERIFY = [require(Permission.REQUESTS_VERIFY).dep]
MANAGE = [require(Permission.REQUESTS_MANAGE).dep]
REPORTS = [require(Permission.REPORTS_READ).dep]
OPEN = [PUBLIC.dep]

STATUS_FOR = {
    "not_found": 404,
    "invalid": 422,
    "conflict": 409,
    "gone": 410,
    "rate_limited": 429,
}

TokenHeader = Annotated[str, Header(alias="X-Requester-Token", max_length=200)]


def refusal(error: RightsError) -> AppError:
    return AppError(STATUS_FOR.get(error.code, 409), str(error), code=error.code, field=error.field)


def declaration_of(request: Request) -> Declaration:
    declaration: Declaration = request.app.state.policy.declaration
    return declaration


def vault_of(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


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


def run_if_ready(http: Request, session: Session, request: RightsRequest, actor: str) -> None:
    """Commit what was decided, then execute a request that needs no staff review."""
    session.commit()
    if not running.runs_on_its_own(request):
        return
    try:
        running.run(
            session=session,
            vault=vault_of(http),
            settings=settings_of(http),
            declaration=declaration_of(http),
            request_id=request.id,
            actor=actor,
            checkpoint=session.commit,
        )
    except RightsError:
        session.rollback()  # stays verified; staff see it in the queue and execute it


def submit(
    http: Request,
    session: Session,
    body: RequestIn | AccountDeletionIn | StaffEntryIn,
    *,
    request_type: str,
    channel: str,
    actor: str,
) -> intake.Submitted:
    kind, contact = body.contact
    if actor == "requester" and not allow_public_write(http, "rights_request"):
        raise AppError(
            429, "too many requests from this address; try again later", code="rate_limited"
        )
    try:
        return intake.submit(
            session=session,
            vault=vault_of(http),
            settings=settings_of(http),
            declaration=declaration_of(http),
            request_type=request_type,
            contact_kind=kind,
            contact=contact,
            channel=channel,
            actor=actor,
            country=body.country,
            state=body.state,
            details=body.details,
            language=body.language,
            purposes=getattr(body, "purposes", None),
        )
    except RightsError as error:
        raise refusal(error) from None


@router.post("", dependencies=OPEN, status_code=201, summary="Make a rights request")
def create(http: Request, body: RequestIn, session: SessionDep) -> Receipt:
    """Public: the apps and website send a request; the answer carries the status token once.

    A receipt and (where needed) a verification code go to the e-mail address.
    """
    made = submit(
        http, session, body, request_type=body.type, channel=Channel.API, actor="requester"
    )
    run_if_ready(http, session, made.request, "requester")
    return receipt(made.request, settings_of(http), made.token)


@router.post(
    "/account-deletion", dependencies=OPEN, status_code=201, summary="Ask to delete an account"
)
def account_deletion(http: Request, body: AccountDeletionIn, session: SessionDep) -> Receipt:
    """Public: the in-app "delete my account" (App Store and Google Play ask for it)."""
    made = submit(
        http, session, body, request_type="deletion", channel=Channel.ACCOUNT, actor="requester"
    )
    return receipt(made.request, settings_of(http), made.token)


@router.post(
    "/staff-entry", dependencies=VERIFY, status_code=201, summary="Enter a request received by mail"
)
def staff_entry(
    http: Request, body: StaffEntryIn, session: SessionDep, principal: CurrentPrincipal
) -> Receipt:
    """A request that came by e-mail or the contact page; the requester gets the link by e-mail."""
    made = submit(
        http, session, body, request_type=body.type, channel=body.channel, actor=principal.actor
    )
    run_if_ready(http, session, made.request, principal.actor)
    return receipt(made.request, settings_of(http), None)


@router.get("/{request_id}/status", dependencies=OPEN, summary="A request's status (requester)")
def requester_status(request_id: str, token: TokenHeader, session: SessionDep) -> StatusOut:
    try:
        return status_out(
            lookups.find_by_token(session=session, token=token, request_id=request_id)
        )
    except RightsError as error:
        raise refusal(error) from None


@router.post("/{request_id}/code", dependencies=OPEN, status_code=202, summary="Send a new code")
def resend_code(
    http: Request, request_id: str, token: TokenHeader, session: SessionDep
) -> dict[str, bool]:
    try:
        request = lookups.find_by_token(
            session=session, token=token, request_id=request_id, for_update=True
        )
        sent = identity.send_code(session=session, vault=vault_of(http), request=request)
    except RightsError as error:
        raise refusal(error) from None
    return {"sent": sent}


@router.post("/{request_id}/verify", dependencies=OPEN, summary="Verify with the code")
def verify(
    http: Request, request_id: str, body: VerifyIn, token: TokenHeader, session: SessionDep
) -> StatusOut:
    try:
        request = lookups.find_by_token(
            session=session, token=token, request_id=request_id, for_update=True
        )
    except RightsError as error:
        raise refusal(error) from None
    second = (
        SecondPoint(body.second_kind, body.second_value)
        if body.second_kind and body.second_value
        else None
    )
    try:
        identity.verify(
            session=session, vault=vault_of(http), request=request, code=body.code, second=second
        )
    except RightsError as error:
        session.commit()  # the counted attempt stays counted
        raise refusal(error) from None
    run_if_ready(http, session, request, "requester")
    return status_out(lookups.get(session=session, request_id=request_id))


# -- staff ------------------------------------------------------------------------------


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


@router.get("", dependencies=READ, summary="The queue, by due date")
def list_requests(
    session: SessionDep,
    status: Annotated[str, Query(max_length=24)] = "open",
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[QueueItem]:
    try:
        return [queue_item(r) for r in lookups.queue(session=session, status=status, limit=limit)]
    except RightsError as error:
        raise refusal(error) from None


Year = Annotated[int, Query(ge=2000, le=2100)]


@router.get("/metrics", dependencies=REPORTS, summary="Yearly metrics per right (CCPA)")
def metrics_json(session: SessionDep, year: Year) -> MetricsOut:
    rows = metrics.yearly(session=session, year=year)
    return MetricsOut(
        year=year, rows=[MetricsRow.model_validate(r) for r in metrics.as_dicts(rows)]
    )


@router.get("/metrics.csv", dependencies=REPORTS, summary="Yearly metrics per right, as CSV")
def metrics_csv(session: SessionDep, year: Year) -> Response:
    body = metrics.as_csv(metrics.yearly(session=session, year=year))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="requests-{year}.csv"'},
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


def _found(session: Session, request_id: str) -> RightsRequest:
    try:
        return lookups.get(session=session, request_id=request_id)
    except RightsError as error:
        raise refusal(error) from None


@router.get("/{request_id}", dependencies=READ, summary="One request with steps and timeline")
def get_request(request_id: str, session: SessionDep) -> DetailOut:
    return detail_out(session, _found(session, request_id))


@router.post("/{request_id}/staff-verify", dependencies=VERIFY, summary="Verify by other means")
def staff_verify(
    http: Request,
    request_id: str,
    body: StaffVerifyIn,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> DetailOut:
    try:
        request = identity.staff_verify(
            session=session, request_id=request_id, actor=principal.actor, method=body.method
        )
    except RightsError as error:
        raise refusal(error) from None
    run_if_ready(http, session, request, principal.actor)
    return detail_out(session, _found(session, request_id))


@router.post("/{request_id}/notes", dependencies=VERIFY, status_code=201, summary="Add a note")
def add_note(
    request_id: str, body: NoteIn, session: SessionDep, principal: CurrentPrincipal
) -> NoteOut:
    try:
        note = decisions.add_note(
            session=session, request_id=request_id, actor=principal.actor, text=body.text
        )
    except RightsError as error:
        raise refusal(error) from None
    return NoteOut(at=note.at, author=note.author, kind=note.kind, text=note.text)


def execute_now(http: Request, session: Session, request_id: str, actor: str) -> ExecutionOut:
    session.commit()
    try:
        report = running.run(
            session=session,
            vault=vault_of(http),
            settings=settings_of(http),
            declaration=declaration_of(http),
            request_id=request_id,
            actor=actor,
            checkpoint=session.commit,
        )
    except RightsError as error:
        raise refusal(error) from None
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


@router.post("/{request_id}/approve", dependencies=MANAGE, summary="Approve and execute")
def approve(
    http: Request, request_id: str, body: ReasonIn, session: SessionDep, principal: CurrentPrincipal
) -> ExecutionOut:
    try:
        request = decisions.approve(
            session=session, request_id=request_id, actor=principal.actor, reason=body.reason
        )
    except RightsError as error:
        raise refusal(error) from None
    if request.type == "inquiry":
        decisions.close_answered(
            session=session, vault=vault_of(http), settings=settings_of(http), request=request
        )
        return ExecutionOut(
            id=request.id, status=request.status, error=None, failed_step=None, steps=[]
        )
    return execute_now(http, session, request_id, principal.actor)


@router.post("/{request_id}/execute", dependencies=MANAGE, summary="Execute or retry")
def execute(
    http: Request, request_id: str, session: SessionDep, principal: CurrentPrincipal
) -> ExecutionOut:
    _found(session, request_id)
    return execute_now(http, session, request_id, principal.actor)


@router.post("/{request_id}/deny", dependencies=MANAGE, summary="Deny with a reason")
def deny(
    http: Request, request_id: str, body: ReasonIn, session: SessionDep, principal: CurrentPrincipal
) -> DetailOut:
    try:
        request = decisions.deny(
            session=session,
            vault=vault_of(http),
            settings=settings_of(http),
            request_id=request_id,
            actor=principal.actor,
            reason=body.reason,
        )
    except RightsError as error:
        raise refusal(error) from None
    return detail_out(session, request)


@router.post("/{request_id}/extend", dependencies=MANAGE, summary="Extend the deadline once")
def extend(
    http: Request, request_id: str, body: ExtendIn, session: SessionDep, principal: CurrentPrincipal
) -> DetailOut:
    try:
        request = decisions.extend(
            session=session,
            vault=vault_of(http),
            settings=settings_of(http),
            request_id=request_id,
            actor=principal.actor,
            reason=body.reason,
            until=body.until,
        )
    except RightsError as error:
        raise refusal(error) from None
    return detail_out(session, request)


@router.post("/{request_id}/corrections", dependencies=MANAGE, summary="Reviewed corrections")
def corrections(
    http: Request,
    request_id: str,
    body: CorrectionsIn,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> dict[str, list[str]]:
    try:
        return decisions.submit_corrections(
            session=session,
            vault=vault_of(http),
            declaration=declaration_of(http),
            request_id=request_id,
            corrections=body.corrections,
            actor=principal.actor,
        )
    except RightsError as error:
        raise refusal(error) from None
