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

from privacyops.errors import AppError
from privacyops.rights import decisions, identity, intake, lookups, metrics
from privacyops.rights.common import RightsError
from privacyops.rights.faces import (
    declaration_of,
    or_refusal,
    refusal,
    run_if_ready,
    run_now,
    settings_of,
    vault_of,
)
from privacyops.rights.models import Channel, RightsRequest
from privacyops.rights.presenters import (
    answered,
    detail_out,
    execution_out,
    queue_item,
    receipt,
    status_out,
)
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
    VerifyIn,
)
from privacyops.rights.second_point import second_point
from privacyops.staff.permissions import Permission
from privacyops.web.deps import PUBLIC, CurrentPrincipal, SessionDep, require
from privacyops.web.limits import allow_public_write

router = APIRouter(prefix="/api/v1/requests", tags=["rights requests"])
READ = [require(Permission.REQUESTS_READ).dep]
VERIFY = [require(Permission.REQUESTS_VERIFY).dep]
MANAGE = [require(Permission.REQUESTS_MANAGE).dep]
REPORTS = [require(Permission.REPORTS_READ).dep]
OPEN = [PUBLIC.dep]

TokenHeader = Annotated[str, Header(alias="X-Requester-Token", max_length=200)]


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
    return status_out(
        or_refusal(lookups.find_by_token, session=session, token=token, request_id=request_id)
    )


@router.post("/{request_id}/code", dependencies=OPEN, status_code=202, summary="Send a new code")
def resend_code(
    http: Request, request_id: str, token: TokenHeader, session: SessionDep
) -> dict[str, bool]:
    request = or_refusal(
        lookups.find_by_token, session=session, token=token, request_id=request_id, for_update=True
    )
    sent = or_refusal(identity.send_code, session=session, vault=vault_of(http), request=request)
    return {"sent": sent}


@router.post("/{request_id}/verify", dependencies=OPEN, summary="Verify with the code")
def verify(
    http: Request, request_id: str, body: VerifyIn, token: TokenHeader, session: SessionDep
) -> StatusOut:
    request = or_refusal(
        lookups.find_by_token, session=session, token=token, request_id=request_id, for_update=True
    )
    second = second_point(body.second_kind, body.second_value)
    try:
        identity.verify(
            session=session, vault=vault_of(http), request=request, code=body.code, second=second
        )
    except RightsError as error:
        # The wrong answer stays counted although the request is refused.
        session.commit()
        raise refusal(error) from None
    run_if_ready(http, session, request, "requester")
    return status_out(lookups.get(session=session, request_id=request_id))


# -- staff ------------------------------------------------------------------------------


@router.get("", dependencies=READ, summary="The queue, by due date")
def list_requests(
    session: SessionDep,
    status: Annotated[str, Query(max_length=24)] = "open",
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[QueueItem]:
    rows = or_refusal(lookups.queue, session=session, status=status, limit=limit)
    return [queue_item(r) for r in rows]


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


def _found(session: Session, request_id: str) -> RightsRequest:
    return or_refusal(lookups.get, session=session, request_id=request_id)


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
    request = or_refusal(
        identity.staff_verify,
        session=session,
        request_id=request_id,
        actor=principal.actor,
        method=body.method,
    )
    run_if_ready(http, session, request, principal.actor)
    return detail_out(session, _found(session, request_id))


@router.post("/{request_id}/notes", dependencies=VERIFY, status_code=201, summary="Add a note")
def add_note(
    request_id: str, body: NoteIn, session: SessionDep, principal: CurrentPrincipal
) -> NoteOut:
    note = or_refusal(
        decisions.add_note,
        session=session,
        request_id=request_id,
        actor=principal.actor,
        text=body.text,
    )
    return NoteOut(at=note.at, author=note.author, kind=note.kind, text=note.text)


@router.post("/{request_id}/approve", dependencies=MANAGE, summary="Approve and execute")
def approve(
    http: Request, request_id: str, body: ReasonIn, session: SessionDep, principal: CurrentPrincipal
) -> ExecutionOut:
    request = or_refusal(
        decisions.approve,
        session=session,
        request_id=request_id,
        actor=principal.actor,
        reason=body.reason,
    )
    if request.type == "inquiry":
        decisions.close_answered(
            session=session, vault=vault_of(http), settings=settings_of(http), request=request
        )
        return answered(request)
    return execution_out(or_refusal(run_now, http, session, request_id, principal.actor))


@router.post("/{request_id}/execute", dependencies=MANAGE, summary="Execute or retry")
def execute(
    http: Request, request_id: str, session: SessionDep, principal: CurrentPrincipal
) -> ExecutionOut:
    _found(session, request_id)
    return execution_out(or_refusal(run_now, http, session, request_id, principal.actor))


@router.post("/{request_id}/deny", dependencies=MANAGE, summary="Deny with a reason")
def deny(
    http: Request, request_id: str, body: ReasonIn, session: SessionDep, principal: CurrentPrincipal
) -> DetailOut:
    request = or_refusal(
        decisions.deny,
        session=session,
        vault=vault_of(http),
        settings=settings_of(http),
        request_id=request_id,
        actor=principal.actor,
        reason=body.reason,
    )
    return detail_out(session, request)


@router.post("/{request_id}/extend", dependencies=MANAGE, summary="Extend the deadline once")
def extend(
    http: Request, request_id: str, body: ExtendIn, session: SessionDep, principal: CurrentPrincipal
) -> DetailOut:
    request = or_refusal(
        decisions.extend,
        session=session,
        vault=vault_of(http),
        settings=settings_of(http),
        request_id=request_id,
        actor=principal.actor,
        reason=body.reason,
        until=body.until,
    )
    return detail_out(session, request)


@router.post("/{request_id}/corrections", dependencies=MANAGE, summary="Reviewed corrections")
def corrections(
    http: Request,
    request_id: str,
    body: CorrectionsIn,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> dict[str, list[str]]:
    return or_refusal(
        decisions.submit_corrections,
        session=session,
        vault=vault_of(http),
        declaration=declaration_of(http),
        request_id=request_id,
        corrections=body.corrections,
        actor=principal.actor,
    )
