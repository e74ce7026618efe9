"""The rulebook through the API and the console: regimes, deadlines, clocks, lookups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from privacyops.staff.permissions import Role

API = "/api/v1/jurisdictions"
CN_FRIDAY_BEFORE_GOLDEN_WEEK = "2025-09-26T10:00:00%2B08:00"
THURSDAY_BEFORE_EASTER_2025 = "2025-04-17T15:00:00Z"

StaffClient = Callable[[Role], TestClient]


@pytest.fixture
def auditor(staff_client: StaffClient) -> TestClient:
    return staff_client(Role.AUDITOR)


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def test_the_list_gives_each_regime_its_headline_numbers(auditor: TestClient) -> None:
    regimes = {row["code"]: row for row in ok(auditor.get(API))}
    assert len(regimes) == 18
    eu = regimes["EU"]
    assert "DE" in eu["countries"]
    assert eu["request_deadline"]["period"] == "1 month"
    assert eu["request_deadline"]["extension"] == "+2 months"
    assert eu["request_deadline"]["roll_forward"] is True
    assert eu["regulator_clock"] == "72 hours"
    assert eu["individuals_clock"] == "no fixed clock"
    assert eu["consent_age"] == 16
    assert eu["consent_age_range"] == [13, 16]
    assert eu["cookies_advertising"] == "opt_in"
    assert eu["verification"] == "verified"
    assert regimes["CN"]["request_deadline"]["period"] == "15 business days"
    assert regimes["CN"]["regulator_clock"].startswith("4 hours (not major, our default) · ")
    assert regimes["US-CA"]["subdivisions"] == ["US-CA"]
    assert regimes["US-CA"]["gpc_since"] == "2020-08-14"
    assert regimes["US-CT"]["regulator_clock"] == "with the notice to individuals"


def test_one_regime_in_full_with_its_sources(auditor: TestClient) -> None:
    china = ok(auditor.get(f"{API}/CN"))
    assert china["calendar"]["make_up_working_days"] is True
    assert china["transfers"]["cn_thresholds"]["security_assessment_from_sensitive_people"] == 10000
    assert any("cac.gov.cn" in source for source in china["sources"])
    assert ok(auditor.get(f"{API}/us-ca"))["code"] == "US-CA"


def test_a_chinese_request_before_golden_week_is_due_on_23_october(auditor: TestClient) -> None:
    answer = ok(auditor.get(f"{API}/deadline?regime=CN&received_at={CN_FRIDAY_BEFORE_GOLDEN_WEEK}"))
    assert answer["due_date"] == "2025-10-23"
    assert answer["due_at"] == "2025-10-23T15:59:59Z"
    assert answer["decided_by"] == "law"
    assert answer["timezone"] == "Asia/Shanghai"
    assert answer["verification"] == "partly"


@pytest.mark.parametrize(
    ("regime", "due", "decided_by"),
    [
        ("EU", "2025-04-02", "promise"),
        ("KR", "2025-03-13", "law"),
        ("US-CA", "2025-04-02", "promise"),
    ],
)
def test_the_declared_30_day_promise_and_the_law_race(
    auditor: TestClient, regime: str, due: str, decided_by: str
) -> None:
    answer = ok(auditor.get(f"{API}/deadline?regime={regime}&received_at=2025-03-03T09:00Z"))
    assert (answer["due_date"], answer["decided_by"]) == (due, decided_by)


def test_an_unencoded_plus_in_the_offset_is_read_as_a_plus(auditor: TestClient) -> None:
    answer = ok(auditor.get(f"{API}/deadline?regime=CN&received_at=2025-09-26T10:00:00+08:00"))
    assert answer["received_at"] == "2025-09-26T02:00:00Z"


@pytest.mark.parametrize(
    "received_at", ["2025-09-26T10:00:00", "2025-09-26", "yesterday", "2025-13-01T00:00Z", ""]
)
def test_a_naive_or_malformed_time_is_refused_naming_the_field(
    auditor: TestClient, received_at: str
) -> None:
    response = auditor.get(f"{API}/deadline?regime=CN&received_at={received_at}")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["field"] == "received_at"


def test_a_naive_awareness_time_is_refused_too(auditor: TestClient) -> None:
    response = auditor.get(f"{API}/breach-clocks?regimes=EU&aware_at=2025-04-17T15:00")
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "aware_at"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/XX", "code"),
        ("/deadline?regime=XX&received_at=2025-03-03T09:00Z", "regime"),
        (f"/breach-clocks?regimes=EU&regimes=XX&aware_at={THURSDAY_BEFORE_EASTER_2025}", "regimes"),
    ],
)
def test_an_unknown_regime_is_not_found_in_the_one_error_shape(
    auditor: TestClient, path: str, field: str
) -> None:
    response = auditor.get(API + path)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert error["field"] == field
    assert "known regimes: EU, GB, CN" in error["message"]


def test_breach_clocks_of_two_regimes_come_soonest_first(auditor: TestClient) -> None:
    clocks = ok(
        auditor.get(
            f"{API}/breach-clocks?regimes=EU&regimes=CN"
            f"&aware_at={THURSDAY_BEFORE_EASTER_2025}&major=true"
        )
    )
    regulators = [(c["regime"], c["due_at"]) for c in clocks if c["audience"] == "regulator"]
    assert regulators == [("CN", "2025-04-17T19:00:00Z"), ("EU", "2025-04-20T15:00:00Z")]
    assert clocks[0]["basis_kind"] == "law"
    assert clocks[-1]["due_at"] is None


def test_critical_infrastructure_starts_the_1_hour_clock(auditor: TestClient) -> None:
    clocks = ok(
        auditor.get(
            f"{API}/breach-clocks?regimes=CN&aware_at={THURSDAY_BEFORE_EASTER_2025}"
            "&critical_infrastructure=true"
        )
    )
    assert clocks[0]["due_at"] == "2025-04-17T16:00:00Z"


@pytest.mark.parametrize(
    ("query", "regime", "consent_age", "law_age", "cookies", "gpc"),
    [
        ("country=US&state=CA", "US-CA", 16, 13, "opt_out", True),
        ("country=US&state=VA", "US-VA", 16, 13, "opt_out", False),
        ("country=de", "EU", 16, 16, "opt_in", False),
        ("country=UK", "GB", 16, 13, "opt_in", False),
        ("country=TH", "TH", 20, 20, "opt_in", False),
        ("", "CN", 16, 14, "opt_in", False),
    ],
)
def test_lookup_answers_for_a_place(
    auditor: TestClient,
    query: str,
    regime: str,
    consent_age: int,
    law_age: int,
    cookies: str,
    gpc: bool,
) -> None:
    answer = ok(auditor.get(f"{API}/lookup?{query}&on=2025-06-01"))
    assert answer["regime"] == regime
    assert (answer["consent_age"], answer["law_consent_age"]) == (consent_age, law_age)
    assert answer["cookies_advertising"] == cookies
    assert answer["gpc_required"] is gpc
    assert answer["on"] == "2025-06-01"


def test_lookup_in_the_us_names_coppa_and_gpc_follows_the_state_date(auditor: TestClient) -> None:
    before = ok(auditor.get(f"{API}/lookup?country=US&state=OR&on=2025-12-31"))
    after = ok(auditor.get(f"{API}/lookup?country=US&state=OR&on=2026-01-01"))
    assert before["applies_alongside"] == ["US-COPPA"]
    assert (before["gpc_required"], after["gpc_required"]) == (False, True)


@pytest.mark.parametrize(("query", "field"), [("country=USA", "country"), ("state=U$", "state")])
def test_lookup_refuses_a_malformed_place(auditor: TestClient, query: str, field: str) -> None:
    response = auditor.get(f"{API}/lookup?{query}")
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SUPPORT_AGENT, Role.PRIVACY_OFFICER])
def test_every_role_with_policy_read_reads_the_rules(staff_client: StaffClient, role: Role) -> None:
    client = staff_client(role)
    assert client.get(API).status_code == 200
    page = client.get("/admin/jurisdictions")
    assert page.status_code == 200
    assert '<a href="/admin/jurisdictions">Jurisdictions</a>' in page.text


def test_anonymous_callers_are_refused(app_client: TestClient) -> None:
    for path in (
        "",
        "/EU",
        "/lookup?country=DE",
        f"/deadline?regime=CN&received_at={CN_FRIDAY_BEFORE_GOLDEN_WEEK}",
    ):
        response = app_client.get(API + path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
    page = app_client.get("/admin/jurisdictions/EU", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/admin/login?next=/admin/jurisdictions/EU"


def test_the_openapi_document_lists_the_jurisdiction_routes(app_client: TestClient) -> None:
    paths = app_client.get("/api/openapi.json").json()["paths"]
    assert {f"{API}", f"{API}/deadline", f"{API}/breach-clocks", f"{API}/lookup"} <= set(paths)


def test_the_console_table_lists_every_regime(auditor: TestClient) -> None:
    page = auditor.get("/admin/jurisdictions")
    assert page.status_code == 200
    for code in ("EU", "GB", "CN", "US-CA", "US-COPPA", "CA-QC", "IN"):
        assert f'<a href="/admin/jurisdictions/{code}"><strong>{code}</strong></a>' in page.text
    assert "2020-08-14" in page.text
    assert "13–16 by country" in page.text
    assert "✓&nbsp;verified" in page.text
    assert "◐&nbsp;partly" in page.text


def test_the_deadline_calculator_answers_in_the_page(auditor: TestClient) -> None:
    page = auditor.get(
        "/admin/jurisdictions?regime=CN&received_at=2025-09-26T10:00&zone=regime&country="
    )
    assert page.status_code == 200
    assert "CN: due <strong>2025-10-23</strong> (end of day, Asia/Shanghai)" in page.text
    assert "decided by the law" in page.text
    assert "Received</th><td>2025-09-26 10:00 Asia/Shanghai (2025-09-26 02:00 UTC)" in page.text


def test_the_deadline_calculator_reads_the_time_in_the_chosen_zone(auditor: TestClient) -> None:
    page = auditor.get("/admin/jurisdictions?regime=CN&received_at=2025-09-26T20:00&zone=UTC")
    assert "Received</th><td>2025-09-27 04:00 Asia/Shanghai (2025-09-26 20:00 UTC)" in page.text


def test_the_breach_calculator_lists_the_clocks_and_keeps_the_deadline(
    auditor: TestClient,
) -> None:
    page = auditor.get(
        "/admin/jurisdictions?regime=EU&received_at=2025-03-03T10:00&zone=regime&country=DE"
        "&regimes=EU&regimes=CN&aware_at=2025-04-17T23:00&aware_zone=Asia/Shanghai&major=true"
    )
    assert page.status_code == 200
    assert "EU: due <strong>2025-04-02</strong>" in page.text
    assert "4 clocks from 2025-04-17 23:00 Asia/Shanghai" in page.text
    assert "<strong>2025-04-18 03:00</strong>" in page.text
    assert "provincial CAC" in page.text
    assert '<input type="hidden" name="received_at" value="2025-03-03T10:00">' in page.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("regime=CN&received_at=soon", "received at: &#39;soon&#39; is not a date and time"),
        ("regime=EU&received_at=2025-03-03T10:00&country=DEU", "country must be an ISO 3166-1"),
        ("aware_at=2025-04-17T10:00", "pick at least one regime"),
        ("regimes=EU&aware_at=2025-04-17T10:00&aware_zone=Mars/Base", "unknown time zone"),
    ],
)
def test_a_calculator_shows_a_bad_input_back_in_the_page(
    auditor: TestClient, query: str, message: str
) -> None:
    page = auditor.get(f"/admin/jurisdictions?{query}")
    assert page.status_code == 200
    assert 'role="alert"' in page.text
    assert message in page.text


def test_a_regime_page_shows_every_section_with_sources_and_marks(auditor: TestClient) -> None:
    page = auditor.get("/admin/jurisdictions/CN")
    assert page.status_code == 200
    text = page.text
    for heading in ("Requests", "Breach notification", "Transfers", "Not verified", "Sources"):
        assert f"<h2>{heading}" in text
    assert '<a href="https://www.cac.gov.cn/2025-09/15/c_1759583017717009.htm"' in text
    assert "◐&nbsp;partly" in text
    assert "✓&nbsp;verified" in text
    assert "critical infrastructure" in text


def test_an_unknown_regime_page_is_not_found(auditor: TestClient) -> None:
    response = auditor.get("/admin/jurisdictions/XX")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_calculators_answer_in_chinese_when_asked(auditor: TestClient) -> None:
    page = auditor.get(
        "/admin/jurisdictions?lang=zh-CN&regime=CN&received_at=2025-09-26T10:00&zone=regime"
    )
    assert (
        "CN：<strong>2025-10-23</strong> 到期（当日结束时，Asia/Shanghai），由法律决定。"
        in page.text
    )
    refused = auditor.get("/admin/jurisdictions?lang=zh-CN&regime=CN&received_at=soon")
    assert "收到时间：&#39;soon&#39; 不是日期和时间" in refused.text
    assert auditor.get("/admin/jurisdictions?lang=en").text.count("司法辖区") == 0
