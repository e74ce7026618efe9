"""Every API route, fuzzed from the OpenAPI document: no 5xx, whatever the input.

Runs as an admin (session cookie and CSRF token), so routes are exercised past their
guards. The example count is bounded to keep `make test` short; raise
`FUZZ_EXAMPLES` locally for a deeper run.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from tests.conftest import PASSWORD

from privacyops.app import create_app
from privacyops.db import Database
from privacyops.settings import Settings
from privacyops.staff.permissions import Role

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
SKIPPED = ("/api/v1/auth/logout",)


@pytest.fixture
def api_schema(settings: Settings, db: Database) -> schemathesis.BaseSchema:
    app = create_app(settings, db=db)
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


@pytest.fixture
def admin_headers(
    make_staff: Callable[..., int], new_client: Callable[[], TestClient]
) -> dict[str, str]:
    make_staff("fuzz-admin", Role.ADMIN)
    client = new_client()
    response = client.post(
        "/api/v1/auth/login", json={"username": "fuzz-admin", "password": PASSWORD}
    )
    return {
        "cookie": f"po_session={client.cookies['po_session']}",
        "x-csrf-token": response.json()["csrf_token"],
    }


def fuzz(operation: schemathesis.APIOperation, headers: dict[str, str], calls: list[int]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        calls.append(response.status_code)
        case.validate_response(response, checks=[not_a_server_error])

    run()


def test_no_route_answers_a_server_error(
    api_schema: schemathesis.BaseSchema, admin_headers: dict[str, str]
) -> None:
    failures, calls, operations = [], [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if operation.path in SKIPPED or operation.path.endswith("/staff/{staff_id}"):
            continue
        operations += 1
        try:
            fuzz(operation, admin_headers, calls)
        except Exception as error:
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert failures == []
    assert len(calls) >= operations
    assert any(200 <= status < 300 for status in calls)
