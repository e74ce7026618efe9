"""The age gate (policy 9): the stricter of 16 and the local consent age; refuse or hold.

The ages come from the rulebook (`jurisdictions/rules.yaml`): EU Art. 8 per member
state (DE 16, FR 15), China 14 (PIPL Art. 31), Thailand 20, India 18, Korea 14,
the US 13 (COPPA alongside every state).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.collection.test_intake import ACCOUNT, NOTICE, api_key, counts

from privacyops.audit.models import AuditEvent
from privacyops.collection import age
from privacyops.consent.checks import ConsentChecker
from privacyops.db import Database, utcnow
from privacyops.policy.loader import load_declaration
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings
from privacyops.staff.permissions import Role
from privacyops.subjects.models import AgeStatus, Identity, PersonalRecord, Subject

PENDING = AgeStatus.MINOR_PENDING_PARENTAL_CONSENT.value


@pytest.fixture
def integration(
    staff_client: Callable[[Role], TestClient], new_client: Callable[[], TestClient]
) -> TestClient:
    client = new_client()
    client.headers["authorization"] = f"Bearer {api_key(staff_client(Role.ADMIN))}"
    return client


def create(
    client: TestClient, *, country: str, state: str | None = None, **age_fields: object
) -> dict[str, object]:
    body: dict[str, object] = {"notice_version": NOTICE, "country": country, "fields": ACCOUNT}
    if state:
        body["region"] = state
    response = client.post("/api/v1/intake/accounts", json={**body, **age_fields})
    answer: dict[str, object] = {"status": response.status_code, **response.json()}
    return answer


def subject(db: Database, subject_id: object) -> Subject:
    with db.unit_of_work() as session:
        found = session.get_one(Subject, subject_id)
        session.expunge(found)
        return found


@pytest.mark.parametrize(
    ("country", "state", "years", "threshold", "outcome"),
    [
        ("DE", None, 16, 16, AgeStatus.ADULT),
        ("DE", None, 15, 16, AgeStatus.MINOR_PENDING_PARENTAL_CONSENT),
        # France lets 15-year-olds consent; the policy's 16 is stricter and wins.
        ("FR", None, 15, 16, AgeStatus.MINOR_PENDING_PARENTAL_CONSENT),
        ("FR", None, 16, 16, AgeStatus.ADULT),
        # PIPL Art. 31: guardian consent under 14; the policy's 16 is the threshold.
        ("CN", None, 13, 16, AgeStatus.MINOR_PENDING_PARENTAL_CONSENT),
        ("CN", None, 15, 16, AgeStatus.MINOR_PENDING_PARENTAL_CONSENT),
        ("CN", None, 16, 16, AgeStatus.ADULT),
        ("GB", None, 14, 16, AgeStatus.MINOR_PENDING_PARENTAL_CONSENT),
        ("US", "CA", 12, 16, AgeStatus.MINOR_PENDING_PARENTAL_CONSENT),
        ("US", "TX", 17, 16, AgeStatus.ADULT),
    ],
)
def test_the_stricter_age_applies_and_parental_consent_regimes_hold_the_account(
    integration: TestClient,
    db: Database,
    country: str,
    state: str | None,
    years: int,
    threshold: int,
    outcome: AgeStatus,
) -> None:
    answer = create(integration, country=country, state=state, age=years)
    expected_status = 202 if outcome == AgeStatus.MINOR_PENDING_PARENTAL_CONSENT else 201
    assert answer["status"] == expected_status, answer
    assert answer["age_status"] == outcome.value
    found = subject(db, answer["subject_id"])
    assert (found.age_status, found.age_threshold) == (outcome.value, threshold)


@pytest.mark.parametrize(
    ("country", "years", "threshold"),
    [("TH", 19, 20), ("IN", 17, 18), ("KR", 15, 16), ("BR", 15, 16), ("JP", 15, 16)],
)
def test_below_the_threshold_without_a_parental_route_nothing_is_stored(
    integration: TestClient, db: Database, country: str, years: int, threshold: int
) -> None:
    before = counts(db)
    answer = create(integration, country=country, age=years)
    assert answer["status"] == 403
    error = answer["error"]
    assert isinstance(error, dict)
    assert error["field"] == "age"
    assert f"minimum age of {threshold}" in error["message"]
    assert "nothing was stored" in error["message"]
    assert counts(db) == before
    with db.unit_of_work() as session:
        assert session.scalars(select(Identity)).first() is None


def test_a_birth_date_counts_birthdays_exactly(integration: TestClient) -> None:
    today = utcnow().date()
    try:
        sixteen_today = today.replace(year=today.year - 16)
    except ValueError:  # 29 February
        sixteen_today = today.replace(year=today.year - 16, day=28)
    born = sixteen_today + timedelta(days=1)
    answer = create(integration, country="JP", birth_date=born.isoformat())
    assert answer["status"] == 403
    error = answer["error"]
    assert isinstance(error, dict)
    assert error["field"] == "birth_date"
    ok = create(integration, country="JP", birth_date=sixteen_today.isoformat())
    assert ok["status"] == 201, ok
    assert ok["age_status"] == "adult"


def test_no_age_given_leaves_the_status_unknown(integration: TestClient) -> None:
    answer = create(integration, country="DE")
    assert answer["status"] == 201
    assert answer["age_status"] == "unknown"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"age": 20, "birth_date": "2000-01-01"}, "age"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"age": -1}, "age"),
        ({"birth_date": "not-a-date"}, "birth_date"),
    ],
)
def test_bad_age_input_is_refused(
    integration: TestClient, db: Database, fields: dict[str, object], field: str
) -> None:
    answer = create(integration, country="DE", **fields)
    assert answer["status"] == 422, answer
    error = answer["error"]
    assert isinstance(error, dict)
    assert error["field"] == field
    assert counts(db) == (0, 0)


def test_the_age_is_never_stored(integration: TestClient, db: Database) -> None:
    answer = create(integration, country="DE", birth_date="2011-03-04")
    with db.unit_of_work() as session:
        fields = set(session.scalars(select(PersonalRecord.field)))
        details = [str(e.details) for e in session.scalars(select(AuditEvent))]
    assert answer["status"] == 202
    assert "birth_date" not in fields
    assert "age" not in fields
    assert not any("2011" in d for d in details)


def test_a_pending_minor_gets_only_essential_processing_until_the_parent_consents(
    integration: TestClient,
    staff_client: Callable[[Role], TestClient],
    db: Database,
    settings: Settings,
) -> None:
    answer = create(integration, country="US", state="CA", age=12)
    subject_id = str(answer["subject_id"])
    checker = ConsentChecker(db=db, policy=PolicyStore(settings.policy), ttl=0.0)
    # California is opt-out: an adult's analytics would be allowed by default.
    assert checker.may_process(subject_id, "service_support") is True
    assert checker.may_process(subject_id, "product_analytics") is False

    agent = staff_client(Role.SUPPORT_AGENT)
    refused = agent.post(
        f"/api/v1/subjects/{subject_id}/parental-consent", json={"method": "signed_form"}
    )
    assert refused.status_code == 403
    dpo = staff_client(Role.PRIVACY_OFFICER)
    done = dpo.post(
        f"/api/v1/subjects/{subject_id}/parental-consent", json={"method": "signed_form"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["age_status"] == "adult"
    assert done.json()["parental_consent_at"] is not None
    checker.invalidate()
    assert checker.may_process(subject_id, "product_analytics") is True
    again = dpo.post(
        f"/api/v1/subjects/{subject_id}/parental-consent", json={"method": "signed_form"}
    )
    assert again.status_code == 409
    with db.unit_of_work() as session:
        actions = list(
            session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == subject_id))
        )
    assert "subject.age_checked" in actions
    assert "subject.parental_consent_verified" in actions


def test_automatic_data_of_a_pending_minor_is_limited_to_essential_purposes(
    integration: TestClient,
) -> None:
    create(integration, country="DE", age=14)
    essential = integration.post(
        "/api/v1/intake/automatic",
        json={
            "notice_version": NOTICE,
            "identity": {"account_id": ACCOUNT["account_id"]},
            "data": {"network_type": {"network_type": "wifi"}},
        },
    )
    assert essential.status_code == 201, essential.text
    analytics = integration.post(
        "/api/v1/intake/automatic",
        json={
            "notice_version": NOTICE,
            "purpose": "product_analytics",
            "identity": {"account_id": ACCOUNT["account_id"]},
            "data": {"network_type": {"network_type": "wifi"}},
        },
    )
    assert analytics.status_code == 403
    assert analytics.json()["error"]["field"] == "purpose"


def test_child_data_discovered_deletes_the_data_and_audits_why(
    integration: TestClient, staff_client: Callable[[Role], TestClient], db: Database
) -> None:
    answer = create(integration, country="CN", age=15)
    subject_id = str(answer["subject_id"])
    integration.post(
        "/api/v1/intake/automatic",
        json={
            "notice_version": NOTICE,
            "identity": {"account_id": ACCOUNT["account_id"]},
            "ip_address": "8.8.8.8",
        },
    )
    agent = staff_client(Role.SUPPORT_AGENT)
    body = {"reason": "parent_report"}
    assert agent.post(f"/api/v1/subjects/{subject_id}/child-data", json=body).status_code == 403
    dpo = staff_client(Role.PRIVACY_OFFICER)
    bad = dpo.post(f"/api/v1/subjects/{subject_id}/child-data", json={"reason": "because"})
    assert bad.status_code == 422
    done = dpo.post(f"/api/v1/subjects/{subject_id}/child-data", json=body)
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "erased"
    assert done.json()["age_status"] == "minor_refused"
    assert done.json()["records_purged"] > 0
    with db.unit_of_work() as session:
        rows = session.scalars(
            select(PersonalRecord).where(PersonalRecord.subject_id == subject_id)
        ).all()
        identities = session.scalars(
            select(Identity).where(Identity.subject_id == subject_id)
        ).all()
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "subject.child_data_discovered")
        ).one()
    assert rows == []
    assert identities == []
    assert event.target_id == subject_id
    assert event.details["reason"] == "parent_report"
    assert event.details["previous_age_status"] == PENDING
    assert dpo.post(f"/api/v1/subjects/{subject_id}/child-data", json=body).status_code == 409
    # The account id is free again only as a new person: the old one is gone.
    assert (
        integration.post(
            "/api/v1/intake/automatic",
            json={
                "notice_version": NOTICE,
                "identity": {"account_id": ACCOUNT["account_id"]},
                "ip_address": "8.8.8.8",
            },
        ).status_code
        == 404
    )


def test_the_parental_schemes_follow_the_declaration(settings: Settings) -> None:
    declaration = load_declaration(settings.policy)
    assert age.parental_regimes(declaration) == {"EU", "GB", "US-COPPA", "CN"}
    decision = age.decide(declaration=declaration, age=15, country="AT", state=None)
    assert (decision.threshold, decision.status) == (16, AgeStatus.MINOR_PENDING_PARENTAL_CONSENT)
    unknown = age.decide(declaration=declaration, age=None, country=None, state=None)
    assert (unknown.status, unknown.regime) == (AgeStatus.UNKNOWN, "CN")
