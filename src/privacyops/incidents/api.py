"""JSON routes of the breach register and of policy-update announcements."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from privacyops.db import utcnow
from privacyops.errors import AppError
from privacyops.incidents import announcements, clocks, notices, reports, service
from privacyops.jurisdictions import service as jurisdictions
from privacyops.notify.errors import NotifyError
from privacyops.policy.schema import Declaration
from privacyops.settings import Settings
from privacyops.staff.permissions import Permission
from privacyops.vault.service import Vault
from privacyops.web.deps import CurrentPrincipal, SessionDep, require

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
READ = [require(Permission.INCIDENTS_READ).dep]
MANAGE = [require(Permission.INCIDENTS_MANAGE).dep]


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=200)
    description: str = Field(max_length=20_000)
    detected_at: datetime
    aware_at: datetime
    categories: list[str] = Field(max_length=100)
    systems: list[str] = Field(default_factory=list, max_length=100)
    risk: str = "likely"
    risk_reasons: str = ""
    encrypted: bool = False
    crypto_shredded: bool = False
    major: bool = False
    critical_infrastructure: bool = False
    consequences: str = ""
    measures: list[str] = Field(default_factory=list, max_length=100)


class IncidentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = None
    description: str | None = None
    status: str | None = None
    detected_at: datetime | None = None
    aware_at: datetime | None = None
    categories: list[str] | None = Field(default=None, max_length=100)
    systems: list[str] | None = Field(default=None, max_length=100)
    risk: str | None = None
    risk_reasons: str | None = None
    encrypted: bool | None = None
    crypto_shredded: bool | None = None
    major: bool | None = None
    critical_infrastructure: bool | None = None
    consequences: str | None = None
    measures: list[str] | None = Field(default=None, max_length=100)
    lessons: str | None = None


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    regime: str = Field(max_length=16)
    stage: str = Field(default="notice", max_length=40)
    channel: str = Field(default="regulator portal", max_length=40)
    sent_at: datetime | None = None
    reference: str = Field(default="", max_length=200)


class AnnounceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str = Field(max_length=40)


def declaration_of(request: Request) -> Declaration:
    declaration: Declaration = request.app.state.policy.declaration
    return declaration


def vault_of(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


def refusal(error: service.IncidentError | NotifyError) -> AppError:
    status = 404 if getattr(error, "code", "") == "not_found" else 422
    return AppError(status, str(error), field=getattr(error, "field", None))


def incident_out(request: Request, session: SessionDep, incident_id: str) -> dict[str, Any]:
    now = utcnow()
    incident = service.get(session=session, incident_id=incident_id)
    found = service.estimate(session=session, categories=incident.categories)
    return {
        "id": incident.id,
        "reference": incident.reference,
        "title": incident.title,
        "description": incident.description,
        "status": incident.status,
        "detected_at": incident.detected_at,
        "aware_at": incident.aware_at,
        "systems": incident.systems,
        "categories": incident.categories,
        "risk": incident.risk,
        "risk_reasons": incident.risk_reasons,
        "encrypted": incident.encrypted,
        "crypto_shredded": incident.crypto_shredded,
        "major": incident.major,
        "critical_infrastructure": incident.critical_infrastructure,
        "consequences": incident.consequences,
        "measures": incident.measures,
        "lessons": incident.lessons,
        "estimate": {
            "subjects": found.subjects,
            "records": found.records,
            "by_region": found.by_region,
            "by_jurisdiction": found.by_jurisdiction,
        },
        "clocks": [
            {
                "regime": state.regime,
                "audience": state.audience,
                "stage": state.clock.stage,
                "due_at": state.due_at,
                "status": state.status,
                "why": state.why,
                "rule": state.clock.rule,
                "basis": state.clock.basis,
                "law": state.clock.law,
                "source": state.clock.source,
            }
            for state in clocks.incident_clocks(session=session, incident=incident, now=now)
        ],
        "tasks": [
            {"id": t.id, "title": t.title, "done_at": t.done_at}
            for t in service.tasks_of(session=session, incident_id=incident.id)
        ],
        "timeline": [
            {"at": n.at, "author": n.author, "text": n.text}
            for n in service.timeline_of(session=session, incident_id=incident.id)
        ],
        "delivery": notices.delivery_status(session=session, incident_id=incident.id),
    }


@router.post("", dependencies=MANAGE, status_code=201, summary="Register an incident")
def register(
    request: Request, body: IncidentIn, session: SessionDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    try:
        incident = service.register(
            session=session,
            declaration=declaration_of(request),
            actor=principal.actor,
            **body.model_dump(),
        )
    except service.IncidentError as error:
        raise refusal(error) from None
    return incident_out(request, session, incident.id)


@router.get("", dependencies=READ, summary="The incident register, newest first")
def list_incidents(session: SessionDep) -> list[dict[str, Any]]:
    return [
        {"id": i.id, "reference": i.reference, "title": i.title, "status": i.status}
        for i in service.list_incidents(session=session)
    ]


@router.get("/{incident_id}", dependencies=READ, summary="One incident with clocks and estimate")
def get_incident(request: Request, incident_id: str, session: SessionDep) -> dict[str, Any]:
    try:
        return incident_out(request, session, incident_id)
    except service.IncidentError as error:
        raise refusal(error) from None


@router.patch("/{incident_id}", dependencies=MANAGE, summary="Change an incident")
def patch_incident(
    request: Request,
    incident_id: str,
    body: IncidentPatch,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    try:
        service.update(
            session=session,
            declaration=declaration_of(request),
            incident_id=incident_id,
            changes=body.model_dump(exclude_none=True),
            actor=principal.actor,
        )
    except service.IncidentError as error:
        raise refusal(error) from None
    return incident_out(request, session, incident_id)


@router.post("/{incident_id}/notes", dependencies=MANAGE, status_code=201, summary="Add a note")
def add_note(
    incident_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    text: Annotated[str, Body(embed=True, max_length=5000)],
) -> dict[str, Any]:
    try:
        note = service.add_note(
            session=session, incident_id=incident_id, text=text, actor=principal.actor
        )
    except service.IncidentError as error:
        raise refusal(error) from None
    return {"id": note.id, "at": note.at}


@router.post("/{incident_id}/tasks", dependencies=MANAGE, status_code=201, summary="Add a task")
def add_task(
    incident_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    title: Annotated[str, Body(embed=True, max_length=300)],
) -> dict[str, Any]:
    try:
        task = service.add_task(
            session=session, incident_id=incident_id, title=title, actor=principal.actor
        )
    except service.IncidentError as error:
        raise refusal(error) from None
    return {"id": task.id, "title": task.title}


@router.get("/{incident_id}/reports/{regime}", dependencies=READ, summary="Regulator report")
def get_report(request: Request, incident_id: str, regime: str, session: SessionDep) -> Response:
    try:
        incident = service.get(session=session, incident_id=incident_id)
        body = reports.report_text(
            session=session, declaration=declaration_of(request), incident=incident, regime=regime
        )
    except service.IncidentError as error:
        raise refusal(error) from None
    except jurisdictions.UnknownRegimeError:
        raise AppError(404, f"no regime {regime!r}", field="regime") from None
    name = f"{incident.reference}-{regime}.md"
    return Response(
        body,
        media_type="text/markdown; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.put("/{incident_id}/reports/{regime}", dependencies=MANAGE, summary="Save a report")
def put_report(
    incident_id: str,
    regime: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    body: Annotated[str, Body(embed=True, max_length=100_000)],
) -> dict[str, Any]:
    try:
        row = reports.save_report(
            session=session,
            incident_id=incident_id,
            regime=regime,
            body=body,
            actor=principal.actor,
        )
    except service.IncidentError as error:
        raise refusal(error) from None
    return {"regime": row.regime, "updated_at": row.updated_at}


@router.post(
    "/{incident_id}/regulator-notices",
    dependencies=MANAGE,
    status_code=201,
    summary="Record that a regulator was notified",
)
def regulator_notice(
    incident_id: str, body: NoticeIn, session: SessionDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    try:
        notice = reports.record_notice(
            session=session,
            incident_id=incident_id,
            regime=body.regime,
            audience="regulator",
            stage=body.stage,
            channel=body.channel,
            actor=principal.actor,
            sent_at=body.sent_at,
            detail={"reference": body.reference} if body.reference else {},
        )
    except service.IncidentError as error:
        raise refusal(error) from None
    return {"id": notice.id, "sent_at": notice.sent_at}


@router.post("/{incident_id}/notify", dependencies=MANAGE, summary="Notify affected people")
def notify_people(
    request: Request, incident_id: str, session: SessionDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    try:
        run = notices.notify_individuals(
            session=session,
            vault=vault_of(request),
            declaration=declaration_of(request),
            incident_id=incident_id,
            actor=principal.actor,
        )
    except (service.IncidentError, NotifyError) as error:
        raise refusal(error) from None
    return {
        "subjects": run.subjects,
        "queued": dict(run.queued),
        "languages": dict(run.languages),
        "no_address": run.no_address,
        "batch": incident_id,
    }


@router.post("/{incident_id}/public-notice", dependencies=MANAGE, summary="Publish a notice")
def public_notice(
    request: Request, incident_id: str, session: SessionDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    try:
        notice = notices.publish_public_notice(
            session=session,
            declaration=declaration_of(request),
            incident_id=incident_id,
            actor=principal.actor,
        )
    except service.IncidentError as error:
        raise refusal(error) from None
    return {"slug": notice.slug, "url": f"/notices/{notice.slug}"}


@router.post(
    "/announcements",
    dependencies=[require(Permission.POLICY_PUBLISH).dep],
    status_code=201,
    summary="Announce a published policy version through the declared channels",
)
def announce(
    request: Request, body: AnnounceIn, session: SessionDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    try:
        row = announcements.announce_policy_version(
            session, vault_of(request), body.version, principal.actor, base_url=settings.public_url
        )
    except service.IncidentError as error:
        raise refusal(error) from None
    return {
        "version": row.version,
        "channels": row.channels,
        "counts": row.counts,
        "prominent": row.prominent,
        "consent_required": row.consent_required,
    }
