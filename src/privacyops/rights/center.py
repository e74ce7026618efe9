"""Privacy-center pages of rights requests: the request form, account deletion, the
requester's status page (verification, a new code) and the package download."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from privacyops.errors import AppError
from privacyops.policy.base import Lang
from privacyops.rights import downloads, identity, intake, lookups, messages
from privacyops.rights.common import RightsError
from privacyops.rights.faces import (
    declaration_of,
    package_stream,
    run_if_ready,
    settings_of,
    vault_of,
)
from privacyops.rights.models import Channel, RequestType, RightsRequest, VerificationLevel
from privacyops.rights.second_point import second_point
from privacyops.rights.verification import CODE_MINUTES
from privacyops.web.deps import PUBLIC, SessionDep
from privacyops.web.i18n import N_, pick_language, translations
from privacyops.web.limits import allow_public_write
from privacyops.web.templating import render_center

router = APIRouter(include_in_schema=False)
OPEN = [PUBLIC.dep]

Short = Annotated[str, Form(max_length=254)]
Text = Annotated[str, Form(max_length=5000)]

#: Countries offered in the form (others: "other", the default regime applies).
COUNTRIES: list[tuple[str, str]] = [
    ("CN", N_("China (mainland)")),
    ("US", N_("United States")),
    ("DE", N_("Germany")),
    ("FR", N_("France")),
    ("IT", N_("Italy")),
    ("ES", N_("Spain")),
    ("NL", N_("Netherlands")),
    ("GB", N_("United Kingdom")),
    ("CA", N_("Canada")),
    ("AU", N_("Australia")),
    ("JP", N_("Japan")),
    ("KR", N_("South Korea")),
    ("SG", N_("Singapore")),
    ("TH", N_("Thailand")),
    ("IN", N_("India")),
    ("BR", N_("Brazil")),
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
    words = translations(lang)
    return {
        "rights": _rights(request, lang),
        "countries": [(code, words.gettext(name)) for code, name in COUNTRIES],
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
        "action": messages.action_text(found.type, lang),
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
    second = second_point(second_kind, second_value)
    try:
        identity.verify(
            session=session, vault=vault_of(request), request=found, code=code, second=second
        )
    except RightsError as error:
        # The wrong answer stays counted although the request is refused.
        session.commit()
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
    # The download is recorded before the stream starts, whatever happens to the stream.
    session.commit()
    return package_stream(found)
