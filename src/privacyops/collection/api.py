"""Intake routes for the website, the apps and support tools (API keys with `intake.write`)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from privacyops.collection import age as age_gate
from privacyops.collection import automatic
from privacyops.collection import intake as service
from privacyops.collection.schemas import (
    AccountIn,
    AccountUpdateIn,
    AutomaticIn,
    ClosedOut,
    ContactIn,
    CooperationIn,
    FindingOut,
    IntakeOut,
    StoredOut,
    TicketIn,
)
from privacyops.db import utcnow
from privacyops.errors import AppError
from privacyops.staff.permissions import Permission
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import SubjectError
from privacyops.subjects.models import AgeStatus
from privacyops.web.deps import CurrentPrincipal, SessionDep, require

router = APIRouter(prefix="/api/v1/intake", tags=["intake"])
WRITE = [require(Permission.INTAKE_WRITE).dep]


def make_intake(
    request: Request, session: SessionDep, principal: CurrentPrincipal
) -> service.Intake:
    return service.Intake(
        session=session,
        vault=request.app.state.vault,
        declaration=request.app.state.policy.declaration,
        actor=principal.actor,
        explicit_consent=request.app.state.explicit_consent,
    )


def refused(error: service.IntakeError) -> AppError:
    return AppError(error.status, str(error), field=error.field)


def output(result: service.IntakeResult, findings: list[FindingOut] | None = None) -> IntakeOut:
    return IntakeOut(
        subject_id=result.subject_id,
        created=result.created,
        notice_version=result.notice_version,
        stored=[
            StoredOut(
                category=s.category,
                field=s.field,
                purpose=s.purpose,
                region=s.region,
                expires_at=s.expires_at,
            )
            for s in result.stored
        ],
        pii_findings=findings or [],
    )


def _submit(
    intake: service.Intake,
    *,
    category: str,
    purpose: str,
    kind: str,
    fields: dict[str, object],
    identities_from: dict[str, object] | None,
    notice_version: str,
    country: str | None,
    region: str | None,
    source: str,
) -> service.IntakeResult:
    notice = service.check_notice_version(intake, notice_version)
    values = service.validate_fields(
        intake, category=category, purpose=purpose, values=fields, subject_id=None
    )
    identities = service.identities_in(values)
    if identities_from is not None:
        identities = service.requester_identities(intake, identities_from)
    if not identities:
        raise service.IntakeError(
            "an e-mail address or phone number is needed", field="fields.email"
        )
    subject, created = service.resolve_subject(
        intake, identities=identities, kind=kind, country=country, region=region
    )
    stored = service.store_fields(
        intake,
        subject_id=subject.id,
        category=category,
        purpose=purpose,
        values=values,
        notice_version=notice,
        source=source,
    )
    return service.IntakeResult(subject.id, created, notice, stored)


@router.post("/accounts", dependencies=WRITE, response_model=IntakeOut, status_code=201)
def create_account(
    body: AccountIn,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> IntakeOut:
    """Create an account: the declared `account` fields, checked against the declaration.

    A `birth_date` or `age`, where given, passes the age gate (policy 9): under the
    threshold (16, or the stricter local consent age) the account is refused with
    403 and nothing is stored, or, where the person's regime provides for parental
    consent, created with `age_status` `minor_pending_parental_consent` (answer 202):
    only essential processing until staff record the verified parental consent.
    The age itself is not stored.
    """
    intake = make_intake(request, session, principal)
    try:
        notice = service.check_notice_version(intake, body.notice_version)
        values = service.validate_fields(
            intake,
            category="account",
            purpose="account_management",
            values=body.fields,
            subject_id=None,
        )
        decision = _age_decision(intake, body)
        identities = service.identities_in(values)
        existing = subjects.find_subject_by(
            session=session, vault=intake.vault, kind="account_id", value=values["account_id"]
        )
        if existing is not None:
            raise service.IntakeError(
                "this account already exists", field="fields.account_id", status=409
            )
        subject, created = service.resolve_subject(
            intake,
            identities=identities,
            kind="customer",
            country=body.country,
            region=body.region,
        )
        if decision.status != AgeStatus.UNKNOWN:
            age_gate.apply(session=session, subject=subject, decision=decision, actor=intake.actor)
        stored = service.store_fields(
            intake,
            subject_id=subject.id,
            category="account",
            purpose="account_management",
            values=values,
            notice_version=notice,
            source="account_form",
        )
    except service.IntakeError as error:
        raise refused(error) from None
    out = output(service.IntakeResult(subject.id, created, notice, stored))
    out.age_status = subject.age_status
    if decision.status == AgeStatus.MINOR_PENDING_PARENTAL_CONSENT:
        response.status_code = 202
    return out


def _age_decision(intake: service.Intake, body: AccountIn) -> age_gate.AgeDecision:
    try:
        age = age_gate.stated_age(birth_date=body.birth_date, age=body.age, today=utcnow().date())
        decision = age_gate.decide(
            declaration=intake.declaration, age=age, country=body.country, state=body.region
        )
    except age_gate.AgeGateError as error:
        raise service.IntakeError(str(error), field=error.field, status=error.status) from None
    if decision.refused:
        field = "birth_date" if body.birth_date is not None else "age"
        raise service.IntakeError(age_gate.refusal_message(decision), field=field, status=403)
    return decision


@router.post("/automatic", dependencies=WRITE, response_model=IntakeOut, status_code=201)
def automatic_data(
    body: AutomaticIn, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> IntakeOut:
    """What the website and apps collect automatically: device, OS, browser, network, logs.

    The user agent is parsed into the declared fields; an IP address is stored only
    truncated (/24 for IPv4, /48 for IPv6), with its registered country (offline).
    Identify the person by `account_id` (an existing account) or by the banner's
    `cookie_id` (a visitor, created on first sight).
    """
    intake = make_intake(request, session, principal)
    submission = automatic.Submission(
        notice_version=body.notice_version,
        purpose=body.purpose,
        identity=body.identity,
        data=body.data,
        user_agent=body.user_agent,
        ip_address=body.ip_address,
        country=body.country,
        region=body.region,
    )
    try:
        result = automatic.collect(intake, submission)
    except service.IntakeError as error:
        raise refused(error) from None
    return output(result)


def _account_subject(intake: service.Intake, account_id: str) -> str:
    subject = subjects.find_subject_by(
        session=intake.session, vault=intake.vault, kind="account_id", value=account_id
    )
    if subject is None or subject.state == "erased":
        raise service.IntakeError("no such account", field="account_id", status=404)
    return subject.id


@router.patch("/accounts/{account_id}", dependencies=WRITE, response_model=IntakeOut)
def update_account(
    account_id: str,
    body: AccountUpdateIn,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> IntakeOut:
    """Change account fields; the earlier values of those fields are removed."""
    intake = make_intake(request, session, principal)
    try:
        subject_id = _account_subject(intake, account_id)
        notice = service.check_notice_version(intake, body.notice_version)
        if "account_id" in body.fields:
            raise service.IntakeError("account_id cannot change", field="fields.account_id")
        values = service.validate_fields(
            intake,
            category="account",
            purpose="account_management",
            values=body.fields,
            subject_id=subject_id,
            partial=True,
        )
        for kind, value in service.identities_in(values).items():
            subjects.add_identity(
                session=session,
                vault=intake.vault,
                subject_id=subject_id,
                kind=kind,
                value=value,
                actor=intake.actor,
            )
        stored = service.store_fields(
            intake,
            subject_id=subject_id,
            category="account",
            purpose="account_management",
            values=values,
            notice_version=notice,
            source="account_form",
            replace=True,
        )
    except service.IntakeError as error:
        raise refused(error) from None
    except SubjectError as error:
        raise AppError(409, str(error), field=error.field) from None
    return output(service.IntakeResult(subject_id, False, notice, stored))


@router.post("/accounts/{account_id}/close", dependencies=WRITE, response_model=ClosedOut)
def close_account(
    account_id: str, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> ClosedOut:
    """Close an account: its account-life data now expires after the declared grace period."""
    intake = make_intake(request, session, principal)
    try:
        subject_id = _account_subject(intake, account_id)
        changed = service.close_account(intake, subject_id=subject_id)
    except service.IntakeError as error:
        raise refused(error) from None
    return ClosedOut(subject_id=subject_id, records_now_expiring=changed)


@router.post("/contact", dependencies=WRITE, response_model=IntakeOut, status_code=201)
def contact(
    body: ContactIn, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> IntakeOut:
    """A contact form: the declared `contact` fields, for a declared purpose."""
    intake = make_intake(request, session, principal)
    try:
        result = _submit(
            intake,
            category="contact",
            purpose=body.purpose,
            kind="prospect",
            fields=body.fields,
            identities_from=None,
            notice_version=body.notice_version,
            country=body.country,
            region=body.region,
            source="contact_form",
        )
    except service.IntakeError as error:
        raise refused(error) from None
    return output(result)


@router.post("/support-tickets", dependencies=WRITE, response_model=IntakeOut, status_code=201)
def support_ticket(
    body: TicketIn, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> IntakeOut:
    """A support ticket; personal data found in its free text is recorded as metadata."""
    intake = make_intake(request, session, principal)
    try:
        result = _submit(
            intake,
            category="support",
            purpose="service_support",
            kind="customer",
            fields=body.fields,
            identities_from=body.requester,
            notice_version=body.notice_version,
            country=body.country,
            region=body.region,
            source="support_ticket",
        )
    except service.IntakeError as error:
        raise refused(error) from None
    found = service.record_findings(session=session, stored=result.stored, texts=body.fields)
    findings = [
        FindingOut(field=f.field, entity_type=f.entity_type, start=f.start, end=f.end)
        for f in found
    ]
    return output(result, findings)


@router.post("/cooperation", dependencies=WRITE, response_model=IntakeOut, status_code=201)
def cooperation(
    body: CooperationIn, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> IntakeOut:
    """A key-account cooperation request."""
    intake = make_intake(request, session, principal)
    try:
        result = _submit(
            intake,
            category="key_account",
            purpose="order_cooperation",
            kind="business_contact",
            fields=body.fields,
            identities_from=None,
            notice_version=body.notice_version,
            country=body.country,
            region=body.region,
            source="cooperation_form",
        )
    except service.IntakeError as error:
        raise refused(error) from None
    return output(result)
