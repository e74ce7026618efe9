"""Console pages: log in, second factor, my account, staff and API clients."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from privacyops.errors import AppError
from privacyops.staff import service
from privacyops.staff.api import client_address, set_session_cookie
from privacyops.staff.permissions import (
    API_SCOPES,
    DESCRIPTIONS,
    ROLE_PERMISSIONS,
    Permission,
    Role,
)
from privacyops.web import i18n
from privacyops.web.deps import (
    PUBLIC,
    SESSION_COOKIE,
    CurrentPrincipal,
    SessionDep,
    SettingsDep,
    current_principal,
    require_page,
)
from privacyops.web.i18n import N_
from privacyops.web.templating import render_admin, staff_language

router = APIRouter(include_in_schema=False)

#: The staff service's refusals with no value in them, shown in the console's language.
REFUSALS = (
    N_("username must be 1-80 letters, digits, '.', '_' or '-'"),
    N_("no such staff user"),
    N_("too many failed logins; wait a minute"),
    N_("unknown username or wrong password"),
    N_("no second factor is being set up"),
    N_("the code does not match"),
    N_("session expired; log in again"),
    N_("too many wrong codes; wait a minute"),
    N_("name must be 1-80 characters"),
    N_("no such API client"),
)


def _say(request: Request, message: object) -> str:
    """``message`` in the console's language (as it is if the catalogue does not know it)."""
    return i18n.say(staff_language(request), message)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would make the login page a phishing aid."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or urlsplit(target).netloc
    ):
        return "/admin"
    return target


@router.get("/admin/login", dependencies=[PUBLIC.dep])
async def login_page(request: Request, next: str = "/admin") -> Response:
    return await render_admin(request, "admin/login.html", {"next": _safe_next(next)})


@router.post("/admin/login", dependencies=[PUBLIC.dep])
async def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/admin",
) -> Response:
    try:
        user = service.authenticate(
            session=session,
            db=request.app.state.db,
            username=username,
            password=password,
            client=client_address(request),
            limit=settings.login_attempts_per_minute,
        )
    except service.StaffError as error:
        session.commit()
        status = 429 if isinstance(error, service.TooManyAttemptsError) else 401
        context = {"error": _say(request, error), "next": _safe_next(next), "username": username}
        return await render_admin(request, "admin/login.html", context, status=status)
    token, _row = service.start_session(
        session=session, user=user, minutes=settings.session_minutes
    )
    target = "/admin/login/totp?next=" + _safe_next(next) if user.totp_enabled else _safe_next(next)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(
        response, token, minutes=settings.session_minutes, secure=settings.secure_cookies
    )
    return response


@router.get("/admin/login/totp", dependencies=[PUBLIC.dep])
async def totp_page(request: Request, next: str = "/admin") -> Response:
    return await render_admin(request, "admin/totp.html", {"next": _safe_next(next)})


@router.post("/admin/login/totp", dependencies=[PUBLIC.dep])
async def totp_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: Annotated[str, Form(max_length=12)],
    next: Annotated[str, Form(max_length=500)] = "/admin",
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return RedirectResponse("/admin/login", status_code=303)
    try:
        service.pass_second_factor(
            session=session,
            db=request.app.state.db,
            token=token,
            code=code,
            client=client_address(request),
            limit=settings.login_attempts_per_minute,
        )
    except service.StaffError as error:
        session.commit()
        context = {"error": _say(request, error), "next": _safe_next(next)}
        return await render_admin(request, "admin/totp.html", context, status=401)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/admin/logout", dependencies=[PUBLIC.dep])
