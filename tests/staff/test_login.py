"""Staff log in with argon2 passwords, a session cookie, CSRF checks and optional TOTP."""

from __future__ import annotations

from collections.abc import Callable

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import PASSWORD, login

from privacyops.db import Database
from privacyops.staff import service as staff
from privacyops.staff.models import StaffUser
from privacyops.staff.permissions import Role


def test_passwords_are_stored_as_argon2_hashes(
    make_staff: Callable[..., int], db: Database
) -> None:
    make_staff("dana", Role.PRIVACY_OFFICER)
    with db.unit_of_work() as session:
        user = session.scalars(select(StaffUser)).one()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_the_session_cookie_is_http_only_and_same_site(
    make_staff: Callable[..., int], new_client: Callable[[], TestClient]
) -> None:
    make_staff("dana", Role.PRIVACY_OFFICER)
    response = new_client().post(
        "/api/v1/auth/login", json={"username": "dana", "password": PASSWORD}
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_a_wrong_password_is_refused_with_the_error_shape(
    make_staff: Callable[..., int], new_client: Callable[[], TestClient]
) -> None:
    make_staff("dana")
    response = new_client().post(
        "/api/v1/auth/login", json={"username": "dana", "password": "nope"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_repeated_failures_are_rate_limited_even_with_the_right_password(
    make_staff: Callable[..., int], new_client: Callable[[], TestClient]
) -> None:
    make_staff("dana")
    client = new_client()
    for _ in range(5):
        client.post("/api/v1/auth/login", json={"username": "dana", "password": "wrong"})
    response = client.post("/api/v1/auth/login", json={"username": "dana", "password": PASSWORD})
    assert response.status_code == 429


def test_cookie_authenticated_writes_need_the_csrf_token(
    make_staff: Callable[..., int], new_client: Callable[[], TestClient]
) -> None:
    make_staff("root", Role.ADMIN)
    client = new_client()
    token = login(client, "root")
    del client.headers["x-csrf-token"]
    body = {"username": "newbie", "role": "auditor", "password": "long-enough-password"}
    refused = client.post("/api/v1/staff", json=body)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf"
    accepted = client.post("/api/v1/staff", json=body, headers={"x-csrf-token": token})
    assert accepted.status_code == 201


def test_console_forms_carry_the_csrf_token(
    make_staff: Callable[..., int], new_client: Callable[[], TestClient]
) -> None:
    make_staff("root", Role.ADMIN)
    client = new_client()
    page = client.post(
        "/admin/login", data={"username": "root", "password": PASSWORD}, follow_redirects=False
    )
    assert page.status_code == 303
    staff_page = client.get("/admin/staff").text
    token = staff_page.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"username": "newbie", "role": "auditor", "password": "long-enough-password"}
    assert client.post("/admin/staff", data=form).status_code == 403
    created = client.post("/admin/staff", data={**form, "csrf_token": token})
    assert created.status_code == 200
    assert "Created newbie" in created.text


def test_logout_ends_the_session(
    make_staff: Callable[..., int], new_client: Callable[[], TestClient]
) -> None:
    make_staff("root")
    client = new_client()
    login(client, "root")
    assert client.get("/api/v1/me").status_code == 200
    client.post("/api/v1/auth/logout")
    assert client.get("/api/v1/me").status_code == 401


def test_with_totp_on_a_login_needs_the_second_factor(
    make_staff: Callable[..., int], new_client: Callable[[], TestClient], db: Database
) -> None:
    staff_id = make_staff("dana", Role.PRIVACY_OFFICER)
    with db.unit_of_work() as session:
        uri = staff.begin_totp_enrolment(session=session, staff_id=staff_id)
    totp = pyotp.parse_uri(uri)
    with db.unit_of_work() as session:
        staff.confirm_totp(session=session, staff_id=staff_id, code=totp.now())

    client = new_client()
    first = client.post("/api/v1/auth/login", json={"username": "dana", "password": PASSWORD})
    assert first.json()["second_factor_pending"] is True
    assert client.get("/api/v1/me").status_code == 401
    assert client.post("/api/v1/auth/totp", json={"code": "000000"}).status_code == 401
    passed = client.post("/api/v1/auth/totp", json={"code": totp.now()})
    assert passed.status_code == 200
    assert client.get("/api/v1/me").json()["role"] == "privacy_officer"


def test_a_disabled_staff_member_loses_access_at_once(
    make_staff: Callable[..., int],
    staff_client: Callable[[Role], TestClient],
    new_client: Callable[[], TestClient],
) -> None:
    admin = staff_client(Role.ADMIN)
    target = make_staff("leaver", Role.SUPPORT_AGENT)
    leaver = new_client()
    login(leaver, "leaver")
    assert admin.patch(f"/api/v1/staff/{target}", json={"active": False}).status_code == 200
    assert leaver.get("/api/v1/me").status_code == 401


def test_open_redirects_through_login_are_refused(
    make_staff: Callable[..., int], new_client: Callable[[], TestClient]
) -> None:
    make_staff("root")
    response = new_client().post(
        "/admin/login",
        data={"username": "root", "password": PASSWORD, "next": "//evil.example.com/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/admin"


def test_the_login_page_and_its_refusal_speak_the_chosen_language(
    make_staff: Callable[..., int], new_client: Callable[[], TestClient]
) -> None:
    make_staff("dana", Role.PRIVACY_OFFICER)
    client = new_client()
    page = client.get("/admin/login?lang=zh-CN")
    assert "<h1>员工登录</h1>" in page.text
    refused = client.post("/admin/login", data={"username": "dana", "password": "wrong"})
    assert refused.status_code == 401
    assert "用户名不存在或密码错误" in refused.text  # the language cookie was kept
    english = new_client().post("/admin/login", data={"username": "dana", "password": "wrong"})
    assert "unknown username or wrong password" in english.text


def test_a_refusal_naming_a_value_is_said_in_the_console_language(
    make_staff: Callable[..., int], new_client: Callable[[], TestClient]
) -> None:
    make_staff("root", Role.ADMIN)
    client = new_client()
    client.post("/admin/login", data={"username": "root", "password": PASSWORD})
    token = client.get("/admin/staff").text.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"username": "root", "role": "auditor", "password": "long-enough-password"}
    english = client.post("/admin/staff", data={**form, "csrf_token": token})
    assert "username &#39;root&#39; is taken" in english.text
    chinese = client.post("/admin/staff?lang=zh-CN", data={**form, "csrf_token": token})
    assert "用户名“root”已被占用" in chinese.text
    unknown = client.post(
        "/admin/staff?lang=zh-CN",
        data={**form, "username": "x2", "role": "boss", "csrf_token": token},
    )
    assert "未知角色“boss”" in unknown.text
    api = client.post(
        "/api/v1/staff", json={**form, "role": "boss"}, headers={"x-csrf-token": token}
    )
    assert api.status_code == 422
    assert "unknown role 'boss'" in api.text
