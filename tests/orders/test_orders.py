"""Orders: checked against the declaration, contact in the vault, kept exactly the legal period."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.rights.support import World

from privacyops.db import Database
from privacyops.orders import service as orders
from privacyops.orders.models import Order
from privacyops.policy.retention import add_years
from privacyops.rights.executors import retention
from privacyops.rights.executors.models import RetainedData
from privacyops.staff.permissions import Role
from privacyops.subjects import service as subjects
from privacyops.subjects.models import PersonalRecord, SubjectState

NOTICE = "1.0.0"
ORDER = {
    "order_id": "SO-2026-0001",
    "products": "1 x FST breaker MCB-63",
    "amount": 129.5,
    "currency": "CNY",
    "billing_name": "Wang Fang",
    "billing_address": "1 Example Road, Beijing",
    "billing_phone": "+86 138 0013 8000",
    "shipping_name": "Wang Fang",
    "shipping_address": "2 Sample Street, Beijing",
}


def api_key(admin: TestClient) -> str:
    created = admin.post("/api/v1/api-clients", json={"name": "shop", "scopes": ["intake.write"]})
    assert created.status_code == 201, created.text
    key: str = created.json()["key"]
    return key


@pytest.fixture
def shop(
    staff_client: Callable[[Role], TestClient], new_client: Callable[[], TestClient]
) -> TestClient:
    client = new_client()
    client.headers["authorization"] = f"Bearer {api_key(staff_client(Role.ADMIN))}"
    account = {
        "account_id": "acct-7",
        "email": "wang@example.com",
        "created_at": "2026-01-01T00:00:00Z",
    }
    made = client.post(
        "/api/v1/intake/accounts",
        json={"notice_version": NOTICE, "country": "CN", "fields": account},
    )
    assert made.status_code == 201, made.text
    return client


def order_rows(db: Database) -> tuple[int, int]:
    with db.unit_of_work() as session:
        return (
            session.scalar(select(func.count(Order.id))) or 0,
            session.scalar(
                select(func.count(PersonalRecord.id)).where(PersonalRecord.category == "orders")
            )
            or 0,
        )


def test_an_order_is_kept_for_the_legal_period_with_its_contact_encrypted(
    shop: TestClient, db: Database
) -> None:
    response = shop.post(
        "/api/v1/orders", json={"notice_version": NOTICE, "account_id": "acct-7", "fields": ORDER}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    placed = datetime.fromisoformat(body["placed_at"])
    assert datetime.fromisoformat(body["retained_until"]) == add_years(placed, 3)
    assert "Civil Code" in body["law"]
    assert body["amount"] == "129.50"
    with db.unit_of_work() as session:
        rows = list(
            session.scalars(select(PersonalRecord).where(PersonalRecord.category == "orders"))
        )
    assert {r.field for r in rows} == set(ORDER)
    assert {r.purpose for r in rows} == {"order_cooperation"}
    assert all(r.expires_at == add_years(placed, 3) for r in rows)
    assert all(b"Wang Fang" not in r.ciphertext for r in rows)


@pytest.mark.parametrize(
    ("fields", "field", "status"),
    [
        ({**ORDER, "card_number": "4111"}, "fields.card_number", 422),
        ({k: v for k, v in ORDER.items() if k != "amount"}, "fields.amount", 422),
        ({**ORDER, "currency": "XXX"}, "fields.currency", 422),
    ],
)
def test_an_order_outside_the_declaration_is_refused_by_field_and_nothing_is_stored(
    shop: TestClient, db: Database, fields: dict[str, object], field: str, status: int
) -> None:
    response = shop.post(
        "/api/v1/orders", json={"notice_version": NOTICE, "account_id": "acct-7", "fields": fields}
    )
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field
    assert order_rows(db) == (0, 0)


def test_the_legal_period_runs_from_when_the_order_was_placed(
    shop: TestClient, db: Database
) -> None:
    placed = datetime.now(UTC).replace(microsecond=0) - timedelta(days=400)
    body = {
        "notice_version": NOTICE,
        "account_id": "acct-7",
        "fields": ORDER,
        "placed_at": placed.isoformat(),
    }
    response = shop.post("/api/v1/orders", json=body)
    assert response.status_code == 201, response.text
    assert datetime.fromisoformat(response.json()["retained_until"]) == add_years(placed, 3)
    with db.unit_of_work() as session:
        collected = set(
            session.scalars(
                select(PersonalRecord.collected_at).where(PersonalRecord.category == "orders")
            )
        )
    assert collected == {placed}


@pytest.mark.parametrize(
    "placed_at",
    [
        "2026-01-01T00:00:00",  # no zone
        (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        (datetime.now(UTC) - timedelta(days=4 * 366)).isoformat(),  # past the legal period
    ],
)
def test_an_order_placed_in_the_future_without_a_zone_or_too_long_ago_is_refused(
    shop: TestClient, db: Database, placed_at: str
) -> None:
    body = {
        "notice_version": NOTICE,
        "account_id": "acct-7",
        "fields": ORDER,
        "placed_at": placed_at,
    }
    response = shop.post("/api/v1/orders", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "placed_at"
    assert order_rows(db) == (0, 0)


def test_an_unknown_account_and_a_repeated_order_are_refused(shop: TestClient) -> None:
    body = {"notice_version": NOTICE, "account_id": "nobody", "fields": ORDER}
    assert shop.post("/api/v1/orders", json=body).status_code == 404
    body["account_id"] = "acct-7"
    assert shop.post("/api/v1/orders", json=body).status_code == 201
    again = shop.post("/api/v1/orders", json=body)
    assert again.status_code == 409
    assert again.json()["error"]["field"] == "fields.order_id"


def test_order_data_survives_account_deletion_for_exactly_the_legal_period(world: World) -> None:
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    until = add_years(start, 3)
    with time_machine.travel(start, tick=False):
        subject_id = world.subject("buyer@example.com", country="CN")
        with world.db.unit_of_work() as session:
            orders.record_order(
                session=session,
                vault=world.vault,
                declaration=world.declaration,
                subject_id=subject_id,
                fields=ORDER,
                notice_version=NOTICE,
                actor="test",
            )
    with time_machine.travel(start + timedelta(days=40), tick=False):
        world.execute(world.request(subject_id, "deletion"))
        with world.db.unit_of_work() as session:
            assert subjects.get_subject(session=session, subject_id=subject_id).state == "erased"
            kept = orders.retained_after_erasure(session, subject_id)
        assert [(k.order_ref, k.until) for k in kept] == [("SO-2026-0001", until)]
        assert "Civil Code" in kept[0].law
        assert "billing" in kept[0].what
    holder_values = {k: v for h in _holders(world) for k, v in world.values_of(h, "orders").items()}
    assert holder_values["billing_name"] == "Wang Fang"  # readable under the retention key
    almost = until - timedelta(seconds=1)
    with time_machine.travel(almost, tick=False), world.db.unit_of_work() as session:
        assert orders.purge_expired(session=session, actor="job") == 0
        assert len(orders.retained_after_erasure(session, subject_id)) == 1
        released = retention.release_expired_retention(
            session=session, vault=world.vault, actor="job"
        )
        assert released == 0
    with time_machine.travel(until, tick=False), world.db.unit_of_work() as session:
        assert orders.retained_after_erasure(session, subject_id) == []
        assert orders.purge_expired(session=session, actor="job") == 1
        assert (
            retention.release_expired_retention(session=session, vault=world.vault, actor="job")
            == 1
        )
        holders = _holders(world)
        assert all(
            subjects.get_subject(session=session, subject_id=h).state == SubjectState.ERASED
            for h in holders
        )
    assert order_rows(world.db)[0] == 0


def _holders(world: World) -> list[str]:
    """The retention subjects now holding the erased person's order values."""
    with world.db.unit_of_work() as session:
        query = select(RetainedData.holder_subject_id).where(RetainedData.category == "orders")
        return [h for h in session.scalars(query) if h is not None]


def test_the_orders_page_lists_orders_for_support(
    shop: TestClient, staff_client: Callable[[Role], TestClient]
) -> None:
    body = {"notice_version": NOTICE, "account_id": "acct-7", "fields": ORDER}
    assert shop.post("/api/v1/orders", json=body).status_code == 201
    page = staff_client(Role.SUPPORT_AGENT).get("/admin/orders")
    assert page.status_code == 200
    assert "SO-2026-0001" in page.text
    assert "129.50 CNY" in page.text
    assert "Wang Fang" not in page.text
    assert staff_client(Role.AUDITOR).get("/admin/orders").status_code == 403
