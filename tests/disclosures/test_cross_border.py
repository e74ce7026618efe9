"""Cross-border counters move with disclosures; the CN threshold check flags a crossed band."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import insert
from tests.disclosures.test_disclosures import LOGISTICS, new_subject

from privacyops.db import Database, utcnow
from privacyops.disclosures import counters
from privacyops.disclosures.models import Disclosure
from privacyops.jurisdictions.enums import TransferRoute
from privacyops.staff.permissions import Role
from privacyops.subjects.models import Subject

YEAR = 2025


def bulk(db: Database, people: int, *, sensitive: bool = False, country: str = "DE") -> None:
    """Many synthetic people with one disclosure abroad each, in two multi-row inserts."""
    at = datetime(YEAR, 6, 1, tzinfo=UTC)
    ids = [str(uuid.uuid4()) for _ in range(people)]
    subjects = [
        {"id": i, "kind": "customer", "state": "active", "age_status": "unknown", "created_at": at}
        for i in ids
    ]
    rows = [
        {
            "subject_id": i,
            "recipient": "logistics",
            "recipient_kind": "logistics_provider",
            "country": country,
            "abroad": True,
            "sensitive": sensitive,
            "categories": ["orders"],
            "purpose": "order_cooperation",
            "basis": "service_necessity",
            "year": YEAR,
            "disclosed_at": at,
            "actor": "test",
        }
        for i in ids
    ]
    with db.unit_of_work() as session:
        session.execute(insert(Subject), subjects)
        session.execute(insert(Disclosure), rows)


def test_counters_count_distinct_people_per_country_and_move_with_disclosures(
    staff_client: Callable[[Role], TestClient], db: Database
) -> None:
    admin = staff_client(Role.ADMIN)
    year = utcnow().year
    alice, bob = new_subject(db), new_subject(db)

    def counts() -> dict[str, tuple[int, int, int]]:
        with db.unit_of_work() as session:
            found = counters.counters(session, year)
        return {c.country: (c.people, c.sensitive_people, c.disclosures) for c in found}

    assert counts() == {}
    for subject_id, country in ((alice, "DE"), (alice, "DE"), (bob, "DE"), (bob, "CN")):
        body = {**LOGISTICS, "subject_id": subject_id, "country": country}
        assert admin.post("/api/v1/disclosures", json=body).status_code == 201
    assert counts() == {"DE": (2, 0, 3)}  # disclosures inside China are not exports
    page = staff_client(Role.AUDITOR).get(f"/admin/disclosures?year={year}")
    assert page.status_code == 200
    assert "Within the exemption" in page.text


def test_crossing_100000_people_needs_a_standard_contract(db: Database) -> None:
    with db.unit_of_work() as session:
        assert counters.cn_threshold_findings(session, YEAR) == []
    bulk(db, 99_999)
    with db.unit_of_work() as session:
        assert counters.cn_threshold_findings(session, YEAR) == []
    bulk(db, 1, country="US")
    with db.unit_of_work() as session:
        findings = counters.cn_threshold_findings(session, YEAR)
        by_country = {c.country: c.people for c in counters.counters(session, YEAR)}
    assert by_country == {"DE": 99_999, "US": 1}
    assert [(f.people, f.route) for f in findings] == [
        (100_000, TransferRoute.STANDARD_CONTRACT_OR_CERTIFICATION)
    ]
    assert "100000 people" in findings[0].message


def test_sensitive_data_of_10000_people_needs_a_security_assessment(
    db: Database, staff_client: Callable[[Role], TestClient]
) -> None:
    bulk(db, 1, sensitive=True)
    with db.unit_of_work() as session:
        routes = [f.route for f in counters.cn_threshold_findings(session, YEAR)]
    assert routes == [TransferRoute.STANDARD_CONTRACT_OR_CERTIFICATION]
    bulk(db, 9_999, sensitive=True)
    with db.unit_of_work() as session:
        findings = counters.cn_threshold_findings(session, YEAR)
    assert [(f.sensitive_people, f.route) for f in findings] == [
        (10_000, TransferRoute.SECURITY_ASSESSMENT)
    ]
    page = staff_client(Role.AUDITOR).get(f"/admin/disclosures?year={YEAR}")
    assert "security assessment" in page.text
    assert "10,000" in page.text
