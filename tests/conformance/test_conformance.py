"""The conformance audit finds each kind of violation planted, and nothing in a clean database."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from tests.retention.support import ACTOR, person, plant
from typer.testing import CliRunner

from privacyops.cli import app as cli
from privacyops.conformance import service
from privacyops.consent import scans
from privacyops.consent.models import ConsentEvent
from privacyops.db import Database, utcnow
from privacyops.disclosures.models import Disclosure
from privacyops.incidents import service as incidents
from privacyops.policy.schema import Declaration
from privacyops.retention import service as retention
from privacyops.rights.models import RightsRequest
from privacyops.settings import Settings
from privacyops.staff.permissions import Role
from privacyops.subjects.models import Subject
from privacyops.vault.service import Vault

runner = CliRunner()
EVERY_KIND = {
    "expired_data",
    "undeclared_category",
    "undeclared_field",
    "purpose_without_basis",
    "purpose_without_consent",
    "overdue_request",
    "incident_clock_overdue",
    "cookie_undeclared",
    "cookie_before_consent",
    "cn_export_threshold",
}


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:
            monkeypatch.setenv(f"PRIVACYOPS_{name.upper()}", str(value))
    monkeypatch.setenv("COLUMNS", "250")


def _scan(db: Database, violations: list[dict[str, str]]) -> None:
    with db.unit_of_work() as session:
        scans.store(
            session=session,
            url="https://www.fstsmart.example.com/",
            region="EU",
            verdict=scans.Verdict(violations=violations),
            at=utcnow(),
            actor=ACTOR,
        )


def _consent(db: Database, subject_id: str, purpose: str) -> None:
    with db.unit_of_work() as session:
        session.add(
            ConsentEvent(
                receipt_id=str(uuid.uuid4()),
                subject_id=subject_id,
                purpose=purpose,
                state="granted",
                method="form",
                policy_version="1.0.0",
                notice_version="1.0.0",
                notice_hash="0" * 64,
                lang="en",
                regime="EU",
                occurred_at=utcnow(),
                actor=ACTOR,
            )
        )


def _clean(db: Database, vault: Vault, declaration: Declaration) -> str:
    """A database that keeps every promise: fresh data, consented analytics, a clean scan."""
    someone = person(db)
    plant(
        db,
        vault,
        someone,
        "account",
        {"email": "a@example.com"},
        purpose="account_management",
        expires_in=None,
    )
    plant(
        db,
        vault,
        someone,
        "log_behavior",
        {"page_or_screen": "/"},
        purpose="product_analytics",
        expires_in=timedelta(days=9),
    )
    _consent(db, someone, "product_analytics")
    held = person(db)
    plant(db, vault, held, "support", {"message": "expired but held"})
    with db.unit_of_work() as session:
        retention.create_hold(
            session=session,
            declaration=declaration,
            actor=ACTOR,
            reason="r",
            law="l",
            subject_id=held,
        )
    _scan(db, [])
    return someone


def _run(db: Database, declaration: Declaration) -> service.Report:
    with db.unit_of_work() as session:
        return service.run(session=session, declaration=declaration)


def test_a_clean_database_has_no_finding(
    db: Database, vault: Vault, declaration: Declaration
) -> None:
    _clean(db, vault, declaration)
    report = _run(db, declaration)
    assert report.findings == []
    assert report.ok


def test_each_kind_of_violation_is_found(
    db: Database, vault: Vault, declaration: Declaration, settings: Settings
) -> None:
    someone = _clean(db, vault, declaration)
    other = person(db)
    plant(db, vault, other, "support", {"message": "past its 365 days"})
    plant(db, vault, other, "shoe_sizes", {"size": "42"}, expires_in=timedelta(days=30))
    plant(
        db,
        vault,
        other,
        "account",
        {"shoe_size": "42"},
        purpose="account_management",
        expires_in=None,
    )
    plant(
        db,
        vault,
        other,
        "account",
        {"email": "b@example.com"},
        purpose="direct_marketing",
        expires_in=None,
    )
    plant(
        db,
        vault,
        other,
        "cookies",
        {"cookie_value_id": "c-1"},
        purpose="product_analytics",
        expires_in=timedelta(days=9),
    )
    now = utcnow()
    with db.unit_of_work() as session:
        session.add(
            RightsRequest(
                type="access",
                status="in_progress",
                channel="privacy_center",
                subject_id=someone,
                contact_kind="email",
                language="en",
                country="DE",
                regime="EU",
                received_at=now - timedelta(days=40),
                due_at=now - timedelta(days=10),
                verification_level="reasonable",
                facts={},
                status_token_hash="0" * 64,
                created_by=ACTOR,
            )
        )
        incident = incidents.register(
            session=session,
            declaration=declaration,
            actor=ACTOR,
            title="Export bucket readable",
            description="An export was public.",
            detected_at=now - timedelta(days=6),
            aware_at=now - timedelta(days=5),
            categories=["account"],
            systems=["exports"],
            risk="high",
            risk_reasons="phishing",
        )
        subject_row = {
            "id": str(uuid.uuid4()),
            "kind": "customer",
            "state": "active",
            "age_status": "unknown",
            "created_at": now,
        }
        session.execute(insert(Subject), [subject_row])
        session.execute(
            insert(Disclosure),
            [
                {
                    "subject_id": subject_row["id"],
                    "recipient": "logistics",
                    "recipient_kind": "logistics_provider",
                    "country": "DE",
                    "abroad": True,
                    "sensitive": True,
                    "categories": ["orders"],
                    "purpose": "order_cooperation",
                    "basis": "service_necessity",
                    "year": now.year,
                    "disclosed_at": now,
                    "actor": ACTOR,
                }
            ],
        )
    _scan(
        db,
        [
            {
                "kind": "undeclared",
                "phase": "before",
                "cookie": "_ga",
                "message": "_ga is not declared",
            },
            {
                "kind": "before_consent",
                "phase": "before",
                "cookie": "fst_aid",
                "message": "fst_aid was set before consent",
            },
        ],
    )

    report = _run(db, declaration)

    kinds = {f.kind for f in report.findings}
    assert kinds == EVERY_KIND, kinds
    assert not report.ok
    found = {f.kind: f for f in report.findings}
    assert found["expired_data"].count == 1  # the held row is not counted
    assert found["undeclared_category"].details["category"] == "shoe_sizes"
    assert found["undeclared_field"].details == {"category": "account", "field": "shoe_size"}
    assert found["purpose_without_basis"].details["purpose"] == "direct_marketing"
    assert found["purpose_without_consent"].details == {
        "category": "cookies",
        "purpose": "product_analytics",
    }
    assert found["purpose_without_consent"].count == 1  # the consented person is fine
    assert found["incident_clock_overdue"].fix == f"/admin/incidents/{incident.id}"
    assert found["cookie_undeclared"].details["cookies"] == ["_ga"]
    assert found["cn_export_threshold"].severity == "warning"  # a mechanism is declared
    for finding in report.findings:
        assert finding.what
        assert finding.fix
        assert finding.severity in service.SEVERITIES


@pytest.mark.usefixtures("env")
def test_audit_run_gates_a_deploy(db: Database, vault: Vault, declaration: Declaration) -> None:
    _clean(db, vault, declaration)
    clean = runner.invoke(cli, ["audit", "run"])
    assert clean.exit_code == 0, clean.output
    assert "conforms to the declaration" in clean.output
    plant(db, vault, person(db), "support", {"message": "expired"})
    broken = runner.invoke(cli, ["audit", "run", "--json"])
    assert broken.exit_code == 1
    body = json.loads(broken.output)
    assert body["ok"] is False
    assert body["violations"] == 1
    assert body["findings"][0]["kind"] == "expired_data"
    verify = runner.invoke(cli, ["audit", "verify"])
    assert verify.exit_code == 0, verify.output


def test_the_api_and_the_page_show_the_same_report(
    db: Database, vault: Vault, staff_client: Callable[[Role], TestClient]
) -> None:
    plant(db, vault, person(db), "support", {"message": "expired"})
    auditor = staff_client(Role.AUDITOR)
    body = auditor.get("/api/v1/conformance").json()
    assert [f["kind"] for f in body["findings"] if f["severity"] == "violation"] == ["expired_data"]
    page = auditor.get("/admin/conformance")
    assert page.status_code == 200
    assert "finding-expired_data" in page.text
    assert "privacyops retention sweep" in page.text
    assert staff_client(Role.SUPPORT_AGENT).get("/api/v1/conformance").status_code == 403


def test_findings_are_plain_json(db: Database, vault: Vault, declaration: Declaration) -> None:
    plant(db, vault, person(db), "support", {"message": "expired"})
    report = _run(db, declaration)
    text = json.dumps(report.as_json())
    assert "expired" in text
    assert datetime.fromisoformat(report.as_json()["ran_at"]).tzinfo == UTC
