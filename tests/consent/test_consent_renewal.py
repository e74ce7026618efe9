"""A major policy version that changes a consented purpose makes older consents stale."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from privacyops.consent.renewal import semver

COOKIE = "cmVuZXdhbHRlc3Rjb29raWVpZA"


def analytics(client: TestClient, subject_id: str) -> dict[str, object]:
    rows = client.get(f"/api/v1/consent/subjects/{subject_id}").json()["purposes"]
    found: dict[str, object] = next(r for r in rows if r["purpose"] == "product_analytics")
    return found


def test_a_consent_given_before_a_major_change_is_stale_and_denied(
    integration: TestClient, make_subject: Callable[..., str], published: Callable[[str], None]
) -> None:
    published("1.0.0")
    subject_id = make_subject("DE")
    integration.post(
        f"/api/v1/consent/subjects/{subject_id}/choices",
        json={"choices": {"analytics": True, "functional": True}},
    )
    assert analytics(integration, subject_id)["allowed"] is True
    published("2.0.0")
    row = analytics(integration, subject_id)
    assert (row["state"], row["stale"], row["allowed"]) == ("granted", True, False)
    check = integration.get(
        f"/api/v1/consent/subjects/{subject_id}/check", params={"purpose": "product_analytics"}
    ).json()
    assert check["allowed"] is False
    other = integration.get(f"/api/v1/consent/subjects/{subject_id}").json()["purposes"]
    functional = next(r for r in other if r["purpose"] == "consented_uses")
    assert (functional["stale"], functional["allowed"]) == (False, True)


def test_renewing_under_the_new_version_makes_it_fresh(
    integration: TestClient, make_subject: Callable[..., str], published: Callable[[str], None]
) -> None:
    published("1.0.0")
    subject_id = make_subject("DE")
    path = f"/api/v1/consent/subjects/{subject_id}/choices"
    integration.post(path, json={"choices": {"analytics": True}})
    published("2.0.0")
    response = integration.post(path, json={"choices": {"analytics": True}})
    assert response.json()["policy_version"] == "2.0.0"
    row = analytics(integration, subject_id)
    assert (row["stale"], row["allowed"], row["policy_version"]) == (False, True, "2.0.0")


def test_a_refusal_never_goes_stale(
    integration: TestClient, make_subject: Callable[..., str], published: Callable[[str], None]
) -> None:
    published("1.0.0")
    subject_id = make_subject("US", "CA")
    integration.post(
        f"/api/v1/consent/subjects/{subject_id}/choices", json={"choices": {"analytics": False}}
    )
    published("2.0.0")
    row = analytics(integration, subject_id)
    assert (row["state"], row["stale"], row["allowed"]) == ("denied", False, False)


def test_the_config_says_which_choices_need_renewing(
    new_client: Callable[[], TestClient], published: Callable[[str], None]
) -> None:
    published("1.0.0")
    client = new_client()
    assert (
        client.get("/consent/config", params={"since": "1.0.0"}).json()["renewal"]["needed"]
        is False
    )
    published("2.0.0")
    config = client.get("/consent/config", params={"since": "1.0.0"}).json()
    assert config["policy_version"] == "2.0.0"
    assert config["renewal"] == {
        "needed": True,
        "since": "1.0.0",
        "purposes": ["product_analytics"],
        "categories": ["analytics"],
    }
    assert config["renewals"] == [
        {"version": "2.0.0", "purposes": ["product_analytics"], "categories": ["analytics"]}
    ]
    fresh = client.get("/consent/config", params={"since": "2.0.0"}).json()
    assert fresh["renewal"]["needed"] is False


def test_a_browser_consent_under_the_old_version_is_recorded_with_it(
    new_client: Callable[[], TestClient], published: Callable[[str], None]
) -> None:
    published("1.0.0")
    published("2.0.0")
    client = new_client()
    body = client.post(
        "/consent/choices",
        json={"cookie_id": COOKIE, "choices": {"analytics": True}, "policy_version": "1.0.0"},
    ).json()
    assert body["policy_version"] == "1.0.0"


def test_versions_compare_as_numbers() -> None:
    assert semver("10.0.0") > semver("9.9.9")
    assert semver("garbage") == (0, 0, 0)
