"""Every cookie-authenticated write, page form or JSON, needs the session's CSRF token."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from tests.routes import route_cases

from privacyops.app import create_app
from privacyops.settings import Settings
from privacyops.staff.permissions import Role

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def test_a_logged_in_admin_without_the_token_is_refused_on_every_write(
    staff_client: Callable[[Role], TestClient], settings: Settings
) -> None:
    client = staff_client(Role.ADMIN)
    token = client.headers.pop("x-csrf-token")
    writes = [
        case
        for case in route_cases(create_app(settings))
        if case.method in WRITES and case.permission is not None
    ]
    assert len(writes) > 30
    unguarded = []
    for case in writes:
        for kwargs in ({"json": {}}, {"data": {"csrf_token": "not-" + token}}):
            response = client.request(case.method, case.url(), follow_redirects=False, **kwargs)
            if response.status_code != 403 or "csrf" not in response.text.lower():
                unguarded.append(f"{case.method} {case.path}: {response.status_code}")
    assert unguarded == []


def test_the_same_write_with_the_token_gets_past_the_check(
    staff_client: Callable[[Role], TestClient],
) -> None:
    client = staff_client(Role.ADMIN)
    response = client.post("/api/v1/incidents", json={})
    assert response.status_code == 422  # the body is checked: the token was accepted
