"""JSON routes for logins, staff users and API clients."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from privacyops.errors import AppError
from privacyops.staff import service
from privacyops.staff.permissions import Permission
from privacyops.staff.schemas import (
    ApiClientCreated,
    ApiClientIn,
    ApiClientOut,
    LoginIn,
    PrincipalOut,
    SecondFactorIn,
    StaffIn,
    StaffOut,
    StaffPatch,
)
from privacyops.web.deps import (
    PUBLIC,
    SESSION_COOKIE,
    CurrentPrincipal,
    SessionDep,
    SettingsDep,
    require,
)

router = APIRouter(prefix="/api/v1", tags=["staff"])

STATUS_OF = {"not_found": 404, "conflict": 409, "unauthorized": 401, "rate_limited": 429}


def as_app_error(error: service.StaffError) -> AppError:
    return AppError(STATUS_OF.get(error.code, 422), str(error), code=error.code, field=error.field)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def set_session_cookie(response: Response, token: str, *, minutes: int, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=minutes * 60,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )


def principal_out(principal: service.Principal) -> PrincipalOut:
    return PrincipalOut(
        kind=principal.kind,
        name=principal.name,
        role=principal.role,
        permissions=sorted(p.value for p in principal.permissions),
        csrf_token=principal.csrf_token,
        second_factor_pending=principal.second_factor_pending,
    )


@router.post("/auth/login", dependencies=[PUBLIC.dep], response_model=PrincipalOut)
def login(
    body: LoginIn, request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> PrincipalOut:
    """Log a staff member in; the session cookie carries the login, the body its CSRF token."""
    try:
        user = service.authenticate(
            session=session,
            db=request.app.state.db,
            username=body.username,
            password=body.password,
            client=client_address(request),
            limit=settings.login_attempts_per_minute,
        )
    except service.StaffError as error:
        session.commit()
        raise as_app_error(error) from None
    minutes = settings.session_minutes
    token, _row = service.start_session(session=session, user=user, minutes=minutes)
    set_session_cookie(
        response, token, minutes=settings.session_minutes, secure=settings.secure_cookies
    )
    principal = service.resolve_session(session=session, token=token)
    assert principal is not None
    return principal_out(principal)


@router.post("/auth/totp", dependencies=[PUBLIC.dep], response_model=PrincipalOut)
def second_factor(
    body: SecondFactorIn, request: Request, session: SessionDep, settings: SettingsDep
) -> PrincipalOut:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise AppError(401, "log in first")
    try:
        principal = service.pass_second_factor(
            session=session,
            db=request.app.state.db,
            token=token,
            code=body.code,
            client=client_address(request),
            limit=settings.login_attempts_per_minute,
        )
    except service.StaffError as error:
        session.commit()
        raise as_app_error(error) from None
    return principal_out(principal)


@router.post("/auth/logout", dependencies=[PUBLIC.dep], status_code=204)
def logout(request: Request, response: Response, session: SessionDep) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.end_session(session=session, token=token)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me", dependencies=[require(Permission.CONSOLE_VIEW).dep], response_model=PrincipalOut)
def me(principal: CurrentPrincipal) -> PrincipalOut:
    return principal_out(principal)


@router.get(
    "/staff", dependencies=[require(Permission.STAFF_MANAGE).dep], response_model=list[StaffOut]
)
def list_staff(session: SessionDep) -> list[StaffOut]:
    return [StaffOut.model_validate(u) for u in service.list_staff(session=session)]


@router.post(
    "/staff",
    dependencies=[require(Permission.STAFF_MANAGE).dep],
    response_model=StaffOut,
    status_code=201,
)
def create_staff(body: StaffIn, session: SessionDep, principal: CurrentPrincipal) -> StaffOut:
    try:
        user = service.create_staff(
            session=session,
            username=body.username,
            role=body.role,
            password=body.password,
            display_name=body.display_name,
            actor=principal.actor,
        )
    except service.StaffError as error:
        raise as_app_error(error) from None
    return StaffOut.model_validate(user)


@router.patch(
    "/staff/{staff_id}",
    dependencies=[require(Permission.STAFF_MANAGE).dep],
    response_model=StaffOut,
)
def update_staff(
    staff_id: int, body: StaffPatch, session: SessionDep, principal: CurrentPrincipal
) -> StaffOut:
    try:
        user = service.update_staff(
            session=session,
            staff_id=staff_id,
            actor=principal.actor,
            role=body.role,
            active=body.active,
        )
    except service.StaffError as error:
        raise as_app_error(error) from None
    return StaffOut.model_validate(user)


@router.get(
    "/api-clients",
    dependencies=[require(Permission.API_CLIENTS_MANAGE).dep],
    response_model=list[ApiClientOut],
)
def list_api_clients(session: SessionDep) -> list[ApiClientOut]:
    return [ApiClientOut.model_validate(c) for c in service.list_api_clients(session=session)]


@router.post(
    "/api-clients",
    dependencies=[require(Permission.API_CLIENTS_MANAGE).dep],
    response_model=ApiClientCreated,
    status_code=201,
)
def create_api_client(
    body: ApiClientIn, session: SessionDep, principal: CurrentPrincipal
) -> ApiClientCreated:
    try:
        key, client = service.create_api_client(
            session=session, name=body.name, scopes=body.scopes, actor=principal.actor
        )
    except service.StaffError as error:
        raise as_app_error(error) from None
    return ApiClientCreated(**ApiClientOut.model_validate(client).model_dump(), key=key)


@router.delete(
    "/api-clients/{client_id}",
    dependencies=[require(Permission.API_CLIENTS_MANAGE).dep],
    response_model=ApiClientOut,
)
def revoke_api_client(
    client_id: int, session: SessionDep, principal: CurrentPrincipal
) -> ApiClientOut:
    try:
        client = service.revoke_api_client(
            session=session, client_id=client_id, actor=principal.actor
        )
    except service.StaffError as error:
        raise as_app_error(error) from None
    return ApiClientOut.model_validate(client)
