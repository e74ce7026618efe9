"""Recording, reading and withdrawing consent through the API and the banner's endpoints."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from privacyops.consent.models import ConsentEvent
from privacyops.db import Database

COOKIE = "Zm9vYmFyYmF6cXV4cXV1eHh4"  # 24 base64url characters, like the banner's ids
CA = {"x-consent-region": "US-CA"}
EU = {"x-consent-region": "DE"}


def states(client: TestClient, subject_id: str) -> dict[str, dict[str, object]]:
    response = client.get(f"/api/v1/consent/subjects/{subject_id}")
    assert response.status_code == 200, response.text
    return {row["purpose"]: row for row in response.json()["purposes"]}


def test_an_eu_subject_starts_denied_for_every_non_essential_purpose(
    integration: TestClient, make_subject: Callable[..., str]
) -> None:
    found = states(integration, make_subject("DE"))
    assert found["product_analytics"]["allowed"] is False
    assert found["product_analytics"]["source"] == "default"
    assert found["consented_uses"]["allowed"] is False
    assert found["account_management"]["allowed"] is True
    assert found["account_management"]["source"] == "essential"


def test_a_california_subject_starts_granted_until_opting_out(
    integration: TestClient, make_subject: Callable[..., str]
) -> None:
    subject_id = make_subject("US", "CA")
    found = states(integration, subject_id)
    assert found["product_analytics"]["allowed"] is True
    assert found["sale_sharing"]["allowed"] is True
    response = integration.post(
        f"/api/v1/consent/subjects/{subject_id}/choices",
        json={"choices": {"sale_sharing": False}, "method": "api"},
    )
    assert response.status_code == 201, response.text
    assert states(integration, subject_id)["sale_sharing"]["allowed"] is False


def test_a_grant_is_recorded_with_its_receipt_and_read_back(
    integration: TestClient, make_subject: Callable[..., str]
) -> None:
    subject_id = make_subject("DE")
    response = integration.post(
        f"/api/v1/consent/subjects/{subject_id}/choices",
        json={"choices": {"analytics": True}, "method": "form", "lang": "zh-CN"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["regime"] == "EU"
    assert body["decisions"] == [
        {"purpose": "product_analytics", "state": "granted", "method": "form"}
    ]
    row = states(integration, subject_id)["product_analytics"]
    assert (row["allowed"], row["source"], row["method"]) == (True, "recorded", "form")
    assert row["receipt_id"] == body["receipt_id"]


def test_one_call_withdraws_every_non_essential_purpose(
    integration: TestClient, make_subject: Callable[..., str]
) -> None:
    subject_id = make_subject("DE")
    integration.post(
        f"/api/v1/consent/subjects/{subject_id}/choices",
        json={"choices": {"analytics": True, "functional": True}},
    )
    response = integration.post(f"/api/v1/consent/subjects/{subject_id}/withdraw", json={})
    assert response.status_code == 201, response.text
    decided = {d["purpose"]: d["state"] for d in response.json()["decisions"]}
    assert decided == {
        "product_analytics": "withdrawn",
        "consented_uses": "withdrawn",
        "sale_sharing": "denied",
    }
    found = states(integration, subject_id)
    assert not any(row["allowed"] for key, row in found.items() if row["source"] != "essential")


def test_necessary_cookies_cannot_be_turned_off(new_client: Callable[[], TestClient]) -> None:
    response = new_client().post(
        "/consent/choices",
        json={"cookie_id": COOKIE, "choices": {"analytics": True, "necessary": False}},
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "choices.necessary"


def test_an_essential_purpose_cannot_be_denied_through_the_api(
    integration: TestClient, make_subject: Callable[..., str]
) -> None:
    response = integration.post(
        f"/api/v1/consent/subjects/{make_subject()}/choices",
        json={"choices": {"account_management": False}},
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "choices.account_management"


def test_an_unknown_key_is_refused_by_name(new_client: Callable[[], TestClient]) -> None:
    response = new_client().post(
        "/consent/choices", json={"cookie_id": COOKIE, "choices": {"marketing": True}}
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "choices.marketing"


def test_a_restricted_subject_is_denied_even_what_it_granted(
    integration: TestClient, make_subject: Callable[..., str]
) -> None:
    subject_id = make_subject("US", "CA", restricted=True)
    integration.post(
        f"/api/v1/consent/subjects/{subject_id}/choices", json={"choices": {"analytics": True}}
    )
    response = integration.get(f"/api/v1/consent/subjects/{subject_id}")
    assert response.json()["restricted"] is True
    found = {row["purpose"]: row for row in response.json()["purposes"]}
    assert found["product_analytics"]["state"] == "granted"
    assert found["product_analytics"]["allowed"] is False
    assert found["account_management"]["allowed"] is True
    check = integration.get(
        f"/api/v1/consent/subjects/{subject_id}/check", params={"purpose": "product_analytics"}
    )
    assert check.json()["allowed"] is False


def test_an_unknown_subject_is_not_found(integration: TestClient) -> None:
    response = integration.post(
        "/api/v1/consent/subjects/no-such-subject/choices", json={"choices": {"analytics": True}}
    )
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "subject_id"


def test_a_browser_choice_stores_only_a_blind_index_and_a_network(
    new_client: Callable[[], TestClient], db: Database
) -> None:
    response = new_client().post(
        "/consent/choices",
        json={"cookie_id": COOKIE, "choices": {"analytics": True, "functional": False}},
        headers={**EU, "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"},
    )
    assert response.status_code == 201, response.text
    with db.unit_of_work() as session:
        rows = list(session.scalars(select(ConsentEvent)))
    assert {r.purpose: r.state for r in rows} == {
        "product_analytics": "granted",
        "consented_uses": "denied",
    }
    for row in rows:
        assert row.subject_id is None
        assert row.cookie_index is not None
        assert COOKIE.encode() not in row.cookie_index
        assert row.regime == "EU"
        assert row.ua_family == "Firefox"
        assert row.method == "banner"
        assert len(row.notice_hash) == 64


def test_gpc_opts_a_california_browser_out_of_sale_and_sharing(
    new_client: Callable[[], TestClient],
) -> None:
    client = new_client()
    config = client.get("/consent/config", headers={**CA, "sec-gpc": "1"}).json()
    assert config["gpc"] == {"applies": True, "signal": True, "purposes": ["sale_sharing"]}
    response = client.post(
        "/consent/choices",
        json={"cookie_id": COOKIE, "choices": {"analytics": True}},
        headers={**CA, "sec-gpc": "1"},
    )
    body = response.json()
    assert body["gpc_honoured"] is True
    assert {"purpose": "sale_sharing", "state": "denied", "method": "gpc"} in body["decisions"]


def test_gpc_changes_nothing_where_no_law_requires_it(
    new_client: Callable[[], TestClient],
) -> None:
    client = new_client()
    assert (
        client.get("/consent/config", headers={**EU, "sec-gpc": "1"}).json()["gpc"]["applies"]
        is False
    )
    body = client.post(
        "/consent/choices",
        json={"cookie_id": COOKIE, "choices": {"analytics": True}},
        headers={**EU, "sec-gpc": "1"},
    ).json()
    assert body["gpc_honoured"] is False


def test_only_the_exact_value_1_is_a_gpc_signal(new_client: Callable[[], TestClient]) -> None:
    config = new_client().get("/consent/config", headers={**CA, "sec-gpc": "true"}).json()
    assert config["gpc"]["signal"] is False


def test_the_gpc_support_resource_is_served(new_client: Callable[[], TestClient]) -> None:
    body = new_client().get("/.well-known/gpc.json").json()
    assert body["gpc"] is True
    assert len(body["lastUpdate"]) == 10


def test_the_config_follows_the_region_defaults(new_client: Callable[[], TestClient]) -> None:
    client = new_client()
    eu = client.get("/consent/config", params={"lang": "zh-CN"}, headers=EU).json()
    ca = client.get("/consent/config", headers=CA).json()
    assert {c["key"]: c["default"] for c in eu["categories"]} == {
        "necessary": True,
        "analytics": False,
        "functional": False,
    }
    assert {c["key"]: c["default"] for c in ca["categories"]} == {
        "necessary": True,
        "analytics": True,
        "functional": True,
    }
    assert eu["texts"]["accept"] == "全部接受"
    assert eu["cookie"] == {"name": "fst_consent", "max_age_days": 180}
    assert ca["extra"][0]["key"] == "sale_sharing"
    assert eu["extra"] == []


def test_the_region_override_is_ignored_in_production(
    new_client: Callable[[], TestClient],
) -> None:
    client = new_client()
    app_settings = client.app.state.settings  # type: ignore[attr-defined]
    client.app.state.settings = app_settings.model_copy(update={"env": "prod"})  # type: ignore[attr-defined]
    config = client.get("/consent/config", headers=CA).json()
    assert config["region"]["regime"] == "CN"  # the test client's address has no country


def test_a_visitor_downloads_the_receipt_of_the_last_choice(
    new_client: Callable[[], TestClient], db: Database
) -> None:
    client = new_client()
    client.post("/consent/choices", json={"cookie_id": COOKIE, "choices": {"analytics": True}})
    last = client.post(
        "/consent/choices",
        json={"cookie_id": COOKIE, "choices": {"analytics": False}, "method": "preferences"},
        headers=EU,
    ).json()
    client.cookies.set("fst_consent", f"%7B%22id%22%3A%22{COOKIE}%22%2C%22c%22%3A%7B%7D%7D")
    response = client.get("/consent/receipt")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    receipt = response.json()
    assert receipt["version"] == "KI-CR-v1.1.0"
    assert receipt["consentReceiptID"] == last["receipt_id"]
    assert receipt["jurisdiction"] == "EU"
    assert receipt["collectionMethod"] == "preferences"
    assert receipt["piiPrincipalId"].startswith("cookie:")
    assert COOKIE not in response.text
    controller = receipt["piiControllers"][0]
    assert controller["piiController"].startswith("Beijing FET")
    assert controller["contact"] == "support@fstsmart.com"
    assert receipt["policyUrl"].endswith("/policy/versions/1.0.0")
    purpose = receipt["services"][0]["purposes"][0]
    assert (purpose["purpose"], purpose["state"], purpose["eventState"]) == (
        "product_analytics",
        "withdrawn",
        "dpv:ConsentWithdrawn",
    )
    assert len(receipt["notice"]["sha256"]) == 64
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count(ConsentEvent.id))) == 2


def test_an_integration_reads_a_receipt_by_id_or_the_latest(
    integration: TestClient, make_subject: Callable[..., str]
) -> None:
    subject_id = make_subject("US", "CA")
    made = integration.post(
        f"/api/v1/consent/subjects/{subject_id}/choices",
        json={"choices": {"analytics": False}, "gpc": True},
    ).json()
    for which in (made["receipt_id"], "latest"):
        receipt = integration.get(f"/api/v1/consent/subjects/{subject_id}/receipts/{which}")
        assert receipt.status_code == 200, receipt.text
        purposes = {p["purpose"]: p for p in receipt.json()["services"][0]["purposes"]}
        assert purposes["product_analytics"]["state"] == "denied"
        assert purposes["sale_sharing"]["collectionMethod"] == "gpc"
        assert receipt.json()["piiPrincipalId"] == f"subject:{subject_id}"
    missing = integration.get(f"/api/v1/consent/subjects/{subject_id}/receipts/nope")
    assert missing.status_code == 404


def test_a_receipt_is_never_read_under_another_subject(
    integration: TestClient, new_client: Callable[[], TestClient], make_subject: Callable[..., str]
) -> None:
    owner, stranger = make_subject("DE"), make_subject("DE")
    made = integration.post(
        f"/api/v1/consent/subjects/{owner}/choices", json={"choices": {"analytics": True}}
    ).json()
    crossed = integration.get(f"/api/v1/consent/subjects/{stranger}/receipts/{made['receipt_id']}")
    assert crossed.status_code == 404
    assert owner not in crossed.text
    browser = new_client()
    cookie = {"cookie_id": "A" * 22}
    assert browser.get("/consent/receipt", params=cookie).status_code == 404


def test_a_policy_version_never_published_is_refused(
    integration: TestClient, make_subject: Callable[..., str], published: Callable[[str], None]
) -> None:
    published("1.0.0")
    response = integration.post(
        f"/api/v1/consent/subjects/{make_subject()}/choices",
        json={"choices": {"analytics": True}, "policy_version": "9.9.9"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "policy_version"


def test_an_unknown_notice_hash_is_refused(new_client: Callable[[], TestClient]) -> None:
    response = new_client().post(
        "/consent/choices",
        json={"cookie_id": COOKIE, "choices": {"analytics": True}, "notice_hash": "0" * 64},
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "notice_hash"


def test_a_weak_cookie_id_is_refused(new_client: Callable[[], TestClient]) -> None:
    response = new_client().post(
        "/consent/choices", json={"cookie_id": "short", "choices": {"analytics": True}}
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "cookie_id"


def test_every_choice_is_an_audit_event_without_personal_values(
    new_client: Callable[[], TestClient], db: Database
) -> None:
    from privacyops.audit import service as audit

    new_client().post(
        "/consent/choices", json={"cookie_id": COOKIE, "choices": {"analytics": True}}
    )
    with db.unit_of_work() as session:
        events = audit.recent(session=session, action="consent.recorded")
        assert len(events) == 1
        assert events[0].details["decisions"] == {"product_analytics": "granted"}
        assert COOKIE not in str(events[0].details)
        assert audit.verify(session=session).ok
