"""Pages of rights requests: the privacy center's form, status page and account deletion,
and the console's queue, request detail and metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.errors import AppError
from privacyops.policy.base import Lang
from privacyops.rights import (
    decisions,
    downloads,
    identity,
    intake,
    lookups,
    messages,
    metrics,
    running,
)
from privacyops.rights.api import (
    declaration_of,
    refusal,
    run_if_ready,
    settings_of,
    vault_of,
)
from privacyops.rights.common import RightsError
from privacyops.rights.deadlines import extension_limit, overdue_requests
from privacyops.rights.models import Channel, RequestType, RightsRequest, VerificationLevel
from privacyops.rights.verification import CODE_MINUTES, SecondPoint
from privacyops.staff.permissions import Permission
from privacyops.web.deps import PUBLIC, CurrentPrincipal, SessionDep, require_page
from privacyops.web.i18n import pick_language, translations
from privacyops.web.limits import allow_public_write
from privacyops.web.templating import render_admin, render_center

router = APIRouter(include_in_schema=False)
OPEN = [PUBLIC.dep]
READ = [require_page(Permission.REQUESTS_READ).dep]
VERIFY = [require_page(Permission.REQUESTS_VERIFY).dep]
MANAGE = [require_page(Permission.REQUESTS_MANAGE).dep]
REPORTS = [require_page(Permission.REPORTS_READ).dep]
PERSONAL = [require_page(Permission.SUBJECTS_READ_PERSONAL).dep]

Short = Annotated[str, Form(max_length=254)]
Text = Annotated[str, Form(max_length=5000)]

#: Countries offered in the form (others: "other", the default regime applies).
COUNTRIES: list[tuple[str, str, str]] = [
    ("CN", "China (mainland)", "中国（大陆）"),
    ("US", "United States", "美国"),
    ("DE", "Germany", "德国"),
    ("FR", "France", "法国"),
    ("IT", "Italy", "意大利"),
    ("ES", "Spain", "西班牙"),
    ("NL", "Netherlands", "荷兰"),
    ("GB", "United Kingdom", "英国"),
    ("CA", "Canada", "加拿大"),
    ("AU", "Australia", "澳大利亚"),
    ("JP", "Japan", "日本"),
    ("KR", "South Korea", "韩国"),
    ("SG", "Singapore", "新加坡"),
    ("TH", "Thailand", "泰国"),
    ("IN", "India", "印度"),
    ("BR", "Brazil", "巴西"),
]

#: Refusals shown to a requester, in their language (service messages are for staff and logs).
ERROR_KEYS = {
    ("invalid", "code"): "request.error.code",
    ("gone", "code"): "request.error.code_expired",
    ("rate_limited", None): "request.error.too_many",
    ("invalid", "email"): "request.error.email",
    ("invalid", "phone"): "request.error.phone",
    ("invalid", "country"): "request.error.country",
    ("invalid", "second_value"): "request.error.second",
    ("invalid", "second_kind"): "request.error.second",
    ("invalid", "details"): "request.error.details",
    ("not_found", "token"): "request.error.link",
}


def _lang(request: Request) -> Lang:
    return "zh-CN" if pick_language(request) == "zh-CN" else "en"


def _error_key(error: RightsError) -> str:
    return ERROR_KEYS.get((error.code, error.field), "request.error.generic")


def _rights(request: Request, lang: Lang) -> list[dict[str, str]]:
    items = [
        {"key": r.key, "label": r.label.get(lang), "description": r.description.get(lang)}
        for r in declaration_of(request).rights.items
    ]
    return items


def _form_context(request: Request, **extra: Any) -> dict[str, Any]:
    lang = _lang(request)
    zh = lang == "zh-CN"
    return {
        "rights": _rights(request, lang),
        "countries": [(code, zh_name if zh else en) for code, en, zh_name in COUNTRIES],
        "values": {},
        **extra,
    }


def _status_link(token: str, lang: str, message: str = "", error: str = "") -> RedirectResponse:
    query = f"?lang={lang}" + (f"&message={quote(message)}" if message else "")
    query += f"&error={quote(error)}" if error else ""
    return RedirectResponse(f"/requests/status/{token}{query}", status_code=303)


def _intake(
    request: Request,
    session: Session,
    *,
    request_type: str,
    channel: str,
    contact: str,
    country: str,
    state: str,
    details: str,
    lang: str,
) -> intake.Submitted:
    kind = "email" if "@" in contact else "phone"
    if not allow_public_write(request, "rights_request"):
        raise RightsError("too many requests from this address", code="rate_limited")
    made = intake.submit(
        session=session,
        vault=vault_of(request),
        settings=settings_of(request),
        declaration=declaration_of(request),
        request_type=request_type,
        contact_kind=kind,
        contact=contact,
        channel=channel,
        actor="requester",
        country=country if country and country != "other" else None,
        state=state or None,
        details=details,
        language=lang,
    )
    return made


# -- privacy center ------------------------------------------------------------------


@router.get("/rights", dependencies=OPEN)
def request_form(request: Request) -> Response:
    return render_center(request, "center/request_form.html", _form_context(request))


@router.post("/rights", dependencies=OPEN)
def submit_request(
    request: Request,
    session: SessionDep,
    type: Annotated[str, Form(max_length=24)],
    contact: Short,
    country: Annotated[str, Form(max_length=8)] = "",
    state: Annotated[str, Form(max_length=8)] = "",
    details: Text = "",
) -> Response:
    lang = _lang(request)
    try:
        made = _intake(
            request,
            session,
            request_type=type,
            channel=Channel.PRIVACY_CENTER,
            contact=contact,
            country=country,
            state=state,
            details=details,
            lang=lang,
        )
    except RightsError as error:
        session.rollback()
        values = {"type": type, "contact": contact, "country": country, "state": state}
        context = _form_context(request, error=_error_key(error), values=values)
        status = 429 if error.code == "rate_limited" else 422
        return render_center(request, "center/request_form.html", context, status=status)
    run_if_ready(request, session, made.request, "requester")
    return _status_link(made.token, lang, "received")


@router.get("/account/delete", dependencies=OPEN)
def account_delete_page(request: Request) -> Response:
    return render_center(request, "center/account_delete.html", _form_context(request))


@router.post("/account/delete", dependencies=OPEN)
def account_delete(
    request: Request,
    session: SessionDep,
    contact: Short,
    country: Annotated[str, Form(max_length=8)] = "",
    state: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    lang = _lang(request)
    try:
        made = _intake(
            request,
            session,
            request_type=RequestType.DELETION,
            channel=Channel.ACCOUNT,
            contact=contact,
            country=country,
            state=state,
            details="",
            lang=lang,
        )
    except RightsError as error:
        session.rollback()
        values = {"contact": contact, "country": country, "state": state}
        context = _form_context(request, error=_error_key(error), values=values)
        status = 429 if error.code == "rate_limited" else 422
        return render_center(request, "center/account_delete.html", context, status=status)
    return _status_link(made.token, lang, "received")


def _by_token(session: Session, token: str, for_update: bool = False) -> RightsRequest:
    try:
        return lookups.find_by_token(session=session, token=token, for_update=for_update)
    except RightsError:
        raise AppError(404, "no request matches this link", field="token") from None


def _status_page(
    request: Request,
    found: RightsRequest,
    token: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    lang = _lang(request)
    facts = found.facts or {}
    labels = {r["key"]: r["label"] for r in _rights(request, lang)}
    labels["inquiry"] = translations(lang).gettext("Ask a question")
    outcome = facts.get("outcome") if isinstance(facts.get("outcome"), dict) else None
    context = {
        "r": found,
        "token": token,
        "type_label": labels.get(found.type) or found.type,
        "needs_second": found.verification_level == VerificationLevel.REASONABLY_HIGH,
        "awaiting_staff": bool(facts.get("awaiting_staff")),
        "outcome": outcome,
        "action": messages.ACTIONS.get(found.type, ("", ""))[1 if lang == "zh-CN" else 0],
        "is_package": found.type in (RequestType.ACCESS, RequestType.PORTABILITY),
        "message": request.query_params.get("message"),
        "error": error,
        "minutes": CODE_MINUTES,
        "complaint": declaration_of(request).contact.complaint.get(lang),
    }
    return render_center(request, "center/request_status.html", context, status=status)


@router.get("/requests/status/{token}", dependencies=OPEN)
def request_status(request: Request, token: str, session: SessionDep) -> Response:
    """The requester's page; a refused code comes back here (``error``) after a redirect."""
    shown = request.query_params.get("error")
    error = shown if shown in ERROR_KEYS.values() or shown == "request.error.generic" else None
    return _status_page(request, _by_token(session, token), token, error=error)