async def logout(request: Request, session: SessionDep) -> Response:
    principal = await current_principal(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token and principal is not None:
        form = await request.form()
        if form.get("csrf_token") != principal.csrf_token:
            raise AppError(403, "missing or wrong CSRF token", code="csrf")
        service.end_session(session=session, token=token)
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/admin/account", dependencies=[require_page(Permission.CONSOLE_VIEW).dep])
async def account_page(
    request: Request, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    user = next(u for u in service.list_staff(session=session) if u.id == principal.id)
    return await render_admin(request, "admin/account.html", {"totp_enabled": user.totp_enabled})


@router.post("/admin/account/totp", dependencies=[require_page(Permission.CONSOLE_VIEW).dep])
async def totp_enrol(
    request: Request, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    uri = service.begin_totp_enrolment(session=session, staff_id=principal.id)
    return await render_admin(request, "admin/account.html", {"provisioning_uri": uri})


@router.post(
    "/admin/account/totp/confirm", dependencies=[require_page(Permission.CONSOLE_VIEW).dep]
)
async def totp_confirm(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    code: Annotated[str, Form(max_length=12)],
) -> Response:
    try:
        service.confirm_totp(session=session, staff_id=principal.id, code=code)
    except service.StaffError as error:
        return await render_admin(
            request, "admin/account.html", {"error": _say(request, error)}, status=422
        )
    return await render_admin(
        request,
        "admin/account.html",
        {"totp_enabled": True, "message": _say(request, N_("Second factor is on."))},
    )


async def _staff_page(request: Request, session: SessionDep, **extra: object) -> Response:
    context = {
        "users": service.list_staff(session=session),
        "roles": [role.value for role in Role],
        "matrix": {role.value: perms for role, perms in ROLE_PERMISSIONS.items()},
        "descriptions": list(DESCRIPTIONS.items()),
        **extra,
    }
    status = 422 if extra.get("error") else 200
    return await render_admin(request, "admin/staff.html", context, status=status)


@router.get("/admin/staff", dependencies=[require_page(Permission.STAFF_MANAGE).dep])
async def staff_page(request: Request, session: SessionDep) -> Response:
    return await _staff_page(request, session)


@router.post("/admin/staff", dependencies=[require_page(Permission.STAFF_MANAGE).dep])
async def staff_create(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    username: Annotated[str, Form(max_length=80)],
    role: Annotated[str, Form(max_length=40)],
    password: Annotated[str, Form(max_length=200)],
    display_name: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    try:
        user = service.create_staff(
            session=session,
            username=username,
            role=role,
            password=password,
            display_name=display_name or None,
            actor=principal.actor,
            must_change_password=True,
        )
    except service.StaffError as error:
        return await _staff_page(request, session, error=_say(request, error))
    return await _staff_page(request, session, created=user.username)


@router.post("/admin/staff/{staff_id}", dependencies=[require_page(Permission.STAFF_MANAGE).dep])
async def staff_update(
    request: Request,
    staff_id: int,
    session: SessionDep,
    principal: CurrentPrincipal,
    role: Annotated[str, Form(max_length=40)],
    active: Annotated[bool, Form()],
) -> Response:
    try:
        service.update_staff(
            session=session, staff_id=staff_id, actor=principal.actor, role=role, active=active
        )
    except service.StaffError as error:
        return await _staff_page(request, session, error=_say(request, error))
    return RedirectResponse("/admin/staff", status_code=303)


async def _clients_page(request: Request, session: SessionDep, **extra: object) -> Response:
    context = {
        "clients": service.list_api_clients(session=session),
        "scopes": sorted(scope.value for scope in API_SCOPES),
        **extra,
    }
    status = 422 if extra.get("error") else 200
    return await render_admin(request, "admin/api_clients.html", context, status=status)


@router.get("/admin/api-clients", dependencies=[require_page(Permission.API_CLIENTS_MANAGE).dep])
async def clients_page(request: Request, session: SessionDep) -> Response:
    return await _clients_page(request, session)


@router.post("/admin/api-clients", dependencies=[require_page(Permission.API_CLIENTS_MANAGE).dep])
async def clients_create(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    name: Annotated[str, Form(max_length=80)],
    scopes: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        key, client = service.create_api_client(
            session=session, name=name, scopes=scopes or [], actor=principal.actor
        )
    except service.StaffError as error:
        return await _clients_page(request, session, error=_say(request, error))
    return await _clients_page(request, session, new_key=key, new_name=client.name)


@router.post(
    "/admin/api-clients/{client_id}/revoke",
    dependencies=[require_page(Permission.API_CLIENTS_MANAGE).dep],
)
async def clients_revoke(
    request: Request, client_id: int, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    try:
        service.revoke_api_client(session=session, client_id=client_id, actor=principal.actor)
    except service.StaffError as error:
        return await _clients_page(request, session, error=_say(request, error))
    return RedirectResponse("/admin/api-clients", status_code=303)
