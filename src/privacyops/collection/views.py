"""The privacy center's public forms: contact us, and the key-account cooperation request.

Both post through the same intake checks as the API (declared fields, types,
purpose, notice version) and store into the vault. A public form has no staff
session to carry a CSRF token, so each form carries a signed token that must
match the ``fst_csrf`` cookie set with it (double submit; the cookie is the one
the declaration lists for this), a foreign ``Origin`` is refused, and each
client address may send only a few forms in a window.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from privacyops.collection import intake
from privacyops.collection.fields import FieldValueError, check_value
from privacyops.db import utcnow
from privacyops.policy.schema import Declaration
from privacyops.web.deps import PUBLIC, SessionDep
from privacyops.web.i18n import N_, pick_language, translations
from privacyops.web.limits import allow_public_write
from privacyops.web.templating import render_center

router = APIRouter(include_in_schema=False)
OPEN = [PUBLIC.dep]

FORM_COOKIE = "fst_csrf"
TOKEN_SECONDS = 2 * 3600
ACTOR = "privacy_center"

#: Generous transport limits: the declared lengths are checked per field, with a clear message.
Short = Annotated[str, Form(max_length=5000)]
Long = Annotated[str, Form(max_length=100_000)]

#: Countries offered in the forms (the value is the ISO code the declaration types).
COUNTRIES: list[tuple[str, str]] = [
    ("CN", N_("China (mainland)")),
    ("HK", N_("Hong Kong SAR, China")),
    ("US", N_("United States")),
    ("DE", N_("Germany")),
    ("FR", N_("France")),
    ("GB", N_("United Kingdom")),
    ("JP", N_("Japan")),
    ("KR", N_("South Korea")),
    ("SG", N_("Singapore")),
    ("AU", N_("Australia")),
    ("BR", N_("Brazil")),
    ("IN", N_("India")),
]


# -- CSRF: a signed double-submit token --------------------------------------------------


def _signature(secret: str, nonce: str, issued: int) -> str:
    message = f"privacy-center-form\x00{nonce}\x00{issued}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def new_token(secret: str) -> str:
    nonce, issued = secrets.token_urlsafe(18), int(time.time())
    return f"{nonce}.{issued}.{_signature(secret, nonce, issued)}"


def token_ok(secret: str, sent: str, cookie: str | None) -> bool:
    if not sent or cookie is None or not hmac.compare_digest(sent, cookie):
        return False
    try:
        nonce, issued_text, signature = sent.split(".")
        issued = int(issued_text)
    except ValueError:
        return False
    fresh = 0 <= time.time() - issued <= TOKEN_SECONDS
    return fresh and hmac.compare_digest(signature, _signature(secret, nonce, issued))


def same_origin(request: Request) -> bool:
    """A browser's Origin (or Referer), when sent, must name this host.

    The scheme is not compared: behind a TLS proxy the app may see plain HTTP.
    """
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.url.netloc


# -- the forms -------------------------------------------------------------------------


@dataclass(frozen=True)
class FormSpec:
    """One public form: its template, the declared category its fields belong to."""

    key: str
    template: str
    category: str
    purpose: str
    kind: str
    source: str
    fields: tuple[str, ...]


CONTACT = FormSpec(
    key="contact",
    template="center/contact.html",
    category="contact",
    purpose="service_support",
    kind="prospect",
    source="contact_form",
    fields=("name", "email", "phone", "company", "country"),
)
COOPERATION = FormSpec(
    key="cooperation",
    template="center/cooperation.html",
    category="key_account",
    purpose="order_cooperation",
    kind="business_contact",
    source="cooperation_form",
    fields=(
        "company_name",
        "contact_name",
        "job_title",
        "email",
        "phone",
        "cooperation_details",
    ),
)


def _error_key(error: FieldValueError | intake.IntakeError) -> str:
    text = str(error)
    if "at most" in text:
        return "forms.error.too_long"
    if "empty" in text or "required" in text:
        return "forms.error.required"
    return "forms.error.invalid"


def field_errors(
    declaration: Declaration, category: str, values: Mapping[str, str]
) -> dict[str, str]:
    """Every field's problem at once (the intake check stops at the first)."""
    declared = declaration.allowed_fields(category)
    errors: dict[str, str] = {}
    for name, decl in declared.items():
        raw = values.get(name)
        if raw is None:
            if decl.required:
                errors[name] = "forms.error.required"
            continue
        try:
            check_value(decl, raw)
        except FieldValueError as error:
            errors[name] = _error_key(error)
            if decl.type in ("email", "phone", "country") and errors[name] == "forms.error.invalid":
                errors[name] = f"forms.error.{decl.type}"
    return errors


