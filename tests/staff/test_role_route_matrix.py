"""Every route declares one permission, and each role gets exactly what the table grants."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from tests.routes import RouteCase, route_cases

from privacyops.app import create_app
from privacyops.settings import Settings
from privacyops.staff.permissions import API_SCOPES, ROLE_PERMISSIONS, Permission, Role

JSON_METHODS = {"POST", "PUT", "PATCH"}


def call(client: TestClient, case: RouteCase) -> int:
    kwargs = {"json": {}} if case.method in JSON_METHODS else {}
    return client.request(case.method, case.url(), follow_redirects=False, **kwargs).status_code


def test_every_route_declares_exactly_one_guard(settings: Settings) -> None:
    cases = list(route_cases(create_app(settings)))
    undeclared = [f"{case.method} {case.path}" for case in cases if len(case.guards) != 1]
    assert len(cases) > 50
    assert undeclared == []


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_exactly_the_routes_its_permissions_grant(
    role: Role, staff_client: Callable[[Role], TestClient], settings: Settings
) -> None:
    client = staff_client(role)
    mismatches = []
    for case in route_cases(create_app(settings)):
        if case.permission is None:
            continue
        status = call(client, case)
        allowed = case.permission in ROLE_PERMISSIONS[role]
        if allowed == (status in (401, 403)):
            mismatches.append(f"{case.method} {case.path}: {status} (allowed={allowed})")
    assert mismatches == []


def test_anonymous_callers_reach_only_public_routes(
    new_client: Callable[[], TestClient], settings: Settings
) -> None:
    client = new_client()
    wrong = []
    for case in route_cases(create_app(settings)):
        status = call(client, case)
        if case.permission is None and status in (401, 403):
            wrong.append(f"{case.method} {case.path} refused: {status}")
        if case.permission is not None and status not in (401, 303):
            wrong.append(f"{case.method} {case.path} answered {status} without a login")
    assert wrong == []


def test_console_pages_send_anonymous_browsers_to_the_login_page(
    new_client: Callable[[], TestClient],
) -> None:
    response = new_client().get("/admin/audit", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=/admin/audit"


@pytest.mark.parametrize("scope", sorted(API_SCOPES))
def test_an_api_key_reaches_only_routes_of_its_scopes(
    scope: Permission,
    staff_client: Callable[[Role], TestClient],
    new_client: Callable[[], TestClient],
    settings: Settings,
) -> None:
    admin = staff_client(Role.ADMIN)
    created = admin.post("/api/v1/api-clients", json={"name": f"app-{scope}", "scopes": [scope]})
    assert created.status_code == 201, created.text
    integration = new_client()
    integration.headers["authorization"] = f"Bearer {created.json()['key']}"
    mismatches = []
    for case in route_cases(create_app(settings)):
        if case.permission is None:
            continue
        status = call(integration, case)
        if (case.permission == scope) == (status in (401, 403)):
            mismatches.append(f"{case.method} {case.path}: {status}")
    assert mismatches == []


def test_a_revoked_api_key_is_refused(
    staff_client: Callable[[Role], TestClient], new_client: Callable[[], TestClient]
) -> None:
    admin = staff_client(Role.ADMIN)
    created = admin.post(
        "/api/v1/api-clients", json={"name": "website", "scopes": ["intake.write"]}
    ).json()
    assert admin.delete(f"/api/v1/api-clients/{created['id']}").status_code == 200
    integration = new_client()
    integration.headers["x-api-key"] = created["key"]
    assert integration.get("/api/v1/me").status_code == 401
