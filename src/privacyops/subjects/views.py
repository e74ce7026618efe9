"""Console pages: find a data subject, read their data masked (or, audited, unmasked), and
the two age actions (verified parental consent, child data discovered)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from privacyops.collection import age as age_gate
from privacyops.errors import AppError
from privacyops.staff.permissions import Permission
from privacyops.subjects import service as subjects
from privacyops.subjects.api import profile, reader_of, refused, search, status_of
from privacyops.subjects.errors import SubjectError
from privacyops.subjects.models import AgeStatus
from privacyops.subjects.schemas import MatchOut, ProfileOut
from privacyops.web.deps import CurrentPrincipal, SessionDep, require_page
from privacyops.web.i18n import N_
from privacyops.web.templating import render_admin

router = APIRouter(include_in_schema=False)
READ = [require_page(Permission.SUBJECTS_READ).dep]
PERSONAL = [require_page(Permission.SUBJECTS_READ_PERSONAL).dep]
WRITE = [require_page(Permission.SUBJECTS_WRITE).dep]

SubjectId = Annotated[str, Path(min_length=1, max_length=36)]
# Labels are English message ids; the templates translate them when they are shown.
KINDS = [
    ("email", N_("E-mail")),
    ("phone", N_("Phone")),
    ("account_id", N_("Account id")),
    ("device_serial", N_("Device serial")),
]
NOTICES = {
    "parental_consent": N_(
        "Verified parental consent recorded: the account is processed normally."
    ),
    "child_data": N_("The child's data was deleted; the audit log records why."),
}
AGE_LABELS = {
    AgeStatus.UNKNOWN.value: N_("not stated"),
    AgeStatus.ADULT.value: N_("of age"),
    AgeStatus.MINOR_PENDING_PARENTAL_CONSENT.value: N_(
        "minor: waits for verified parental consent"
    ),
    AgeStatus.MINOR_REFUSED.value: N_("minor: refused, data deleted"),
}
METHODS = {
    age_gate.ParentalConsentMethod.SIGNED_FORM: N_("signed form"),
    age_gate.ParentalConsentMethod.PAYMENT_CARD: N_("payment card"),
    age_gate.ParentalConsentMethod.VIDEO_CALL: N_("video call"),
    age_gate.ParentalConsentMethod.GOVERNMENT_ID: N_("government id"),
    age_gate.ParentalConsentMethod.KNOWLEDGE_QUESTIONS: N_("knowledge questions"),
}
REASONS = {
    age_gate.ChildDataReason.PARENT_REPORT: N_("parent report"),
    age_gate.ChildDataReason.SUPPORT_CONVERSATION: N_("support conversation"),
    age_gate.ChildDataReason.AGE_VERIFICATION_FAILED: N_("age verification failed"),
    age_gate.ChildDataReason.PARENTAL_CONSENT_REFUSED: N_("parental consent refused"),
    age_gate.ChildDataReason.STAFF_REVIEW: N_("staff review"),
}


def _lists(session: SessionDep) -> dict[str, Any]:
    return {
        "pending": subjects.list_subjects(
            session=session, limit=50, age_status=AgeStatus.MINOR_PENDING_PARENTAL_CONSENT
        ),
        "newest": subjects.list_subjects(session=session, limit=20),
    }


async def _index(
    request: Request,
    session: SessionDep,
    *,
    kind: str = "email",
    matches: list[MatchOut] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        "kinds": KINDS,
        "kind": kind,
        "matches": matches,
        "error": error,
        "age_labels": AGE_LABELS,
        **_lists(session),
    }
    return await render_admin(request, "subjects/index.html", context, status=status)


@router.get("/admin/subjects", dependencies=READ)
async def subjects_page(request: Request, session: SessionDep) -> Response:
    return await _index(request, session)


@router.post("/admin/subjects", dependencies=READ)
async def search_page(
    request: Request,
    session: SessionDep,
    kind: Annotated[str, Form(max_length=16)],
    value: Annotated[str, Form(max_length=254)],
) -> Response:
    """The search posts its value, so identifiers never appear in URLs or logs."""
    if kind not in {k for k, _ in KINDS}:
        return await _index(request, session, error=N_("Choose what the value is."), status=422)
    if not value.strip():
        return await _index(request, session, kind=kind, error=N_("Enter a value."), status=422)
    try:
        matches = search(
            session=session,
            vault=request.app.state.vault,
            kind=kind,  # type: ignore[arg-type]  # checked against KINDS above
            value=value.strip(),
        )
    except SubjectError as error:
        return await _index(request, session, kind=kind, error=str(error), status=422)
    return await _index(request, session, kind=kind, matches=matches)


async def _detail(
    request: Request, found: ProfileOut, *, notice: str | None = None, error: str | None = None
) -> Response:
    context = {
        "p": found,
        "notice": notice,
        "error": error,
        "age_labels": AGE_LABELS,
        "methods": [(m.value, METHODS.get(m, m.value)) for m in age_gate.ParentalConsentMethod],
        "reasons": [(r.value, REASONS.get(r, r.value)) for r in age_gate.ChildDataReason],
        "pending": found.subject.age_status == AgeStatus.MINOR_PENDING_PARENTAL_CONSENT,
        # each category's label in every language the declaration writes it in
        "category_labels": {
            c.key: c.label for c in request.app.state.policy.declaration.categories
        },
    }
    return await render_admin(request, "subjects/detail.html", context)


@router.get("/admin/subjects/{subject_id}", dependencies=READ)
async def subject_page(
    subject_id: SubjectId,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    try:
        found = profile(reader_of(request, session, principal), subject_id=subject_id, reveal=False)
    except SubjectError as error:
        raise refused(error) from None
    return await _detail(request, found, notice=NOTICES.get(done))


@router.post("/admin/subjects/{subject_id}/values", dependencies=PERSONAL)
async def reveal_page(
    subject_id: SubjectId, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    """Show values: an explicit, audited action (a POST, so no prefetch or reload reveals)."""
    try:
        found = profile(reader_of(request, session, principal), subject_id=subject_id, reveal=True)
    except SubjectError as error:
        raise refused(error) from None
    return await _detail(request, found, notice=N_("Values shown unmasked; this read is audited."))


async def _after(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    subject_id: str,
    error: SubjectError,
) -> Response:
    if status_of(error) == 404:
        raise AppError(404, str(error), field=error.field)
    session.rollback()
    found = profile(reader_of(request, session, principal), subject_id=subject_id, reveal=False)
    return await _detail(request, found, error=str(error))


@router.post("/admin/subjects/{subject_id}/parental-consent", dependencies=WRITE)
async def parental_consent_page(
    subject_id: SubjectId,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    method: Annotated[str, Form(max_length=32)],
) -> Response:
    try:
        age_gate.record_parental_consent(
            session=session,
            subject_id=subject_id,
            method=method,
            verified_at=None,
            actor=principal.actor,
        )
    except SubjectError as error:
        return await _after(request, session, principal, subject_id, error)
    return RedirectResponse(f"/admin/subjects/{subject_id}?done=parental_consent", 303)


@router.post("/admin/subjects/{subject_id}/child-data", dependencies=WRITE)
async def child_data_page(
    subject_id: SubjectId,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    reason: Annotated[str, Form(max_length=32)],
    confirm: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    if confirm != "yes":
        error = SubjectError(N_("tick the box to confirm the deletion"), field="confirm")
        return await _after(request, session, principal, subject_id, error)
    try:
        age_gate.child_data_discovered(
            session=session,
            vault=request.app.state.vault,
            subject_id=subject_id,
            reason=reason,
            actor=principal.actor,
        )
    except SubjectError as error:
        return await _after(request, session, principal, subject_id, error)
    return RedirectResponse(f"/admin/subjects/{subject_id}?done=child_data", 303)