def _filled(raw: Mapping[str, str]) -> dict[str, str]:
    return {name: value.strip() for name, value in raw.items() if value and value.strip()}


def _context(
    request: Request,
    spec: FormSpec,
    *,
    token: str,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    sent: bool = False,
) -> dict[str, Any]:
    lang = pick_language(request)
    declaration: Declaration = request.app.state.policy.declaration
    zh = lang == "zh-CN"
    category = declaration.category(spec.category)
    purpose = declaration.purpose(spec.purpose)
    limits = {f.name: f.max_length for f in category.fields if f.max_length}
    return {
        "spec": spec,
        "token": token,
        "values": values or {},
        "errors": errors or {},
        "message": message,
        "sent": sent,
        "countries": [(code, translations(lang).gettext(name)) for code, name in COUNTRIES],
        "purpose_label": purpose.label.get("zh-CN" if zh else "en"),
        "category_label": category.label.get("zh-CN" if zh else "en"),
        "limits": limits,
        "required": {f.name for f in category.fields if f.required},
        "controller": declaration.controller,
    }


def _page(request: Request, spec: FormSpec, status: int = 200, **extra: Any) -> Response:
    secret: str = request.app.state.settings.secret_key
    token = new_token(secret)
    response = render_center(
        request, spec.template, _context(request, spec, token=token, **extra), status=status
    )
    response.set_cookie(
        FORM_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=bool(request.app.state.settings.secure_cookies),
        path="/",
    )
    return response


def _make_intake(request: Request, session: Session) -> intake.Intake:
    return intake.Intake(
        session=session,
        vault=request.app.state.vault,
        declaration=request.app.state.policy.declaration,
        actor=ACTOR,
        explicit_consent=request.app.state.explicit_consent,
    )


def _guard(request: Request, spec: FormSpec, csrf_token: str) -> Response | None:
    """A refusal page for a forged, stale or flooding submission, or None to go on."""
    secret: str = request.app.state.settings.secret_key
    if not same_origin(request) or not token_ok(
        secret, csrf_token, request.cookies.get(FORM_COOKIE)
    ):
        return _page(request, spec, status=400, message="forms.error.expired")
    if not allow_public_write(request, spec.key):
        return _page(request, spec, status=429, message="forms.error.too_many")
    return None


def _store(
    request: Request,
    session: Session,
    spec: FormSpec,
    values: dict[str, str],
    *,
    country: str | None,
    extra: tuple[str, dict[str, str]] | None = None,
) -> None:
    """Validate everything first, then resolve the person and store (as the API does)."""
    context = _make_intake(request, session)
    notice = context.declaration.policy.version
    checked = intake.validate_fields(
        context, category=spec.category, purpose=spec.purpose, values=values, subject_id=None
    )
    extra_checked = None
    if extra is not None:
        extra_checked = intake.validate_fields(
            context, category=extra[0], purpose=spec.purpose, values=extra[1], subject_id=None
        )
    identities = intake.identities_in(checked)
    subject, _created = intake.resolve_subject(
        context, identities=identities, kind=spec.kind, country=country, region=None
    )
    stored = intake.store_fields(
        context,
        subject_id=subject.id,
        category=spec.category,
        purpose=spec.purpose,
        values=checked,
        notice_version=notice,
        source=spec.source,
    )
    intake.record_findings(session=session, stored=stored, texts=checked)
    if extra is not None and extra_checked is not None:
        more = intake.store_fields(
            context,
            subject_id=subject.id,
            category=extra[0],
            purpose=spec.purpose,
            values=extra_checked,
            notice_version=notice,
            source=spec.source,
        )
        intake.record_findings(session=session, stored=more, texts=extra_checked)


