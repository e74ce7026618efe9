"""Console pages: recipients, disclosures with cross-border counters, authority requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from privacyops.db import utcnow
from privacyops.disclosures import authority, counters, register, service
from privacyops.errors import AppError
from privacyops.staff.permissions import Permission
from privacyops.web.deps import SessionDep, current_principal, require_page
from privacyops.web.templating import render_admin, staff_language

router = APIRouter(include_in_schema=False)
AUTHORITY_PAGE = "/admin/authority-requests"


async def _actor(request: Request) -> str:
    principal = await current_principal(request)
    assert principal is not None  # the route's guard let it through
    return principal.actor


def _refused(error: service.DisclosureError) -> AppError:
    return AppError(error.status, str(error), field=error.field)


@router.get("/admin/recipients", dependencies=[require_page(Permission.REPORTS_READ).dep])
async def recipients_page(request: Request) -> Response:
    entries = register.register(
        request.app.state.policy.declaration,
        today=utcnow().date(),
        lang="zh-CN" if staff_language(request) == "zh-CN" else "en",
    )
    return await render_admin(request, "disclosures/recipients.html", {"entries": entries})


@router.get("/admin/disclosures", dependencies=[require_page(Permission.REPORTS_READ).dep])
async def disclosures_page(
    request: Request,
    session: SessionDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    shown = year or utcnow().year
    context = {
        "year": shown,
        "counts": counters.counters(session, shown),
        "totals": counters.totals(session, shown),
        "findings": counters.cn_threshold_findings(session, shown),
        "recent": service.recent(session=session, limit=100),
    }
    return await render_admin(request, "disclosures/index.html", context)


@router.get(AUTHORITY_PAGE, dependencies=[require_page(Permission.SUBJECTS_READ).dep])
async def authority_page(request: Request, session: SessionDep) -> Response:
    rows = authority.list_requests(session=session)
    answered = {row.id: authority.disclosed_for(session, row.id) for row in rows}
    return await render_admin(
        request, "disclosures/authority.html", {"requests": rows, "answered": answered}
    )


@router.post(AUTHORITY_PAGE, dependencies=[require_page(Permission.SUBJECTS_WRITE).dep])
async def record_authority_request(
    request: Request,
    session: SessionDep,
    authority_name: Annotated[str, Form(alias="authority", max_length=200)],
    country: Annotated[str, Form(max_length=2)],
    legal_basis: Annotated[str, Form(max_length=2000)],
    scope: Annotated[str, Form(max_length=4000)],
    subject_id: Annotated[str, Form(max_length=36)] = "",
) -> Response:
    try:
        authority.record_request(
            session=session,
            authority=authority_name,
            country=country,
            legal_basis=legal_basis,
            scope=scope,
            subject_id=subject_id.strip() or None,
            actor=await _actor(request),
        )
    except service.DisclosureError as error:
        raise _refused(error) from None
    return RedirectResponse(AUTHORITY_PAGE, status_code=303)


@router.post(
    AUTHORITY_PAGE + "/{request_id}/decision",
    dependencies=[require_page(Permission.REQUESTS_MANAGE).dep],
)
async def decide_authority_request(
    request_id: int,
    request: Request,
    session: SessionDep,
    decision: Annotated[str, Form(pattern="^(approve|refuse)$")],
    note: Annotated[str, Form(max_length=4000)],
    may_tell_subject: Annotated[bool, Form()] = False,
    no_notice_reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        authority.decide(
            session=session,
            request_id=request_id,
            approve=decision == "approve",
            note=note,
            may_tell_subject=may_tell_subject,
            no_notice_reason=no_notice_reason,
            actor=await _actor(request),
        )
    except service.DisclosureError as error:
        raise _refused(error) from None
    return RedirectResponse(AUTHORITY_PAGE, status_code=303)


@router.post(
    AUTHORITY_PAGE + "/{request_id}/disclose",
    dependencies=[require_page(Permission.SUBJECTS_WRITE).dep],
)
async def answer_authority_request(
    request_id: int,
    request: Request,
    session: SessionDep,
    categories: Annotated[str, Form(max_length=500)],
) -> Response:
    try:
        authority.answer(
            session=session,
            vault=request.app.state.vault,
            declaration=request.app.state.policy.declaration,
            request_id=request_id,
            categories=[c for c in categories.replace(",", " ").split() if c],
            actor=await _actor(request),
        )
    except service.DisclosureError as error:
        raise _refused(error) from None
    return RedirectResponse(AUTHORITY_PAGE, status_code=303)
