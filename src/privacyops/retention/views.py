"""Console pages of the retention domain: overview and upcoming expiry, holds, sweep reports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.errors import AppError
from privacyops.jobs import queue
from privacyops.policy.base import Lang
from privacyops.policy.render import wording
from privacyops.policy.schema import Declaration
from privacyops.retention import service
from privacyops.retention.api import declaration_of
from privacyops.staff.permissions import Permission
from privacyops.web import i18n
from privacyops.web.deps import CurrentPrincipal, SessionDep, require_page
from privacyops.web.i18n import N_
from privacyops.web.templating import render_admin, staff_language

router = APIRouter(include_in_schema=False)
READ = [require_page(Permission.REPORTS_READ).dep]
MANAGE = [require_page(Permission.RETENTION_MANAGE).dep]
Short = Annotated[str, Form(max_length=500)]


def _said(request: Request, message: str, **values: object) -> str:
    """A message in the console's language, to travel in a redirect's query."""
    return i18n.translations(staff_language(request)).gettext(message) % values


#: How each kind of retention rule is named in the console (the kind is a declaration code).
RULE_KINDS = {
    "account_life": N_("account_life"),
    "consent_life": N_("consent_life"),
    "fixed": N_("fixed"),
    "legal": N_("legal"),
}


def _rules(request: Request, declaration: Declaration) -> dict[str, str]:
    """Each category's rule as the overview shows it, in the console's language."""
    lang: Lang = "zh-CN" if staff_language(request) == "zh-CN" else "en"
    words = i18n.translations(lang)
    return {
        c.key: f"{words.gettext(RULE_KINDS.get(c.retention.kind, c.retention.kind))}: "
        f"{wording.retention(c.retention, lang)}"
        for c in declaration.categories
    }


def _redirect(path: str, message: str = "") -> RedirectResponse:
    query = f"?{urlencode({'message': message})}" if message else ""
    return RedirectResponse(f"{path}{query}", status_code=303)


def _moment(raw: str) -> datetime | None:
    """A date or datetime-local value from the form, read as UTC (the form says so)."""
    if not raw.strip():
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise service.RetentionError("not a date", field="ends_at") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@router.get("/admin/retention", dependencies=READ)
async def overview(request: Request, session: SessionDep) -> Response:
    now = utcnow()
    declaration = declaration_of(request)
    rows = service.upcoming(session=session, declaration=declaration, now=now)
    context = {
        "rows": rows,
        "rules": _rules(request, declaration),
        "now": now,
        "holds": service.list_holds(session=session, active_only=True, now=now),
        "reports": service.reports(session=session, limit=5),
        "expired": sum(r.due for r in rows),
        "soon": sum(r.within_30 for r in rows),
        "message": request.query_params.get("message", "")[:200],
    }
    return await render_admin(request, "retention/overview.html", context)


@router.post("/admin/retention/sweeps", dependencies=MANAGE)
async def queue_sweep(
    request: Request, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    job = queue.enqueue(session=session, task_name="retention_sweep", requested_by=principal.actor)
    message = N_("Sweep queued") if job is not None else N_("A sweep is already queued")
    return _redirect("/admin/retention", _said(request, message))


async def _holds(request: Request, session: Session, error: str | None, status: int) -> Response:
    now = utcnow()
    context = {
        "holds": service.list_holds(session=session, now=now),
        "state": lambda hold: service.hold_state(hold, now),
        "categories": declaration_of(request).categories,
        "error": error,
        "message": request.query_params.get("message", "")[:200],
    }
    return await render_admin(request, "retention/holds.html", context, status=status)


@router.get("/admin/retention/holds", dependencies=READ)
async def holds_page(request: Request, session: SessionDep) -> Response:
    return await _holds(request, session, None, 200)


@router.post("/admin/retention/holds", dependencies=MANAGE)
async def create_hold(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    reason: Short,
    law: Annotated[str, Form(max_length=200)],
    subject_id: Annotated[str, Form(max_length=36)] = "",
    category: Annotated[str, Form(max_length=64)] = "",
    ends_at: Annotated[str, Form(max_length=40)] = "",
    reference: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    try:
        hold = service.create_hold(
            session=session,
            declaration=declaration_of(request),
            actor=principal.actor,
            reason=reason,
            law=law,
            subject_id=subject_id,
            category=category,
            ends_at=_moment(ends_at),
            reference=reference,
        )
    except service.RetentionError as error:
        return await _holds(request, session, f"{error.field or 'input'}: {error}", 422)
    return _redirect("/admin/retention/holds", _said(request, N_("Hold %(id)s placed"), id=hold.id))


@router.post("/admin/retention/holds/{hold_id}/lift", dependencies=MANAGE)
async def lift_hold(
    request: Request,
    hold_id: Annotated[str, Path(max_length=20)],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> Response:
    try:
        hold = service.lift_hold(session=session, hold_id=hold_id, actor=principal.actor)
    except service.RetentionError as error:
        if error.status == 404:
            raise AppError(404, str(error)) from None
        return await _holds(request, session, str(error), error.status)
    return _redirect("/admin/retention/holds", _said(request, N_("Hold %(id)s lifted"), id=hold.id))


@router.get("/admin/retention/sweeps", dependencies=READ)
async def sweeps_page(request: Request, session: SessionDep) -> Response:
    context = {"reports": service.reports(session=session, limit=100)}
    return await render_admin(request, "retention/sweeps.html", context)


@router.get("/admin/retention/sweeps/{report_id}", dependencies=READ)
async def sweep_page(
    request: Request, report_id: Annotated[int, Path(ge=1, le=2**53)], session: SessionDep
) -> Response:
    report = service.get_report(session=session, report_id=report_id)
    if report is None:
        raise AppError(404, "no such sweep report")
    return await render_admin(request, "retention/sweep.html", {"report": report})
