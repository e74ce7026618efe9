"""Bad input gets one error shape and a 4xx, never a 500, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from privacyops.db import Database
from privacyops.staff import service as staff
from privacyops.staff.permissions import Role


def assert_error_shape(body: dict[str, object]) -> None:
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error, dict)
    assert set(error) == {"code", "message", "field"}
    assert isinstance(error["message"], str)
    assert error["message"]


def test_unknown_routes_answer_404_in_the_error_shape(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert_error_shape(response.json())


def test_a_wrong_method_answers_405(app_client: TestClient) -> None:
    response = app_client.delete("/healthz")
    assert response.status_code == 405
    assert_error_shape(response.json())


def test_invalid_json_is_a_422_without_a_field(app_client: TestClient) -> None:
    response = app_client.post(
        "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "the body is not valid JSON",
        "field": None,
    }


def test_a_missing_field_is_named(app_client: TestClient) -> None:
    response = app_client.post("/api/v1/auth/login", json={"username": "x"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "password"


def test_an_unknown_field_is_refused_and_named(app_client: TestClient) -> None:
    response = app_client.post(
        "/api/v1/auth/login", json={"username": "x", "password": "y", "shoe_size": 42}
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "shoe_size"


def test_a_body_over_the_limit_is_refused_with_413(app_client: TestClient) -> None:
    response = app_client.post(
        "/api/v1/auth/login",
        content=b"x" * (65 * 1024),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert_error_shape(response.json())


def test_a_chunked_body_over_the_limit_is_refused_with_413(app_client: TestClient) -> None:
    def chunks() -> object:
        for _ in range(80):
            yield b"x" * 1024

    response = app_client.post(
        "/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "body",
    [
        {"username": "nobody'; DROP TABLE staff_user;--", "password": "x"},
        {"username": "名字😀", "password": "密码"},
        {
            "username": "\u0000",
            "password": "\udcff".encode("utf-8", "surrogatepass").decode("latin-1"),
        },
        {"username": "a" * 81, "password": "x"},
        {"username": ["not", "a", "string"], "password": {"deep": {"deeper": [1, 2, 3]}}},
    ],
)
def test_hostile_login_bodies_get_4xx_not_500(app_client: TestClient, body: object) -> None:
    response = app_client.post("/api/v1/auth/login", json=body)
    assert 400 <= response.status_code < 500
    assert_error_shape(response.json())


def test_invalid_utf8_is_a_4xx(app_client: TestClient) -> None:
    response = app_client.post(
        "/api/v1/auth/login",
        content=b'{"username": "\xff\xfe", "password": "x"}',
        headers={"content-type": "application/json"},
    )
    assert 400 <= response.status_code < 500


def test_a_refused_staff_creation_changes_nothing(
    staff_client: Callable[[Role], TestClient], db: Database
) -> None:
    admin = staff_client(Role.ADMIN)
    with db.unit_of_work() as session:
        before = staff.count_staff(session=session)
    response = admin.post(
        "/api/v1/staff", json={"username": "ok", "role": "emperor", "password": "x" * 12}
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "role"
    with db.unit_of_work() as session:
        assert staff.count_staff(session=session) == before


def test_every_page_carries_security_headers(app_client: TestClient) -> None:
    for path in ("/", "/admin/login", "/healthz"):
        headers = app_client.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
