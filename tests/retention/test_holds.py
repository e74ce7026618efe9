"""Legal holds through the API, the console and the CLI; erasures keep what a hold covers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.retention.support import ACTOR, count, person, plant
from tests.rights.support import World
from typer.testing import CliRunner

from privacyops.audit.models import AuditEvent
from privacyops.cli import app as cli
from privacyops.db import Database, utcnow
from privacyops.policy.schema import Declaration
from privacyops.retention import service
from privacyops.retention.models import LegalHold, SweepReport
from privacyops.rights.executors import extensions
from privacyops.settings import Settings
from privacyops.staff.permissions import Role
from privacyops.vault.service import Vault

runner = CliRunner()


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:
            monkeypatch.setenv(f"PRIVACYOPS_{name.upper()}", str(value))
    monkeypatch.setenv("COLUMNS", "250")


def test_staff_place_and_lift_holds_through_the_api(
    db: Database, staff_client: Callable[[Role], TestClient]
) -> None:
    someone = person(db)
    dpo = staff_client(Role.PRIVACY_OFFICER)
    created = dpo.post(
        "/api/v1/retention/holds",
        json={
            "subject_id": someone,
            "category": "support",
            "reason": "Litigation: Zhang v. FST",
            "law": "PRC Civil Procedure Law art. 67",
            "reference": "(2026) Jing 0105 Min Chu 123",
            "ends_at": (utcnow() + timedelta(days=90)).isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    hold = created.json()
    assert hold["state"] == "active"
    listed = staff_client(Role.AUDITOR).get("/api/v1/retention/holds?active=true").json()
    assert [h["id"] for h in listed["holds"]] == [hold["id"]]

    lifted = dpo.post(f"/api/v1/retention/holds/{hold['id']}/lift")
    assert lifted.json()["state"] == "lifted"
    again = dpo.post(f"/api/v1/retention/holds/{hold['id']}/lift")
    assert again.status_code == 409
    assert again.json()["error"]["field"] == "hold_id"
    assert dpo.get("/api/v1/retention/holds?active=true").json()["holds"] == []
    with db.unit_of_work() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.like("retention.hold_%"))
            .order_by(AuditEvent.id)
        ).all()
    assert [e.action for e in events] == ["retention.hold_created", "retention.hold_lifted"]
    assert all("Zhang" not in str(e.details) for e in events)  # the reason stays out


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"reason": "r", "law": "l"}, 422, "subject_id"),
        ({"reason": "r", "law": "l", "category": "shoe_sizes"}, 422, "category"),
        ({"reason": " ", "law": "l", "category": "support"}, 422, "reason"),
        ({"reason": "r", "law": "l", "subject_id": "nobody"}, 404, "subject_id"),
        (
            {"reason": "r", "law": "l", "category": "support", "ends_at": "2020-01-01T00:00:00Z"},
            422,
            "ends_at",
        ),
        ({"reason": "r", "law": "l", "category": "support", "extra": 1}, 422, None),
    ],
)
def test_bad_holds_are_refused_in_the_one_error_shape(
    staff_client: Callable[[Role], TestClient],
    body: dict[str, object],
    status: int,
    field: str | None,
) -> None:
    response = staff_client(Role.PRIVACY_OFFICER).post("/api/v1/retention/holds", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "field"}
    if field is not None:
        assert error["field"] == field


def test_only_retention_managers_place_holds(staff_client: Callable[[Role], TestClient]) -> None:
    body = {"reason": "r", "law": "l", "category": "support"}
    for role in (Role.AUDITOR, Role.SUPPORT_AGENT):
        assert staff_client(role).post("/api/v1/retention/holds", json=body).status_code == 403
    assert staff_client(Role.SUPPORT_AGENT).get("/api/v1/retention/holds").status_code == 403
    assert staff_client(Role.AUDITOR).get("/api/v1/retention/sweeps").status_code == 200


def test_the_console_places_and_lifts_a_hold(
    db: Database, staff_client: Callable[[Role], TestClient]
) -> None:
    client = staff_client(Role.PRIVACY_OFFICER)
    token = client.headers["x-csrf-token"]
    del client.headers["x-csrf-token"]
    placed = client.post(
        "/admin/retention/holds",
        data={
            "csrf_token": token,
            "category": "support",
            "law": "CSL art. 21",
            "reason": "inquiry",
            "ends_at": "",
        },
        follow_redirects=False,
    )
    assert placed.status_code == 303
    page = client.get(placed.headers["location"])
    assert "CSL art. 21" in page.text
    assert "placed" in page.text
    with db.unit_of_work() as session:
        hold_id = session.scalars(select(LegalHold.id)).one()
    lifted = client.post(
        f"/admin/retention/holds/{hold_id}/lift", data={"csrf_token": token}, follow_redirects=False
    )
    assert lifted.status_code == 303
    refused = client.post(
        "/admin/retention/holds",
        data={"csrf_token": token, "category": "nope", "law": "l", "reason": "r"},
    )
    assert refused.status_code == 422
    assert "category" in refused.text
    assert (
        client.post("/admin/retention/holds/HOLD-NOPE/lift", data={"csrf_token": token}).status_code
        == 404
    )


def test_the_console_speaks_chinese_when_staff_switch(
    staff_client: Callable[[Role], TestClient],
) -> None:
    client = staff_client(Role.PRIVACY_OFFICER)
    token = client.headers["x-csrf-token"]
    del client.headers["x-csrf-token"]
    page = client.get("/admin/retention?lang=zh-CN")
    assert page.status_code == 200
    assert "<h1>保存期限</h1>" in page.text
    assert "各类别即将到期情况" in page.text
    assert "Upcoming expiry per category" not in page.text
    placed = client.post(
        "/admin/retention/holds",
        data={"csrf_token": token, "category": "support", "law": "CSL art. 21", "reason": "r"},
        follow_redirects=False,
    )
    shown = client.get(placed.headers["location"])
    assert "已设置保全 HOLD-" in shown.text  # the message, in the console's language
    assert "生效中" in shown.text  # the hold's state
    assert "until lifted" not in shown.text
    assert "直至解除" in shown.text


def test_the_hold_provider_reports_holds_to_erasures(
    db: Database, vault: Vault, declaration: Declaration
) -> None:
    held, other = person(db), person(db)
    plant(db, vault, other, "ip_address", {"ip_address": "10.1.1.1"})
    with db.unit_of_work() as session:
        service.create_hold(
            session=session,
            declaration=declaration,
            actor=ACTOR,
            reason="r",
            law="Court order 7",
            subject_id=held,
        )
        service.create_hold(
            session=session,
            declaration=declaration,
            actor=ACTOR,
            reason="r",
            law="CSL",
            category="ip_address",
        )
        mine = extensions.legal_holds(session, held)
        theirs = extensions.legal_holds(session, other)
    assert [(h.law, h.categories) for h in mine] == [("Court order 7", None)]
    assert [(h.law, h.categories) for h in theirs] == [("CSL", ("ip_address",))]


def test_an_erasure_keeps_what_a_hold_covers(
    db: Database, vault: Vault, settings: Settings, declaration: Declaration
) -> None:
    world = World(db, vault, settings, declaration)
    alice = world.subject("alice.hold@example.com")
    with db.unit_of_work() as session:
        service.create_hold(
            session=session,
            declaration=declaration,
            actor=ACTOR,
            reason="litigation",
            law="PRC Civil Procedure Law",
            subject_id=alice,
            category="contact",
            reference="case 42",
        )
    report = world.execute(world.request(alice, "deletion"))
    assert report.completed
    [kept] = report.outcome["kept"]
    assert kept["category"] == "contact"
    assert "PRC Civil Procedure Law" in kept["law"]
    assert "case 42" in kept["law"]
    assert world.records_of(alice) == 0


@pytest.mark.usefixtures("env")
def test_holds_and_sweeps_from_the_command_line(db: Database, vault: Vault) -> None:
    someone = person(db)
    plant(db, vault, someone, "support", {"message": "m"})
    other = person(db)
    plant(db, vault, other, "support", {"message": "m"})
    placed = runner.invoke(
        cli,
        [
            "retention",
            "holds",
            "create",
            "--subject",
            someone,
            "--reason",
            "r",
            "--law",
            "Court order",
            "--until",
            "2099-01-01",
        ],
    )
    assert placed.exit_code == 0, placed.output
    assert "Court order" in runner.invoke(cli, ["retention", "holds", "list"]).output

    dry = runner.invoke(cli, ["retention", "sweep", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "support" in dry.output
    assert "Nothing was changed" in dry.output
    assert count(db) == 2
    with db.unit_of_work() as session:
        assert session.scalar(select(SweepReport.id)) is None

    swept = runner.invoke(cli, ["retention", "sweep", "--batch", "1"])
    assert swept.exit_code == 0, swept.output
    assert "1 deleted" in swept.output
    assert "1 held" in swept.output
    assert count(db) == 1
    assert "done" in runner.invoke(cli, ["retention", "reports"]).output
    assert "support" in runner.invoke(cli, ["retention", "upcoming"]).output


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize(
    "args",
    [
        ["retention", "sweep", "--batch", "0"],
        ["retention", "sweep", "--batch", "many"],
        ["retention", "holds", "create", "--reason", "r", "--law", "l"],
        ["retention", "holds", "create", "--reason", "r", "--law", "l", "--category", "x"],
        [
            "retention",
            "holds",
            "create",
            "--reason",
            "r",
            "--law",
            "l",
            "--category",
            "support",
            "--until",
            "soon",
        ],
        ["retention", "holds", "lift", "HOLD-NOPE"],
    ],
)
def test_bad_arguments_are_clear_errors(db: Database, args: list[str]) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
