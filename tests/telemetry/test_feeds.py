"""Alarms per device and per account, and analytics exports under monthly pseudonyms."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.telemetry.conftest import SERIAL, Fleet, alarm, electrical, status

from privacyops.staff.permissions import Role
from privacyops.telemetry import service
from privacyops.telemetry.models import Device

OTHER = "FST-MCB-63-0000777"


def test_alarms_by_device_and_by_account(
    fleet: Fleet, staff_client: Callable[[Role], TestClient], now: datetime
) -> None:
    fleet.device()
    fleet.device(OTHER)
    owner = fleet.account("acct-alarms")
    fleet.ingest([alarm(now - timedelta(hours=5), alarm_type="leakage", alarm_code="LK-30")])
    fleet.claim(SERIAL, owner, now - timedelta(hours=4))
    fleet.ingest([alarm(now - timedelta(hours=1), severity="critical"), electrical(now)])
    fleet.ingest([alarm(now - timedelta(hours=2))], serial=OTHER)
    agent = staff_client(Role.SUPPORT_AGENT)
    by_device = agent.get("/api/v1/telemetry/alarms", params={"device": SERIAL})
    assert by_device.status_code == 200, by_device.text
    assert [a["alarm_type"] for a in by_device.json()["alarms"]] == ["overvoltage", "leakage"]
    by_account = agent.get("/api/v1/telemetry/alarms", params={"account_id": "acct-alarms"})
    alarms = by_account.json()["alarms"]
    assert [(a["severity"], a["serial_tail"]) for a in alarms] == [("critical", SERIAL[-4:])]
    assert agent.get("/api/v1/telemetry/alarms").status_code == 422
    unknown = agent.get("/api/v1/telemetry/alarms", params={"device": "NOPE"})
    assert unknown.status_code == 404
    auditor = staff_client(Role.AUDITOR)
    assert auditor.get("/api/v1/telemetry/alarms", params={"device": SERIAL}).status_code == 403


def export(
    client: TestClient, start: datetime, end: datetime, **params: str
) -> list[dict[str, str]]:
    response = client.get(
        "/api/v1/telemetry/export",
        params={
            "from": start.isoformat().replace("+00:00", "Z"),
            "to": end.isoformat()[:19] + "Z",
            **params,
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_exports_carry_monthly_pseudonyms_and_never_the_serial(
    fleet: Fleet, staff_client: Callable[[Role], TestClient], now: datetime
) -> None:
    fleet.device()
    month_start = now.replace(day=1, hour=0, minute=0, second=0)
    before, after = month_start - timedelta(hours=1), month_start + timedelta(minutes=5)
    readings = [electrical(before), status(before), alarm(before)]
    if after < now:
        readings.append(electrical(after))
    fleet.ingest(readings)
    officer = staff_client(Role.PRIVACY_OFFICER)
    rows = export(officer, before - timedelta(days=1), now + timedelta(minutes=1))
    assert {r["kind"] for r in rows} == {"electrical", "status"}  # alarms are not for analytics
    names = {r["pseudonym"] for r in rows}
    months = {name.split(".")[0] for name in names}
    assert f"{before:%Y-%m}" in months
    with fleet.db.unit_of_work() as session:
        key = session.scalar(select(Device.device_key))
    assert key is not None
    text = repr(rows)
    assert SERIAL not in text
    assert key.hex() not in text
    if after < now:
        assert len(names) == 2  # a new month, a new pseudonym for the same device
    assert {r["voltage"] for r in rows if r["kind"] == "electrical"} == {"229.5"}
    assert (
        officer.get(
            "/api/v1/telemetry/export",
            params={"from": "2026-01-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"},
        ).status_code
        == 422
    )
    bad_purpose = officer.get(
        "/api/v1/telemetry/export",
        params={"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z", "purpose": "x"},
    )
    assert bad_purpose.status_code == 422


def test_exports_leave_out_owners_without_consent(fleet: Fleet, now: datetime) -> None:
    fleet.device()
    fleet.device(OTHER)
    yes, no = fleet.account("acct-yes"), fleet.account("acct-no")
    fleet.claim(SERIAL, yes, now - timedelta(hours=3))
    fleet.claim(OTHER, no, now - timedelta(hours=3))
    fleet.ingest([electrical(now - timedelta(hours=4)), electrical(now - timedelta(hours=1))])
    fleet.ingest(
        [electrical(now - timedelta(hours=4)), electrical(now - timedelta(hours=1))], serial=OTHER
    )
    asked: list[tuple[str, str]] = []

    def may_process(_session: object, subject_id: str, purpose: str) -> bool:
        asked.append((subject_id, purpose))
        return subject_id == yes

    with fleet.db.unit_of_work() as session:
        rows = list(
            service.export_rows(
                session=session,
                vault=fleet.vault,
                declaration=fleet.declaration,
                start=now - timedelta(days=1),
                end=now + timedelta(minutes=1),
                purpose="product_analytics",
                may_process=may_process,  # type: ignore[arg-type]
            )
        )
    times = sorted(row[1] for row in rows)  # type: ignore[type-var]
    # Both devices before their claims (linked to nobody), only the consenting owner's after.
    assert times == [now - timedelta(hours=4)] * 2 + [now - timedelta(hours=1)]
    assert sorted(set(asked)) == sorted({(yes, "product_analytics"), (no, "product_analytics")})
    with fleet.db.unit_of_work() as session:
        essential = list(
            service.export_rows(
                session=session,
                vault=fleet.vault,
                declaration=fleet.declaration,
                start=now - timedelta(days=1),
                end=now + timedelta(minutes=1),
                purpose="service_support",
                may_process=may_process,  # type: ignore[arg-type]
            )
        )
    assert len(essential) == 4  # no consent needed for providing the service


def test_pseudonyms_rotate_by_month() -> None:
    from privacyops.telemetry.pseudonyms import MonthlyPseudonyms

    class Keys:
        def blind_index_key(self, purpose: str) -> bytes:
            return purpose.encode().ljust(32, b"\0")[:32]

    names = MonthlyPseudonyms(Keys())  # type: ignore[arg-type]
    device = b"\x01" * 16
    november = names.of(device, datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    december = names.of(device, datetime(2026, 12, 1, tzinfo=UTC))
    assert november.startswith("2026-11.")
    assert december.startswith("2026-12.")
    assert november.split(".")[1] != december.split(".")[1]
    assert names.of(device, datetime(2026, 11, 2, tzinfo=UTC)) == november
