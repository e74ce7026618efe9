"""Every consent route declares one guard, and roles, scopes and visitors get exactly that.

The shared role x route matrix reads `app.routes`; on the pinned FastAPI those are
included-router wrappers, so this file walks the consent routes through
`iter_route_contexts` to be sure they are checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from tests.routes import RouteCase, guards_of

from privacyops.app import create_app
from privacyops.settings import Settings
from privacyops.staff.permissions import ROLE_PERMISSIONS, Permission, Role

CONSENT_MODULES = ("privacyops.consent.",)


def consent_cases(app: FastAPI) -> Iterator[RouteCase]:
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.endpoint.__module__.startswith(CONSENT_MODULES):
            for method in sorted(route.methods - {"HEAD"}):
                yield RouteCase(method, route.path, guards_of(route))


def call(client: TestClient, case: RouteCase) -> int:
    kwargs = {"json": {}} if case.method in {"POST", "PUT", "PATCH"} else {}
    return client.request(case.method, case.url(), follow_redirects=False, **kwargs).status_code


@pytest.fixture
def cases(settings: Settings) -> list[RouteCase]:
    found = list(consent_cases(create_app(settings)))
    assert len(found) >= 15
    return found


def test_every_consent_route_declares_exactly_one_guard(cases: list[RouteCase]) -> None:
    assert [f"{c.method} {c.path}" for c in cases if len(c.guards) != 1] == []


def test_visitors_reach_the_banner_routes_and_nothing_else(
    cases: list[RouteCase], new_client: Callable[[], TestClient]
) -> None:
    client = new_client()
    wrong = []
    for case in cases:
        status = call(client, case)
        if case.permission is None and status in (401, 403):
            wrong.append(f"{case.method} {case.path} refused: {status}")
        if case.permission is not None and status not in (401, 303):
            wrong.append(f"{case.method} {case.path} answered {status} without a login")
    assert wrong == []
    public = {c.path for c in cases if c.permission is None}
    assert {"/consent/choices", "/consent.js", "/.well-known/gpc.json", "/cookies"} <= public


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_exactly_the_consent_routes_it_is_granted(
    role: Role, cases: list[RouteCase], staff_client: Callable[[Role], TestClient]
) -> None:
    client = staff_client(role)
    mismatches = []
    for case in cases:
        if case.permission is None:
            continue
        status = call(client, case)
        allowed = case.permission in ROLE_PERMISSIONS[role]
        if allowed == (status in (401, 403)):
            mismatches.append(f"{case.method} {case.path}: {status} (allowed={allowed})")
    assert mismatches == []


@pytest.mark.parametrize("scope", [Permission.CONSENT_READ, Permission.CONSENT_WRITE])
def test_an_api_key_reaches_only_the_consent_routes_of_its_scope(
    scope: Permission,
    cases: list[RouteCase],
    staff_client: Callable[[Role], TestClient],
    new_client: Callable[[], TestClient],
) -> None:
    admin = staff_client(Role.ADMIN)
    created = admin.post("/api/v1/api-clients", json={"name": f"app-{scope}", "scopes": [scope]})
    assert created.status_code == 201, created.text
    integration = new_client()
    integration.headers["authorization"] = f"Bearer {created.json()['key']}"
    mismatches = []
    for case in cases:
        if case.permission is None or case.path.startswith("/admin"):
            continue
        status = call(integration, case)
        if (case.permission == scope) == (status in (401, 403)):
            mismatches.append(f"{case.method} {case.path}: {status}")
    assert mismatches == []