def _submit(
    request: Request,
    session: Session,
    spec: FormSpec,
    raw: dict[str, str],
    *,
    extra: tuple[str, dict[str, str]] | None = None,
) -> Response:
    declaration: Declaration = request.app.state.policy.declaration
    values = _filled({name: raw.get(name, "") for name in spec.fields})
    errors = field_errors(declaration, spec.category, values)
    if extra is not None:
        errors.update(field_errors(declaration, extra[0], extra[1]))
    if "email" not in values and "phone" not in values and "email" not in errors:
        errors["email"] = "forms.error.contact_needed"
    shown = {**raw}
    if errors:
        return _page(request, spec, status=422, values=shown, errors=errors)
    country = values.get("country")
    try:
        _store(request, session, spec, values, country=country, extra=extra)
    except intake.IntakeError as error:
        session.rollback()
        name = (error.field or "").removeprefix("fields.")
        key = "forms.error.conflict" if error.status == 409 else _error_key(error)
        if name in raw:
            return _page(request, spec, status=error.status, values=shown, errors={name: key})
        return _page(request, spec, status=error.status, values=shown, message=key)
    lang = pick_language(request)
    return RedirectResponse(f"/{spec.key}?sent=1&lang={lang}", status_code=303)


@router.get("/contact", dependencies=OPEN)
def contact_form(request: Request, sent: Annotated[bool, Query()] = False) -> Response:
    return _page(request, CONTACT, sent=sent)


@router.post("/contact", dependencies=OPEN)
def contact_submit(
    request: Request,
    session: SessionDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    name: Short = "",
    email: Short = "",
    phone: Short = "",
    company: Short = "",
    country: Annotated[str, Form(max_length=8)] = "",
    message: Long = "",
) -> Response:
    """A message to us: contact details (``contact``) and the message as a support ticket."""
    refused = _guard(request, CONTACT, csrf_token)
    if refused is not None:
        return refused
    raw = {
        "name": name,
        "email": email,
        "phone": phone,
        "company": company,
        "country": country,
        "message": message,
    }
    ticket = None
    if message.strip():
        ticket = (
            "support",
            {
                "ticket_id": f"WEB-{uuid.uuid4().hex[:12].upper()}",
                "message": message.strip(),
                "channel": "web_form",
                "created_at": utcnow().isoformat(),
            },
        )
    return _submit(request, session, CONTACT, raw, extra=ticket)


@router.get("/cooperation", dependencies=OPEN)
def cooperation_form(request: Request, sent: Annotated[bool, Query()] = False) -> Response:
    return _page(request, COOPERATION, sent=sent)


@router.post("/cooperation", dependencies=OPEN)
def cooperation_submit(
    request: Request,
    session: SessionDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    company_name: Short = "",
    contact_name: Short = "",
    job_title: Short = "",
    email: Short = "",
    phone: Short = "",
    cooperation_details: Long = "",
) -> Response:
    """A key-account cooperation request (``key_account``, kept for the legal period)."""
    refused = _guard(request, COOPERATION, csrf_token)
    if refused is not None:
        return refused
    raw = {
        "company_name": company_name,
        "contact_name": contact_name,
        "job_title": job_title,
        "email": email,
        "phone": phone,
        "cooperation_details": cooperation_details,
    }
    return _submit(request, session, COOPERATION, raw)
