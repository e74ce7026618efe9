"""One door out: refusals log nothing, restriction is honoured, disclosures are accounted for."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.rights.support import World, json_of, unzip

from privacyops.audit.models import AuditEvent
from privacyops.db import Database
from privacyops.disclosures import service
from privacyops.disclosures.models import Disclosure
from privacyops.policy.render.ropa import ropa_rows
from privacyops.policy.schema import Declaration
from privacyops.settings import Settings
from privacyops.staff.permissions import Role
from privacyops.subjects import service as subjects
from privacyops.vault.service import Vault

LOGISTICS = {
    "recipient": "logistics",
    "categories": ["orders"],
    "purpose": "order_cooperation",
    "basis": "service_necessity",
    "country": "CN",
}


def new_subject(db: Database, *, restricted: bool = False, country: str = "CN") -> str:
    with db.unit_of_work() as session:
        subject = subjects.create_subject(
            session=session, kind="customer", country=country, actor="test"
        )
        if restricted:
            subjects.set_state(
                session=session, subject_id=subject.id, state="restricted", actor="test"
            )
        return subject.id


def logged(db: Database) -> tuple[int, int]:
    with db.unit_of_work() as session:
        rows = session.scalar(select(func.count(Disclosure.id))) or 0
        events = session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "disclosure.made")
        )
        return rows, events or 0


@pytest.fixture
def admin(staff_client: Callable[[Role], TestClient]) -> TestClient:
    return staff_client(Role.ADMIN)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"recipient": "data_brokers"}, "recipient"),
        ({"categories": ["account"]}, "categories"),  # logistics may not receive account data
        ({"categories": ["no_such_category"]}, "categories"),
        ({"purpose": "product_analytics"}, "purpose"),
        ({"basis": "whim"}, "basis"),
        ({"basis": "legal_obligation"}, "basis"),  # not the ground logistics is declared on
        ({"country": "ZZ", "recipient": "payment_partners"}, "country"),
    ],
)
def test_a_disclosure_outside_the_declaration_is_refused_and_nothing_is_logged(
    admin: TestClient, db: Database, change: dict[str, object], field: str
) -> None:
    subject_id = new_subject(db)
    response = admin.post(
        "/api/v1/disclosures", json={**LOGISTICS, **change, "subject_id": subject_id}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    assert logged(db) == (0, 0)


def test_a_restricted_subject_is_not_disclosed_for_a_non_essential_purpose(
    admin: TestClient, db: Database
) -> None:
    subject_id = new_subject(db, restricted=True)
    analytics = {
        "subject_id": subject_id,
        "recipient": "service_providers",
        "categories": ["log_behavior"],
        "purpose": "product_analytics",
        "basis": "consent",
        "country": "CN",
    }
    response = admin.post("/api/v1/disclosures", json=analytics)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["field"] == "purpose"
    assert logged(db) == (0, 0)


def test_an_unknown_subject_is_refused(admin: TestClient, db: Database) -> None:
    response = admin.post("/api/v1/disclosures", json={**LOGISTICS, "subject_id": "nobody"})
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "subject_id"
    assert logged(db) == (0, 0)


def test_the_accounting_lists_every_past_disclosure_without_values(
    admin: TestClient, db: Database, staff_client: Callable[[Role], TestClient]
) -> None:
    subject_id = new_subject(db)
    other = new_subject(db)
    first = admin.post("/api/v1/disclosures", json={**LOGISTICS, "subject_id": subject_id})
    assert first.status_code == 201, first.text
    payment = {**LOGISTICS, "recipient": "payment_partners", "country": None}
    second = admin.post("/api/v1/disclosures", json={**payment, "subject_id": subject_id})
    assert second.status_code == 201, second.text
    assert second.json()["country"] == "CN"  # the recipient's only declared country
    assert (
        admin.post("/api/v1/disclosures", json={**LOGISTICS, "subject_id": other}).status_code
        == 201
    )
    listed = staff_client(Role.SUPPORT_AGENT).get(f"/api/v1/disclosures?subject_id={subject_id}")
    assert listed.status_code == 200
    assert [(d["recipient"], d["categories"]) for d in listed.json()] == [
        ("logistics", ["orders"]),
        ("payment_partners", ["orders"]),
    ]
    with db.unit_of_work() as session:
        lines = service.disclosures_for_subject(session, subject_id)
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "disclosure.made")
        ).first()
    assert [line.as_row()["basis"] for line in lines] == ["service_necessity"] * 2
    assert event is not None
    assert set(event.details) == {
        "disclosure_id",
        "recipient",
        "categories",
        "purpose",
        "basis",
        "country",
    }
    assert (
        staff_client(Role.AUDITOR).get(f"/api/v1/disclosures?subject_id={subject_id}").status_code
        == 403
    )


def test_the_access_package_lists_who_received_the_data_and_when(
    admin: TestClient, db: Database, settings: Settings, declaration: Declaration
) -> None:
    world = World(db, Vault.from_settings(settings), settings, declaration)
    subject_id = world.subject("wang.fang@example.com", country="CN")
    other = world.subject("li.lei@example.com", country="CN")
    for who in (subject_id, subject_id, other):
        response = admin.post("/api/v1/disclosures", json={**LOGISTICS, "subject_id": who})
        assert response.status_code == 201, response.text
    payment = {**LOGISTICS, "recipient": "payment_partners", "subject_id": subject_id}
    assert admin.post("/api/v1/disclosures", json=payment).status_code == 201

    report = world.execute(world.request(subject_id, "access", regime="CN"))

    assert report.completed
    assert report.download_token is not None
    files = unzip(world.download(report.download_token))
    rows = json_of(files, "disclosures.json")
    assert [(r["recipient"], r["country"], r["categories"]) for r in rows] == [
        ("logistics", "CN", "orders"),
        ("logistics", "CN", "orders"),
        ("payment_partners", "CN", "orders"),
    ]
    assert all(datetime.fromisoformat(r["disclosed_at"]).tzinfo is not None for r in rows)
    assert "disclosures.csv" in files
    assert "wang.fang" not in files["disclosures.csv"].decode()  # recipients and times only


def test_records_of_processing_show_each_recipient_and_transfer_of_orders(
    declaration: Declaration,
) -> None:
    rows = [r for r in ropa_rows(declaration) if r["category_key"] == "orders"]
    assert {r["purpose_key"] for r in rows} == {"order_cooperation", "legal_obligations"}
    cooperation = next(r for r in rows if r["purpose_key"] == "order_cooperation")
    assert "Payment partners" in cooperation["recipients"]
    assert "Logistics providers" in cooperation["recipients"]
    assert "mainland China" in cooperation["transfers"]
    assert "legal:3y" in cooperation["retention_rule"]
