"""Console pages of rights requests: the queue, staff entry, a request's detail and the
staff decisions on it (verify, approve, execute, deny, extend, notes, corrections), metrics.

Each decision route has one shape (``console.decide``): call the rights function; a
request that does not exist is a 404, any other refusal comes back to the
detail page as a message; success redirects there with what was done.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.errors import AppError
from privacyops.rights import center, decisions, downloads, identity, intake, lookups, metrics
from privacyops.rights.center import COUNTRIES
from privacyops.rights.common import RightsError
from privacyops.rights.console import back, decide, refused, said
from privacyops.rights.deadlines import extension_limit, overdue_requests
from privacyops.rights.faces import (
    declaration_of,
    or_refusal,
    package_stream,
    run_if_ready,
    run_now,
    settings_of,
    vault_of,
)
from privacyops.rights.models import Channel, RequestType, RightsRequest
from privacyops.staff.permissions import Permission
from privacyops.web.deps import CurrentPrincipal, SessionDep, require_page
from privacyops.web.i18n import N_, translations
from privacyops.web.templating import render_admin, staff_language

router = APIRouter(include_in_schema=False)
router.include_router(center.router)
READ = [require_page(Permission.REQUESTS_READ).dep]
VERIFY = [require_page(Permission.REQUESTS_VERIFY).dep]
MANAGE = [require_page(Permission.REQUESTS_MANAGE).dep]
REPORTS = [require_page(Permission.REPORTS_READ).dep]
PERSONAL = [require_page(Permission.SUBJECTS_READ_PERSONAL).dep]

Short = Annotated[str, Form(max_length=254)]
Text = Annotated[str, Form(max_length=5000)]
Reason = Annotated[str, Form(max_length=2000)]


@router.get("/admin/requests", dependencies=READ)
async def queue_page(
    request: Request,
    session: SessionDep,
    status: Annotated[str, Query(max_length=24)] = "open",
) -> Response:
    rows = or_refusal(lookups.queue, session=session, status=status)
    now, lang = utcnow(), staff_language(request)
    context = {
        "rows": [(r, lookups.deadline_status(r, now), lookups.due_of(r)) for r in rows],
        "status": status,
        "types": [t.value for t in RequestType],
        "countries": [(code, translations(lang).gettext(name)) for code, name in COUNTRIES],
        "overdue": len(overdue_requests(session=session, now=now)),
        "error": request.query_params.get("error"),
    }
    return await render_admin(request, "rights/queue.html", context)


@router.post("/admin/requests", dependencies=VERIFY)
async def staff_entry(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    type: Annotated[str, Form(max_length=24)],
    contact: Short,
    channel: Annotated[str, Form(max_length=20)] = "email",
    country: Annotated[str, Form(max_length=8)] = "",
    state: Annotated[str, Form(max_length=8)] = "",
    language: Annotated[str, Form(max_length=8)] = "en",
    details: Text = "",
) -> Response:
    if channel not in (Channel.EMAIL, Channel.CONTACT_PAGE):
        raise AppError(422, "channel must be email or contact_page", field="channel")
    made = or_refusal(
        intake.submit,
        session=session,
        vault=vault_of(request),
        settings=settings_of(request),
        declaration=declaration_of(request),
        request_type=type,
        contact_kind="email" if "@" in contact else "phone",
        contact=contact,
        channel=channel,
        actor=principal.actor,
        country=country if country and country != "other" else None,
        state=state or None,
        details=details,
        language=language,
    )
    run_if_ready(request, session, made.request, principal.actor)
    return back(made.request.id, said(request, N_("Entered; the requester was sent the receipt")))


@router.get("/admin/requests/metrics", dependencies=REPORTS)
async def metrics_page(
    request: Request,
    session: SessionDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    chosen = year or utcnow().year
    rows = metrics.yearly(session=session, year=chosen)
    return await render_admin(request, "rights/metrics.html", {"rows": rows, "year": chosen})


@router.get("/admin/requests/{request_id}", dependencies=READ)
async def detail_page(
    request: Request,
    request_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    reveal: bool = False,
) -> Response:
    try:
        found = lookups.get(session=session, request_id=request_id)
    except RightsError as error:
        raise AppError(404, str(error)) from None
    details = None
    if reveal and principal.can(Permission.SUBJECTS_READ_PERSONAL):
        details = lookups.details_of(
            session=session, vault=vault_of(request), request=found, actor=principal.actor
        )
    now = utcnow()
    context = {
        "r": found,
        "deadline": lookups.deadline_status(found, now),
        "due": lookups.due_of(found),
        "steps": lookups.steps_of(session=session, request_id=found.id),
        "timeline": lookups.timeline(session=session, request_id=found.id),
        "package": lookups.package_of(session=session, request_id=found.id),
        "details": details,
        "open": found.status in ("pending_verification", "verified", "in_progress"),
        "can_extend": found.extended_due_at is None
        and now < found.due_at
        and extension_limit(found) is not None,
        "now": now,
        "message": request.query_params.get("message"),
        "message_failed": request.query_params.get("failed") == "1",
        "categories": declaration_of(request).categories,
    }
    return await render_admin(request, "rights/detail.html", context)


@router.post("/admin/requests/{request_id}/verify", dependencies=VERIFY)
async def staff_verify(
    request: Request,
    request_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    method: Annotated[str, Form(max_length=500)],
) -> Response:
    def verified(found: RightsRequest) -> str:
        run_if_ready(request, session, found, principal.actor)
        return said(request, N_("Verified"))

    return decide(
        request,
        request_id,
        verified,
        identity.staff_verify,
        session=session,
        request_id=request_id,
        actor=principal.actor,
        method=method,
    )


def _run(request: Request, session: Session, request_id: str, actor: str) -> tuple[str, bool]:
    """What running the steps came to, and whether it failed."""
    try:
        report = run_now(request, session, request_id, actor)
    except RightsError as error:
        return refused(request, error), True
    if report.error:
        failed = N_("Step %(step)s failed: %(error)s")
        return said(request, failed, step=report.failed_step, error=report.error), True
    return said(request, N_("Execution: %(status)s"), status=report.status), False


@router.post("/admin/requests/{request_id}/approve", dependencies=MANAGE)
async def approve(
    request: Request,
    request_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    reason: Reason,
) -> Response:
    def approved(found: RightsRequest) -> tuple[str, bool]:
        if found.type == RequestType.INQUIRY:
            decisions.close_answered(
                session=session,
                vault=vault_of(request),
                settings=settings_of(request),
                request=found,
            )
            return said(request, N_("Answered and closed")), False
        return _run(request, session, request_id, principal.actor)

    return decide(
        request,
        request_id,
        approved,
        decisions.approve,
        session=session,
        request_id=request_id,
        actor=principal.actor,
        reason=reason,
    )


@router.post("/admin/requests/{request_id}/execute", dependencies=MANAGE)
async def execute(
    request: Request, request_id: str, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    or_refusal(lookups.get, session=session, request_id=request_id)
    message, failed = _run(request, session, request_id, principal.actor)
    return back(request_id, message, failed=failed)


@router.post("/admin/requests/{request_id}/deny", dependencies=MANAGE)
async def deny(
    request: Request,
    request_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    reason: Reason,
) -> Response:
    return decide(
        request,
        request_id,
        N_("Denied"),
        decisions.deny,
        session=session,
        vault=vault_of(request),
        settings=settings_of(request),
        request_id=request_id,
        actor=principal.actor,
        reason=reason,
    )


def _until(text: str) -> datetime | None:
    """A new due date from the form: a date means the end of that day (UTC)."""
    if not text.strip():
        return None
    try:
        day = datetime.fromisoformat(text.strip())
    except ValueError:
        raise AppError(422, "until: not a date", field="until") from None
    return day if day.tzinfo else day.replace(hour=23, minute=59, tzinfo=UTC)


@router.post("/admin/requests/{request_id}/extend", dependencies=MANAGE)
async def extend(
    request: Request,
    request_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    reason: Reason,
    until: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    return decide(
        request,
        request_id,
        N_("Extended; the requester was told why"),
        decisions.extend,
        session=session,
        vault=vault_of(request),
        settings=settings_of(request),
        request_id=request_id,
        actor=principal.actor,
        reason=reason,
        until=_until(until),
    )


@router.post("/admin/requests/{request_id}/notes", dependencies=VERIFY)
async def note(
    request: Request,
    request_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    text: Text,
) -> Response:
    return decide(
        request,
        request_id,
        "",
        decisions.add_note,
        session=session,
        request_id=request_id,
        actor=principal.actor,
        text=text,
    )


def _corrections(lines: str) -> dict[str, dict[str, str]]:
    """One correction a line: ``category.field = new value``."""
    parsed: dict[str, dict[str, str]] = {}
    for line in lines.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        category, dot, field = name.strip().partition(".")
        if not sep or not dot:
            raise AppError(422, "write each correction as category.field = value", field="lines")
        parsed.setdefault(category.strip(), {})[field.strip()] = value.strip()
    return parsed


@router.post("/admin/requests/{request_id}/corrections", dependencies=MANAGE)
async def corrections(
    request: Request,
    request_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    lines: Text,
) -> Response:
    return decide(
        request,
        request_id,
        N_("Corrections reviewed and sealed; approve to apply them"),
        decisions.submit_corrections,
        session=session,
        vault=vault_of(request),
        declaration=declaration_of(request),
        request_id=request_id,
        corrections=_corrections(lines),
        actor=principal.actor,
    )


@router.get("/admin/requests/{request_id}/package", dependencies=PERSONAL)
def staff_download(
    request: Request, request_id: str, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    found = or_refusal(
        downloads.staff_package,
        session=session,
        vault=vault_of(request),
        settings=settings_of(request),
        request_id=request_id,
        actor=principal.actor,
    )
    # The staff download is recorded before the stream starts, whatever happens to the stream.
    session.commit()
    return package_stream(found)
