"""Console pages of the breach register and announcements, and the public notices page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.errors import AppError
from privacyops.incidents import announcements, clocks, countdown, notices, reports, service
from privacyops.incidents.api import declaration_of, vault_of
from privacyops.incidents.models import IncidentStatus, Risk
from privacyops.jurisdictions import service as jurisdictions
from privacyops.policy import versions
from privacyops.settings import Settings
from privacyops.staff.permissions import Permission
from privacyops.web import i18n
from privacyops.web.deps import PUBLIC, CurrentPrincipal, SessionDep, require_page
from privacyops.web.i18n import N_
from privacyops.web.templating import render_admin, render_center, staff_language

router = APIRouter(include_in_schema=False)
READ = [require_page(Permission.INCIDENTS_READ).dep]
MANAGE = [require_page(Permission.INCIDENTS_MANAGE).dep]
Text = Annotated[str, Form(max_length=20_000)]


def _moment(raw: str, name: str) -> datetime:
    """A datetime-local value, read as UTC (the form says so)."""
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise AppError(422, f"{name}: not a date and time", field=name) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _lines(raw: str) -> list[str]:
    return [line.strip() for line in raw.replace(",", "\n").splitlines() if line.strip()]


def _said(request: Request, message: str, **values: object) -> str:
    """A message in the console's language, to travel in a redirect's query."""
    return i18n.translations(staff_language(request)).gettext(message) % values


def _back(incident_id: str, message: str = "") -> RedirectResponse:
    query = f"?{urlencode({'message': message})}" if message else ""
    return RedirectResponse(f"/admin/incidents/{incident_id}{query}", status_code=303)


async def _index(request: Request, session: Session, error: str | None, status: int) -> Response:
    now = utcnow()
    rows = [
        (i, [c for c in clocks.incident_clocks(session=session, incident=i, now=now)])
        for i in service.list_incidents(session=session)
    ]
    context = {
        "rows": rows,
        "categories": declaration_of(request).categories,
        "risks": list(Risk),
        "now": now,
        "why": countdown.explainer(staff_language(request), now),
        "reminders": clocks.reminders(session=session, limit=10),
        "error": error,
    }
    return await render_admin(request, "incidents/index.html", context, status=status)


@router.get("/admin/incidents", dependencies=READ)
async def incidents_page(request: Request, session: SessionDep) -> Response:
    return await _index(request, session, None, 200)


@router.post("/admin/incidents", dependencies=MANAGE)
async def register_incident(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    title: Annotated[str, Form(max_length=200)],
    description: Text,
    detected_at: Annotated[str, Form(max_length=40)],
    aware_at: Annotated[str, Form(max_length=40)],
    categories: Annotated[list[str], Form()],
    systems: Text = "",
    risk: Annotated[str, Form(max_length=16)] = "likely",
    risk_reasons: Text = "",
    encrypted: Annotated[bool, Form()] = False,
) -> Response:
    try:
        incident = service.register(
            session=session,
            declaration=declaration_of(request),
            actor=principal.actor,
            title=title,
            description=description,
            detected_at=_moment(detected_at, "detected_at"),
            aware_at=_moment(aware_at, "aware_at"),
            categories=categories,
            systems=_lines(systems),
            risk=risk,
            risk_reasons=risk_reasons,
            encrypted=encrypted,
        )
    except service.IncidentError as error:
        return await _index(request, session, str(error), 422)
    return _back(incident.id, _said(request, N_("Registered")))


@router.get("/admin/incidents/{incident_id}", dependencies=READ)
async def incident_page(request: Request, incident_id: str, session: SessionDep) -> Response:
    try:
        incident = service.get(session=session, incident_id=incident_id)
    except service.IncidentError as error:
        raise AppError(404, str(error)) from None
    now = utcnow()
    states = clocks.incident_clocks(session=session, incident=incident, now=now)
    regimes = list(dict.fromkeys(state.regime for state in states))
    found = service.estimate(session=session, categories=incident.categories)
    context = {
        "incident": incident,
        "clocks": states,
        "why": countdown.explainer(staff_language(request), now),
        "now": now,
        "estimate": found,
        "regimes": regimes,
        "regulators": {code: jurisdictions.get_regime(code).regulator.name for code in regimes},
        "tasks": service.tasks_of(session=session, incident_id=incident.id),
        "timeline": service.timeline_of(session=session, incident_id=incident.id),
        "notices": reports.notices_of(session=session, incident_id=incident.id),
        "delivery": notices.delivery_status(session=session, incident_id=incident.id),
        "statuses": list(IncidentStatus),
        "risks": list(Risk),
        "labels": {
            c.key: c.label.zh_cn if staff_language(request) == "zh-CN" else c.label.en
            for c in declaration_of(request).categories
        },
        "message": request.query_params.get("message"),
    }
    return await render_admin(request, "incidents/detail.html", context)


@router.post("/admin/incidents/{incident_id}/update", dependencies=MANAGE)
async def update_incident(
    request: Request,
    incident_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    status: Annotated[str, Form(max_length=16)],
    risk: Annotated[str, Form(max_length=16)],
    risk_reasons: Text = "",
    consequences: Text = "",
    measures: Text = "",
    lessons: Text = "",
    encrypted: Annotated[bool, Form()] = False,
    crypto_shredded: Annotated[bool, Form()] = False,
    major: Annotated[bool, Form()] = False,
) -> Response:
    changes = {
        "status": status,
        "risk": risk,
        "risk_reasons": risk_reasons,
        "consequences": consequences,
        "measures": [m.strip() for m in measures.splitlines() if m.strip()],
        "lessons": lessons,
        "encrypted": encrypted,
        "crypto_shredded": crypto_shredded,
        "major": major,
    }
    try:
        service.update(
            session=session,
            declaration=declaration_of(request),
            incident_id=incident_id,
            changes=changes,
            actor=principal.actor,
        )
    except service.IncidentError as error:
        raise AppError(422, str(error), field=error.field) from None
    return _back(incident_id, _said(request, N_("Saved")))


@router.post("/admin/incidents/{incident_id}/notes", dependencies=MANAGE)
async def note(
    incident_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    text: Annotated[str, Form(max_length=5000)],
) -> Response:
    try:
        service.add_note(session=session, incident_id=incident_id, text=text, actor=principal.actor)
    except service.IncidentError as error:
        raise AppError(422, str(error), field=error.field) from None
    return _back(incident_id)


@router.post("/admin/incidents/{incident_id}/tasks", dependencies=MANAGE)
async def task(
    incident_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    title: Annotated[str, Form(max_length=300)] = "",
    done: Annotated[int | None, Form()] = None,
) -> Response:
    try:
        if done is not None:
            service.complete_task(
                session=session, incident_id=incident_id, task_id=done, actor=principal.actor
            )
        else:
            service.add_task(
                session=session, incident_id=incident_id, title=title, actor=principal.actor
            )
    except service.IncidentError as error:
        raise AppError(422, str(error), field=error.field) from None
    return _back(incident_id)


@router.post("/admin/incidents/{incident_id}/regulator-notices", dependencies=MANAGE)
async def regulator_notice(
    request: Request,
    incident_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: Annotated[str, Form(max_length=200)],
    reference: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    regime, _, stage = clock.partition("/regulator/")
    try:
        reports.record_notice(
            session=session,
            incident_id=incident_id,
            regime=regime,
            audience="regulator",
            stage=stage or "notice",
            channel="regulator portal",
            actor=principal.actor,
            detail={"reference": reference} if reference else {},
        )
    except service.IncidentError as error:
        raise AppError(422, str(error), field=error.field) from None
    return _back(incident_id, _said(request, N_("Regulator notice recorded")))


@router.get("/admin/incidents/{incident_id}/reports/{regime}", dependencies=READ)
async def report_page(
    request: Request, incident_id: str, regime: str, session: SessionDep
) -> Response:
    try:
        incident = service.get(session=session, incident_id=incident_id)
        body = reports.report_text(
            session=session, declaration=declaration_of(request), incident=incident, regime=regime
        )
    except service.IncidentError as error:
        raise AppError(404, str(error)) from None
    except jurisdictions.UnknownRegimeError:
        raise AppError(404, f"no regime {regime!r}", field="regime") from None
    stored = reports.get_report(session=session, incident_id=incident_id, regime=regime)
    context = {"incident": incident, "regime": regime, "body": body, "stored": stored}
    return await render_admin(request, "incidents/report.html", context)


@router.post("/admin/incidents/{incident_id}/reports/{regime}", dependencies=MANAGE)
async def save_report(
    incident_id: str,
    regime: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    body: Annotated[str, Form(max_length=100_000)],
) -> Response:
    try:
        reports.save_report(
            session=session,
            incident_id=incident_id,
            regime=regime,
            body=body,
            actor=principal.actor,
        )
    except service.IncidentError as error:
        raise AppError(422, str(error), field=error.field) from None
    return RedirectResponse(f"/admin/incidents/{incident_id}/reports/{regime}", status_code=303)


@router.post("/admin/incidents/{incident_id}/notify", dependencies=MANAGE)
async def notify_people(
    request: Request, incident_id: str, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    try:
        run = notices.notify_individuals(
            session=session,
            vault=vault_of(request),
            declaration=declaration_of(request),
            incident_id=incident_id,
            actor=principal.actor,
        )
    except service.IncidentError as error:
        raise AppError(422, str(error), field=error.field) from None
    said = i18n.translations(staff_language(request)).ngettext(
        "Queued notices for %(num)s person", "Queued notices for %(num)s people", run.subjects
    )
    return _back(incident_id, said % {"num": run.subjects})


@router.post("/admin/incidents/{incident_id}/public-notice", dependencies=MANAGE)
async def public_notice(
    request: Request, incident_id: str, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    try:
        notices.publish_public_notice(
            session=session,
            declaration=declaration_of(request),
            incident_id=incident_id,
            actor=principal.actor,
        )
    except service.IncidentError as error:
        raise AppError(422, str(error), field=error.field) from None
    return _back(incident_id, _said(request, N_("Public notice published")))


@router.get("/admin/announcements", dependencies=[require_page(Permission.POLICY_READ).dep])
async def announcements_page(request: Request, session: SessionDep) -> Response:
    context = {
        "history": announcements.history(session=session),
        "versions": versions.list_versions(session=session),
        "message": request.query_params.get("message"),
    }
    return await render_admin(request, "incidents/announcements.html", context)


@router.post("/admin/announcements", dependencies=[require_page(Permission.POLICY_PUBLISH).dep])
async def announce(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    version: Annotated[str, Form(max_length=40)],
) -> Response:
    settings: Settings = request.app.state.settings
    try:
        announcements.announce_policy_version(
            session, vault_of(request), version, principal.actor, base_url=settings.public_url
        )
    except service.IncidentError as error:
        raise AppError(422, str(error), field=error.field) from None
    said = _said(request, N_("Announced %(version)s"), version=version)
    return RedirectResponse(f"/admin/announcements?{urlencode({'message': said})}", status_code=303)


@router.get("/notices", dependencies=[PUBLIC.dep])
def notices_list(request: Request, session: SessionDep) -> Response:
    rows = notices.public_notices(session=session)
    return render_center(request, "incidents/notices.html", {"notices": rows})


@router.get("/notices/{slug}", dependencies=[PUBLIC.dep])
def notice_page(request: Request, slug: str, session: SessionDep) -> Response:
    row = notices.public_notice(session=session, slug=slug)
    if row is None:
        raise AppError(404, f"no notice {slug!r}", field="slug")
    latest = versions.latest(session=session)
    return render_center(request, "incidents/notice.html", {"notice": row, "latest": latest})