@router.post("/requests/status/{token}/verify", dependencies=OPEN)
def verify_request(
    request: Request,
    token: str,
    session: SessionDep,
    code: Annotated[str, Form(max_length=12)],
    second_kind: Annotated[str, Form(max_length=16)] = "",
    second_value: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    found = _by_token(session, token, for_update=True)
    second = SecondPoint(second_kind, second_value) if second_value.strip() else None
    try:
        identity.verify(
            session=session, vault=vault_of(request), request=found, code=code, second=second
        )
    except RightsError as error:
        session.commit()  # the counted attempt stays counted
        return _status_link(token, _lang(request), error=_error_key(error))
    run_if_ready(request, session, found, "requester")
    return _status_link(token, _lang(request), "verified")


@router.post("/requests/status/{token}/code", dependencies=OPEN)
def resend(request: Request, token: str, session: SessionDep) -> Response:
    found = _by_token(session, token, for_update=True)
    try:
        identity.send_code(session=session, vault=vault_of(request), request=found)
    except RightsError as error:
        session.rollback()
        return _status_link(token, _lang(request), error=_error_key(error))
    return _status_link(token, _lang(request), "sent")


def _stream(found: Any) -> StreamingResponse:
    return StreamingResponse(
        found.chunks,
        media_type="application/zip",
        headers={
            "content-disposition": f'attachment; filename="{found.filename}"',
            "cache-control": "no-store",
        },
    )


@router.get("/requests/download/{token}", dependencies=OPEN)
def download(request: Request, token: str, session: SessionDep) -> Response:
    """The requester's package, through the expiring link sent by e-mail."""
    try:
        found = downloads.open_download(
            session=session, vault=vault_of(request), settings=settings_of(request), token=token
        )
    except RightsError as error:
        gone = error.code == "gone"
        context = {"message": "request.link.gone" if gone else "request.error.link"}
        return render_center(
            request, "center/request_link.html", context, status=410 if gone else 404
        )
    session.commit()  # the download is recorded before the stream starts
    return _stream(found)


# -- console --------------------------------------------------------------------------


def _back(request_id: str, message: str = "") -> RedirectResponse:
    query = f"?message={quote(message)}" if message else ""
    return RedirectResponse(f"/admin/requests/{request_id}{query}", status_code=303)


@router.get("/admin/requests", dependencies=READ)
async def queue_page(
    request: Request,
    session: SessionDep,
    status: Annotated[str, Query(max_length=24)] = "open",
) -> Response:
    try:
        rows = lookups.queue(session=session, status=status)
    except RightsError as error:
        raise refusal(error) from None
    now = utcnow()
    context = {
        "rows": [(r, lookups.deadline_status(r, now), lookups.due_of(r)) for r in rows],
        "status": status,
        "types": [t.value for t in RequestType],
        "countries": [(code, en) for code, en, _ in COUNTRIES],
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
    try:
        made = intake.submit(
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
    except RightsError as error:
        raise refusal(error) from None
    run_if_ready(request, session, made.request, principal.actor)
    return _back(made.request.id, "Entered; the requester was sent the receipt")


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
        "categories": declaration_of(request).categories,
    }
    return await render_admin(request, "rights/detail.html", context)


def _action(request_id: str, error: RightsError) -> RedirectResponse:
    return _back(request_id, f"Refused: {error}")


@router.post("/admin/requests/{request_id}/verify", dependencies=VERIFY)
async def staff_verify(
    request: Request,
    request_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    method: Annotated[str, Form(max_length=500)],
) -> Response:
    try:
        found = identity.staff_verify(
            session=session, request_id=request_id, actor=principal.actor, method=method
        )
    except RightsError as error:
        if error.code == "not_found":
            raise refusal(error) from None
        return _action(request_id, error)
    run_if_ready(request, session, found, principal.actor)
    return _back(request_id, "Verified")


def _run(request: Request, session: Session, request_id: str, actor: str) -> str:
    session.commit()
    try:
        report = running.run(
            session=session,
            vault=vault_of(request),
            settings=settings_of(request),
            declaration=declaration_of(request),
            request_id=request_id,
            actor=actor,
            checkpoint=session.commit,
        )
    except RightsError as error:
        return f"Refused: {error}"
    if report.error:
        return f"Step {report.failed_step} failed: {report.error}"
    return f"Execution: {report.status}"


@router.post("/admin/requests/{request_id}/approve", dependencies=MANAGE)
async def approve(
    request: Request,
    request_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    try:
        found = decisions.approve(
            session=session, request_id=request_id, actor=principal.actor, reason=reason
        )
    except RightsError as error:
        if error.code == "not_found":
            raise refusal(error) from None
        return _action(request_id, error)
    if found.type == RequestType.INQUIRY:
        decisions.close_answered(
            session=session, vault=vault_of(request), settings=settings_of(request), request=found
        )
        return _back(request_id, "Answered and closed")
    return _back(request_id, _run(request, session, request_id, principal.actor))


@router.post("/admin/requests/{request_id}/execute", dependencies=MANAGE)
async def execute(
    request: Request, request_id: str, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    try:
        lookups.get(session=session, request_id=request_id)
    except RightsError as error:
        raise refusal(error) from None
    return _back(request_id, _run(request, session, request_id, principal.actor))


@router.post("/admin/requests/{request_id}/deny", dependencies=MANAGE)
async def deny(
    request: Request,
    request_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    try:
        decisions.deny(
            session=session,
            vault=vault_of(request),
            settings=settings_of(request),
            request_id=request_id,
            actor=principal.actor,
            reason=reason,
        )
    except RightsError as error:
        if error.code == "not_found":
            raise refusal(error) from None
        return _action(request_id, error)
    return _back(request_id, "Denied")


@router.post("/admin/requests/{request_id}/extend", dependencies=MANAGE)
async def extend(
    request: Request,
    request_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    reason: Annotated[str, Form(max_length=2000)],
    until: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    new_due = None
    if until.strip():
        try:
            day = datetime.fromisoformat(until.strip())
        except ValueError:
            raise AppError(422, "until: not a date", field="until") from None
        new_due = day if day.tzinfo else day.replace(hour=23, minute=59, tzinfo=UTC)
    try:
        decisions.extend(
            session=session,
            vault=vault_of(request),
            settings=settings_of(request),
            request_id=request_id,
            actor=principal.actor,
            reason=reason,
            until=new_due,
        )
    except RightsError as error:
        if error.code == "not_found":
            raise refusal(error) from None
        return _action(request_id, error)
    return _back(request_id, "Extended; the requester was told why")


@router.post("/admin/requests/{request_id}/notes", dependencies=VERIFY)
async def note(
    request_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    text: Text,
) -> Response:
    try:
        decisions.add_note(session=session, request_id=request_id, actor=principal.actor, text=text)
    except RightsError as error:
        if error.code == "not_found":
            raise refusal(error) from None
        return _action(request_id, error)
    return _back(request_id)


@router.post("/admin/requests/{request_id}/corrections", dependencies=MANAGE)
async def corrections(
    request: Request,
    request_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    lines: Text,
) -> Response:
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
    try:
        decisions.submit_corrections(
            session=session,
            vault=vault_of(request),
            declaration=declaration_of(request),
            request_id=request_id,
            corrections=parsed,
            actor=principal.actor,
        )
    except RightsError as error:
        if error.code == "not_found":
            raise refusal(error) from None
        return _action(request_id, error)
    return _back(request_id, "Corrections reviewed and sealed; approve to apply them")


@router.get("/admin/requests/{request_id}/package", dependencies=PERSONAL)
def staff_download(
    request: Request, request_id: str, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    try:
        found = downloads.staff_package(
            session=session,
            vault=vault_of(request),
            settings=settings_of(request),
            request_id=request_id,
            actor=principal.actor,
        )
    except RightsError as error:
        raise refusal(error) from None
    session.commit()
    return _stream(found)
