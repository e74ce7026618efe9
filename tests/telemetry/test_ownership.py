"""Ownership periods decide whose readings are whose; erasure removes the link."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.telemetry.conftest import SERIAL, Fleet, alarm, electrical, status

from privacyops.policy.loader import parse_declaration
from privacyops.settings import Settings
from privacyops.telemetry import service
from privacyops.telemetry.models import Ownership, Reading


def hours(now: datetime, *offsets: int) -> list[dict[str, object]]:
    return [electrical(now - timedelta(hours=h)) for h in offsets]


def test_ownership_periods_bound_what_a_subject_gets(fleet: Fleet, now: datetime) -> None:
    fleet.device()
    first, second = fleet.account("acct-first"), fleet.account("acct-second")
    fleet.ingest(hours(now, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1))
    fleet.claim(SERIAL, first, now - timedelta(hours=8, minutes=30))  # gets 8, 7, 6
    fleet.release(SERIAL, first, now - timedelta(hours=5, minutes=30))
    fleet.claim(SERIAL, second, now - timedelta(hours=3, minutes=30))  # gets 3, 2, 1
    got_first = [r.recorded_at for r in fleet.linked(first)]
    got_second = [r.recorded_at for r in fleet.linked(second)]
    assert got_first == [now - timedelta(hours=h) for h in (8, 7, 6)]
    assert got_second == [now - timedelta(hours=h) for h in (3, 2, 1)]
    reading = fleet.linked(second)[0]
    assert reading.kind == "electrical"
    assert reading.values["voltage"] == pytest.approx(229.5)
    assert "device_key" not in reading.values


def test_readings_after_a_release_belong_to_nobody(fleet: Fleet, now: datetime) -> None:
    fleet.device()
    owner = fleet.account("acct-owner")
    fleet.claim(SERIAL, owner, now - timedelta(hours=6))
    fleet.release(SERIAL, owner, now - timedelta(hours=3))
    fleet.ingest(hours(now, 5, 2, 1))
    assert [r.recorded_at for r in fleet.linked(owner)] == [now - timedelta(hours=5)]


def test_claims_conflict_and_repeat_cleanly(fleet: Fleet, now: datetime) -> None:
    fleet.device()
    first, second = fleet.account("acct-a"), fleet.account("acct-b")
    fleet.claim(SERIAL, first, now - timedelta(hours=2))
    fleet.claim(SERIAL, first, now)  # already held: no new period
    with pytest.raises(service.TelemetryError, match="claimed by another account"):
        fleet.claim(SERIAL, second, now)
    with pytest.raises(service.TelemetryError, match="does not hold"):
        fleet.release(SERIAL, second, now)
    fleet.release(SERIAL, first, now - timedelta(hours=1))
    with pytest.raises(service.TelemetryError, match="before the end of the previous"):
        fleet.claim(SERIAL, second, now - timedelta(hours=1, minutes=30))
    with pytest.raises(service.TelemetryError, match="in the future"):
        fleet.claim(SERIAL, second, now + timedelta(days=1))
    fleet.claim(SERIAL, second, now - timedelta(minutes=30))
    with fleet.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Ownership)) == 2


def test_only_kinds_the_declaration_links_are_attributed(
    fleet: Fleet, now: datetime, settings: Settings
) -> None:
    text = Path(settings.policy).read_text(encoding="utf-8")
    block = text.index("  - key: hardware_status")
    end = text.index("linked_to_identity: true", block) + len("linked_to_identity: true")
    unlinked = text[:block] + text[block:end].replace("true", "false") + text[end:]
    fleet.device()
    owner = fleet.account("acct-kinds")
    fleet.declaration = parse_declaration(unlinked, name="unlinked.yaml")
    fleet.claim(SERIAL, owner, now - timedelta(hours=1))
    fleet.ingest([electrical(now), status(now), alarm(now)])
    assert sorted(r.kind for r in fleet.linked(owner)) == ["alarm", "electrical"]


def test_unlinking_keeps_pseudonymous_readings_but_no_link(fleet: Fleet, now: datetime) -> None:
    fleet.device()
    owner, other = fleet.account("acct-erase"), fleet.account("acct-keep")
    fleet.claim(SERIAL, owner, now - timedelta(hours=5))
    fleet.ingest(hours(now, 4, 3))
    with fleet.db.unit_of_work() as session:
        result = service.unlink_subject(session, owner)
    assert (result.periods, result.readings_deleted) == (1, 0)
    assert fleet.linked(owner) == []
    with fleet.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Reading)) == 2
        assert session.scalar(select(func.count()).select_from(Ownership)) == 0
        assert service.unlink_subject(session, owner).periods == 0  # idempotent
    fleet.claim(SERIAL, other, now - timedelta(hours=2))  # the device is free again
    assert fleet.linked(other) == []


def test_unlinking_can_delete_the_readings_of_the_periods(fleet: Fleet, now: datetime) -> None:
    fleet.device()
    owner = fleet.account("acct-purge")
    fleet.ingest(hours(now, 9, 8))
    fleet.claim(SERIAL, owner, now - timedelta(hours=5))
    fleet.ingest(hours(now, 4, 3))
    with fleet.db.unit_of_work() as session:
        result = service.unlink_subject(session, owner, delete_readings=True)
    assert result.readings_deleted == 2
    with fleet.db.unit_of_work() as session:
        left = sorted(session.scalars(select(Reading.recorded_at)))
    assert left == [now - timedelta(hours=9), now - timedelta(hours=8)]


def test_the_ownership_api_uses_account_ids(
    fleet: Fleet, device_client: Callable[..., TestClient], now: datetime
) -> None:
    fleet.device()
    subject_id = fleet.account("acct-api")
    app = device_client("intake.write")
    claimed = app.post(
        "/api/v1/telemetry/ownerships", json={"serial": SERIAL, "account_id": "acct-api"}
    )
    assert claimed.status_code == 201, claimed.text
    assert claimed.json()["subject_id"] == subject_id
    assert claimed.json()["linked_kinds"] == ["alarm", "electrical", "status"]
    released = app.post(
        "/api/v1/telemetry/ownerships/release",
        json={"serial": SERIAL, "account_id": "acct-api"},
    )
    assert released.status_code == 200
    assert released.json()["released_at"] is not None
    unknown = app.post(
        "/api/v1/telemetry/ownerships", json={"serial": SERIAL, "account_id": "nobody"}
    )
    assert unknown.status_code == 404
    no_device = app.post(
        "/api/v1/telemetry/ownerships", json={"serial": "NOPE-1", "account_id": "acct-api"}
    )
    assert no_device.status_code == 404


def test_registration_gives_the_secret_once(
    fleet: Fleet, device_client: Callable[..., TestClient]
) -> None:
    client = device_client()
    body = {"serial": "FST-RCBO-40-77", "model": "FST-RCBO-40", "firmware": "1.0", "region": "de"}
    created = client.post("/api/v1/telemetry/devices", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["secret"].startswith("pod_")
    assert created.json()["serial_tail"] == "0-77"
    assert created.json()["region"] == "DE"
    again = client.post("/api/v1/telemetry/devices", json={**body, "serial": " fst-rcbo-40-77 "})
    assert again.status_code == 409
    bad = client.post("/api/v1/telemetry/devices", json={**body, "serial": "X2", "region": "Mars"})
    assert bad.status_code == 422
