"""Registering incidents, the live estimate, and the clocks of EU, CN, BR and US-CA people."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.incidents.conftest import ACTOR, AWARE, MakePerson

from privacyops.audit.models import AuditEvent
from privacyops.db import Database
from privacyops.incidents import clocks, reports, service
from privacyops.incidents.models import ClockReminder
from privacyops.policy.schema import Declaration
from privacyops.staff.permissions import Role


def _register(db: Database, declaration: Declaration, **extra: object) -> str:
    with db.unit_of_work() as session:
        return service.register(
            session=session,
            declaration=declaration,
            actor=ACTOR,
            title="Support export left on a public bucket",
            description="A CSV export of account e-mails was readable from the internet.",
            detected_at=AWARE - timedelta(hours=2),
            aware_at=AWARE,
            categories=["account"],
            systems=["support-exports bucket"],
            **extra,  # type: ignore[arg-type]
        ).id


def _due(db: Database, incident_id: str, now: datetime) -> dict[str, tuple[datetime | None, str]]:
    with db.unit_of_work() as session:
        incident = service.get(session=session, incident_id=incident_id)
        states = clocks.incident_clocks(session=session, incident=incident, now=now)
        return {s.key: (s.due_at, s.status) for s in states}


def test_clocks_for_eu_cn_br_and_california_people_at_fixed_times(
    db: Database, declaration: Declaration, make_person: MakePerson
) -> None:
    make_person("anna@example.de", "DE")
    make_person("li.lei@example.cn", "CN")
    make_person("joao@example.com.br", "BR")
    make_person("sam@example.com", "US", "CA")
    make_person("other@example.com", "DE", category="support")  # not affected
    incident_id = _register(db, declaration, risk="high")
    with db.unit_of_work() as session:
        found = service.estimate(session=session, categories=["account"])
    assert (found.subjects, found.records) == (4, 4)
    assert found.by_jurisdiction == {"BR": 1, "CN": 1, "EU": 1, "US-CA": 1}
    assert found.by_region == {"cn": 1, "global_service": 3}

    due = _due(db, incident_id, AWARE + timedelta(hours=1))
    assert due["CN/regulator/notice"] == (datetime(2026, 12, 3, 14, 0, tzinfo=UTC), "open")
    assert due["EU/regulator/notice"] == (datetime(2026, 12, 6, 10, 0, tzinfo=UTC), "open")
    assert due["EU/individuals/notice"] == (None, "open")
    # Brazil: 3 business days after Thursday 3 December -> Tuesday 8 December, end of day
    # in Sao Paulo (UTC-3).
    br = due["BR/regulator/notice"][0]
    assert br is not None
    assert br.astimezone(UTC) == datetime(2026, 12, 9, 2, 59, 59, tzinfo=UTC)
    # California: 30 calendar days to residents, then the AG sample 15 days after that.
    ca = due["US-CA/individuals/notice"][0]
    ag = due["US-CA/regulator/notice"][0]
    assert ca is not None
    assert ag is not None
    assert ca.astimezone(UTC).date() == datetime(2027, 1, 3, tzinfo=UTC).date()
    assert (ag - ca).days == 15


def test_a_clock_is_met_by_a_recorded_notice_and_overdue_without_one(
    db: Database, declaration: Declaration, make_person: MakePerson
) -> None:
    make_person("anna@example.de", "DE")
    make_person("li.lei@example.cn", "CN")
    incident_id = _register(db, declaration)
    later = AWARE + timedelta(hours=5)
    with db.unit_of_work() as session:
        reports.record_notice(
            session=session,
            incident_id=incident_id,
            regime="EU",
            audience="regulator",
            stage="notice",
            channel="regulator portal",
            actor=ACTOR,
            sent_at=AWARE + timedelta(hours=3),
        )
    due = _due(db, incident_id, later)
    assert due["EU/regulator/notice"][1] == "met"
    assert due["CN/regulator/notice"][1] == "overdue"
    assert due["EU/individuals/notice"][1] == "not_required"  # risk is not high
    with db.unit_of_work() as session:
        flagged = clocks.overdue_clocks(session, later)
    assert [(i.id, s.key) for i, s in flagged] == [(incident_id, "CN/regulator/notice")]


def test_encryption_lifts_the_gdpr_individual_notice(
    db: Database, declaration: Declaration, make_person: MakePerson
) -> None:
    make_person("anna@example.de", "DE")
    incident_id = _register(db, declaration, risk="high", encrypted=True)
    due = _due(db, incident_id, AWARE)
    assert due["EU/individuals/notice"][1] == "not_required"
    assert due["EU/regulator/notice"][1] == "open"


def test_reminders_are_recorded_once_per_clock_and_threshold(
    db: Database, declaration: Declaration, make_person: MakePerson
) -> None:
    make_person("li.lei@example.cn", "CN")
    _register(db, declaration)
    for now in (AWARE + timedelta(hours=1), AWARE + timedelta(hours=1, minutes=5)):
        with db.unit_of_work() as session:
            clocks.remind_due_clocks(session, now)
    with db.unit_of_work() as session:
        clocks.remind_due_clocks(session, AWARE + timedelta(hours=3, minutes=30))
        rows = session.scalars(select(ClockReminder).order_by(ClockReminder.id)).all()
        assert [(r.clock, r.threshold) for r in rows] == [
            ("CN/regulator/notice", "4h"),
            ("CN/regulator/notice", "1h"),
        ]


def test_unknown_categories_are_refused_with_422_naming_the_field(
    staff_client: Callable[[Role], TestClient],
) -> None:
    client = staff_client(Role.PRIVACY_OFFICER)
    body = {
        "title": "Lost laptop",
        "description": "A laptop with a support export was stolen.",
        "detected_at": "2026-12-03T08:00:00Z",
        "aware_at": "2026-12-03T10:00:00Z",
        "categories": ["account", "shoe_size"],
    }
    refused = client.post("/api/v1/incidents", json=body)
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "categories"
    assert "shoe_size" in refused.json()["error"]["message"]
    made = client.post("/api/v1/incidents", json={**body, "categories": ["account"]})
    assert made.status_code == 201, made.text
    incident_id = made.json()["id"]
    patched = client.patch(f"/api/v1/incidents/{incident_id}", json={"status": "contained"})
    assert patched.json()["status"] == "contained"
    assert (
        client.post(f"/api/v1/incidents/{incident_id}/notes", json={"text": "Wiped"}).status_code
        == 201
    )
    assert (
        client.post(f"/api/v1/incidents/{incident_id}/tasks", json={"title": "Rotate"}).status_code
        == 201
    )
    report = client.get(f"/api/v1/incidents/{incident_id}/reports/EU")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/markdown")
    assert "Approximate number of data subjects" in report.text
    assert "lixiufeng@fstsmart.com" in report.text
    saved = client.put(f"/api/v1/incidents/{incident_id}/reports/EU", json={"body": "Edited."})
    assert saved.status_code == 200
    assert client.get(f"/api/v1/incidents/{incident_id}/reports/EU").text == "Edited."
    auditor = staff_client(Role.AUDITOR)
    assert auditor.get(f"/api/v1/incidents/{incident_id}").status_code == 200
    assert (
        auditor.patch(f"/api/v1/incidents/{incident_id}", json={"lessons": "x"}).status_code == 403
    )


def test_every_change_is_audited(db: Database, declaration: Declaration) -> None:
    incident_id = _register(db, declaration)
    with db.unit_of_work() as session:
        service.update(
            session=session,
            declaration=declaration,
            incident_id=incident_id,
            changes={"status": "closed", "lessons": "Lock buckets by default."},
            actor=ACTOR,
        )
        service.add_task(
            session=session, incident_id=incident_id, title="Audit buckets", actor=ACTOR
        )
        service.add_note(session=session, incident_id=incident_id, text="Closed", actor=ACTOR)
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.target_id == incident_id)
            .order_by(AuditEvent.id)
        ).all()
    assert actions == [
        "incident.registered",
        "incident.updated",
        "incident.task_added",
        "incident.note_added",
    ]


def test_the_console_overview_lists_running_clocks_and_agreements_to_review(
    db: Database,
    declaration: Declaration,
    make_person: MakePerson,
    staff_client: Callable[[Role], TestClient],
) -> None:
    make_person("anna@example.de", "DE")
    make_person("li.lei@example.cn", "CN")
    incident_id = _register(db, declaration)
    with db.unit_of_work() as session:
        running = clocks.running_clocks(session, AWARE + timedelta(hours=1))
        reference = service.get(session=session, incident_id=incident_id).reference
    keys = [state.key for _incident, state in running]
    assert keys[0] == "CN/regulator/notice"  # 4 h comes before 72 h
    assert "EU/regulator/notice" in keys
    assert all(state.status == "open" for _incident, state in running)

    page = staff_client(Role.PRIVACY_OFFICER).get("/admin")
    assert page.status_code == 200
    assert "Needs attention" in page.text
    assert f"{reference}: notify regulator (CN)" in page.text
    assert "agreement review overdue since 2026-06-30" in page.text  # payment partners
    auditor = staff_client(Role.AUDITOR).get("/admin")
    assert f"{reference}: notify" in auditor.text  # auditors read incidents too
