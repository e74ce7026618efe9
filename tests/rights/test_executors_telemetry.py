"""Telemetry in rights requests: readings of owned devices during ownership, and their erasure."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from tests.rights.support import ACTOR, ALICE, World, json_of, unzip

from privacyops.db import utcnow
from privacyops.telemetry import service as telemetry
from privacyops.telemetry.models import Ownership, Reading

SERIAL = "FST-MCB-63-0000777"


def _reading(at: datetime, voltage: float) -> dict[str, object]:
    return {
        "kind": "electrical",
        "recorded_at": at.isoformat(),
        "voltage": voltage,
        "current": 1.2,
        "power": 260.0,
        "energy": 12.5,
        "power_factor": 0.94,
        "frequency": 50.0,
        "temperature": 31.5,
    }


def _owned_device(world: World, subject_id: str) -> None:
    now = utcnow().replace(microsecond=0)
    with world.db.unit_of_work() as session:
        telemetry.register_device(
            session=session,
            vault=world.vault,
            serial=SERIAL,
            model="FST-MCB-63",
            firmware="2.3.1",
            region="CN",
            actor=ACTOR,
        )
    with world.db.unit_of_work() as session:
        device = telemetry.device_or_404(session, world.vault, SERIAL)
        telemetry.ingest_batch(
            session=session,
            declaration=world.declaration,
            device=device,
            readings=[_reading(now - timedelta(hours=3), 221.0)],  # before the claim
        )
    with world.db.unit_of_work() as session:
        telemetry.claim(
            session=session,
            vault=world.vault,
            declaration=world.declaration,
            serial=SERIAL,
            subject_id=subject_id,
            actor=ACTOR,
            at=now - timedelta(hours=2),
        )
    with world.db.unit_of_work() as session:
        device = telemetry.device_or_404(session, world.vault, SERIAL)
        telemetry.ingest_batch(
            session=session,
            declaration=world.declaration,
            device=device,
            readings=[_reading(now - timedelta(hours=1), 229.5)],
        )


def test_access_holds_the_readings_of_the_ownership_period_only(world: World) -> None:
    alice = world.subject(ALICE)
    _owned_device(world, alice)
    token = world.execute(world.request(alice, "access")).download_token
    assert token is not None
    rows = json_of(unzip(world.download(token)), "telemetry.json")
    assert [r["values"]["voltage"] for r in rows] == [229.5]
    assert rows[0]["device_model"] == "FST-MCB-63"


def test_deletion_unlinks_the_devices_and_deletes_the_readings_of_the_period(
    world: World,
) -> None:
    alice = world.subject(ALICE)
    _owned_device(world, alice)
    report = world.execute(world.request(alice, "deletion"))
    assert report.completed
    assert report.outcome["telemetry"] == {"ownership_periods": 1, "readings_deleted": 1}
    with world.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Ownership)) == 0
        assert session.scalar(select(func.count()).select_from(Reading)) == 1  # not Alice's
