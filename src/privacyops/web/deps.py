"""What a route may declare it needs: a database session, a principal with a permission.

Every route names exactly one `Guard` (a permission, or `PUBLIC`) in its
`dependencies`; `tests/staff/test_role_route_matrix.py` walks `app.routes` and
fails on a route that names none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from privacyops.db import Database
from privacyops.errors import AppError, LoginRequiredError
from privacyops.settings import Settings
from privacyops.staff import service as staff
from privacyops.staff.permissions import Permission

SESSION_COOKIE = "po_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed before the response is sent."""
    with get_db(request).unit_of_work() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

T = TypeVar("T")


async def in_unit_of_work(request: Request, work: Callable[[Session], T]) -> T:
    """Run ``work`` in one unit of work on one worker thread, for the hottest routes.

    A ``SessionDep`` route crosses to the thread pool three times (open the
    session, run the route, commit); an ``async`` route that hands its whole
    database part to this helper crosses once.
    """
    db = get_db(request)

    def run() -> T:
        with db.unit_of_work() as session:
            return work(session)

    return await run_in_threadpool(run)


SettingsDep = Annotated[Settings, Depends(get_settings)]


def _api_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


def _lookup(db: Database, request: Request) -> staff.Principal | None:
    key = _api_key(request)
    with db.unit_of_work() as session:
        if key:
            return staff.resolve_api_key(session=session, key=key)
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            return staff.resolve_session(session=session, token=token)
    return None


async def current_principal(request: Request) -> staff.Principal | None:
    if hasattr(request.state, "principal"):
        cached: staff.Principal | None = request.state.principal
        return cached
    principal = await run_in_threadpool(_lookup, get_db(request), request)
    request.state.principal = principal
    return principal


async def _check_csrf(request: Request, principal: staff.Principal) -> None:
    """Cookie-authenticated writes must echo the session's CSRF token (header or form field)."""
    if principal.kind != "staff" or request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or sent != principal.csrf_token:
        raise AppError(403, "missing or wrong CSRF token", code="csrf")


class Guard:
    """A route's declared permission; `None` marks a deliberately public route."""

    def __init__(self, permission: Permission | None, *, page: bool = False) -> None:
        self.permission = permission
        self.page = page

    def __repr__(self) -> str:
        return f"Guard({self.permission})"

    @property
    def dep(self) -> Any:
        """The guard as a route dependency: `dependencies=[require(P).dep]`."""
        return Depends(self)

    async def __call__(self, request: Request) -> staff.Principal | None:
        if self.permission is None:
            return None
        principal = await current_principal(request)
        if principal is None or principal.second_factor_pending:
            if self.page:
                raise LoginRequiredError(request.url.path)
            raise AppError(401, "log in or send an API key")
        if not principal.can(self.permission):
            raise AppError(403, f"this needs the permission {self.permission.value!r}")
        await _check_csrf(request, principal)
        return principal


PUBLIC = Guard(None)


def require(permission: Permission) -> Guard:
    return Guard(permission)


def require_page(permission: Permission) -> Guard:
    return Guard(permission, page=True)


async def _principal_or_fail(request: Request) -> staff.Principal:
    principal = await current_principal(request)
    if principal is None:
        raise AppError(401, "log in or send an API key")
    return principal


CurrentPrincipal = Annotated[staff.Principal, Depends(_principal_or_fail)]
