"""Consent routes for integrations (API keys with `consent.read` / `consent.write`) and staff."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from privacyops.consent import context as ctx
from privacyops.consent import receipts, reports, scans, state
from privacyops.consent import service as consent
from privacyops.consent.browser import recorded_out
from privacyops.consent.checks import UnknownPurposeError, checker_for
from privacyops.consent.models import Method
from privacyops.consent.schemas import (
    CheckOut,
    DayOut,
    PurposeStateOut,
    RecordedOut,
    ReportOut,
    ScanOut,
    StateOut,
    SubjectChoiceIn,
    SubjectWithdrawIn,
)
from privacyops.db import utcnow
from privacyops.errors import AppError
from privacyops.policy.schema import Declaration
from privacyops.staff.permissions import Permission
from privacyops.subjects.models import SubjectState
from privacyops.web.deps import CurrentPrincipal, SessionDep, require

router = APIRouter(prefix="/api/v1/consent", tags=["consent"])
READ = [require(Permission.CONSENT_READ).dep]
WRITE = [require(Permission.CONSENT_WRITE).dep]
SubjectId = Annotated[str, Path(max_length=36)]


def _declaration(request: Request) -> Declaration:
    declaration: Declaration = request.app.state.policy.declaration
    return declaration


def _refused(error: consent.ConsentError) -> AppError:
    return AppError(error.status, str(error), field=error.field)


def _context(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    subject_id: str,
    body: SubjectChoiceIn | SubjectWithdrawIn,
    gpc: bool,
) -> consent.Context:
    declaration = _declaration(request)
    try:
        subject = consent.live_subject(session=session, subject_id=subject_id)
    except consent.ConsentError as error:
        raise _refused(error) from None
    now = utcnow()
    place = ctx.where(country=subject.country, state=subject.region_code, on=now.date())
    renewals = checker_for(request.app).renewals(session)
    version = ctx.policy_version(body.policy_version, renewals, declaration)
    notice_version, notice_hash = ctx.notice(
        session=session,
        declaration=declaration,
        lang=body.lang,
        version=version,
        sent_hash=body.notice_hash,
        sent_version=body.notice_version,
    )
    return consent.Context(
        regime=consent.regime_of(subject),
        gpc_applies=place.gpc_applies,
        gpc_signal=gpc,
        policy_version=version,
        notice_version=notice_version,
        notice_hash=notice_hash,
        lang=body.lang,
        at=now,
        actor=principal.actor,
    )


@router.post(
    "/subjects/{subject_id}/choices",
    dependencies=WRITE,
    status_code=201,
    response_model=RecordedOut,
)
def record_choices(
    subject_id: SubjectId,
    body: SubjectChoiceIn,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> RecordedOut:
    """Record a subject's choice made in an app or a form (one receipt for the whole choice)."""
    context = _context(request, session, principal, subject_id, body, body.gpc)
    try:
        recorded = consent.record_choices(
            session=session,
            declaration=_declaration(request),
            who=consent.Who(subject_id=subject_id),
            choices=body.choices,
            method=Method(body.method),
            context=context,
        )
    except consent.ConsentError as error:
        raise _refused(error) from None
    return recorded_out(recorded)


@router.post(
    "/subjects/{subject_id}/withdraw",
    dependencies=WRITE,
    status_code=201,
    response_model=RecordedOut,
)
def withdraw(
    subject_id: SubjectId,
    body: SubjectWithdrawIn,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> RecordedOut:
    """Withdraw every non-essential purpose of the subject in one call."""
    context = _context(request, session, principal, subject_id, body, False)
    try:
        recorded = consent.withdraw_all(
            session=session,
            declaration=_declaration(request),
            who=consent.Who(subject_id=subject_id),
            method=Method(body.method),
            context=context,
        )
    except consent.ConsentError as error:
        raise _refused(error) from None
    return recorded_out(recorded)


@router.get("/subjects/{subject_id}", dependencies=READ, response_model=StateOut)
def current_state(subject_id: SubjectId, request: Request, session: SessionDep) -> StateOut:
    """Every purpose's state now: recorded or the regime's default, stale or not, allowed or not."""
    try:
        subject = consent.live_subject(session=session, subject_id=subject_id)
        found = state.subject_states(
            session=session,
            declaration=_declaration(request),
            subject_id=subject_id,
            renewals=checker_for(request.app).renewals(session),
        )
    except consent.ConsentError as error:
        raise _refused(error) from None
    return StateOut(
        subject_id=subject_id,
        regime=consent.regime_of(subject).code,
        restricted=subject.state == SubjectState.RESTRICTED,
        purposes=[
            PurposeStateOut(
                purpose=s.purpose,
                state=s.state.value,
                allowed=s.allowed,
                stale=s.stale,
                source=s.source,
                method=s.method,
                at=s.at,
                policy_version=s.policy_version,
                receipt_id=s.receipt_id,
            )
            for s in found
        ],
    )


@router.get("/subjects/{subject_id}/check", dependencies=READ, response_model=CheckOut)
def check(
    subject_id: SubjectId,
    request: Request,
    purpose: Annotated[str, Query(max_length=64)],
) -> CheckOut:
    """The fast check over HTTP (in-process callers use `ConsentChecker.may_process`)."""
    try:
        allowed = checker_for(request.app).may_process(subject_id, purpose)
    except UnknownPurposeError as error:
        raise AppError(422, f"purpose: {purpose!r} is not declared", field="purpose") from error
    return CheckOut(subject_id=subject_id, purpose=purpose, allowed=allowed)


@router.get("/subjects/{subject_id}/receipts/{receipt_id}", dependencies=READ)
def receipt(
    subject_id: SubjectId,
    receipt_id: Annotated[str, Path(max_length=36)],
    request: Request,
    session: SessionDep,
) -> JSONResponse:
    """One consent receipt as JSON (Kantara v1.1 / ISO/IEC TS 27560); `latest` for the newest."""
    who = consent.Who(subject_id=subject_id)
    events = state.receipt_events(
        session=session, who=who, receipt_id=None if receipt_id == "latest" else receipt_id
    )
    if not events:
        raise AppError(404, f"no consent receipt {receipt_id!r} for this subject")
    return JSONResponse(
        receipts.build(
            declaration=_declaration(request),
            events=events,
            who=who,
            public_url=request.app.state.settings.public_url,
            service_name="apps and website",
        )
    )


def _counts(table: dict[str, Counter[str]]) -> dict[str, dict[str, int]]:
    return {key: dict(counter) for key, counter in sorted(table.items())}


@router.get("/reports", dependencies=READ, response_model=ReportOut)
def report(session: SessionDep, days: Annotated[int, Query(ge=1, le=366)] = 90) -> ReportOut:
    """Decisions by purpose, regime, method and day over the last `days` days (UTC)."""
    found = reports.report(session=session, days=days)
    return ReportOut(
        since=found.since,
        until=found.until,
        total=found.total,
        by_purpose=_counts(found.by_purpose),
        by_regime=_counts(found.by_regime),
        by_method=_counts(found.by_method),
        by_day=[
            DayOut(
                day=day,
                granted=c.get("granted", 0),
                denied=c.get("denied", 0),
                withdrawn=c.get("withdrawn", 0),
            )
            for day, c in found.days()
        ],
    )


@router.get("/scans/latest", dependencies=READ, response_model=ScanOut)
def latest_scan(session: SessionDep) -> ScanOut:
    """The newest cookie scan (`privacyops cookies scan`), for conformance checks."""
    row = scans.latest(session=session)
    if row is None:
        raise AppError(404, "no cookie scan has been run yet")
    return ScanOut.model_validate(row, from_attributes=True)
