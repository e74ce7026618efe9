"""Signed batches: good readings stored, bad ones reported by index, resends idempotent."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.telemetry.conftest import (
    SERIAL,
    Fleet,
    alarm,
    electrical,
    post_batch,
    status,
)

from privacyops.db import Database
from privacyops.tables import Base
from privacyops.telemetry import pseudonyms
from privacyops.telemetry.models import Device, Reading


def count_readings(db: Database) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Reading)) or 0


def test_a_signed_batch_is_stored_and_acknowledged(
    fleet: Fleet, device_client: Callable[..., TestClient], now: datetime
) -> None:
    _id, secret = fleet.device()
    readings = [electrical(now - timedelta(minutes=15)), status(now), alarm(now)]
    response = post_batch(device_client(), readings, secret=secret)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 3, "stored": 3, "duplicates": 0, "rejected": []}
    assert count_readings(fleet.db) == 3  # committed before the answer


def test_a_mixed_batch_stores_the_good_and_names_the_bad_by_index(
    fleet: Fleet, device_client: Callable[..., TestClient], now: datetime
) -> None:
    _id, secret = fleet.device()
    readings: list[dict[str, object]] = [
        electrical(now - timedelta(minutes=30)),
        electrical(now - timedelta(minutes=25), voltage=1200.0),
        electrical(now - timedelta(minutes=20), shoe_size=42),
        electrical(now - timedelta(minutes=15), units={"voltage": "kV"}),
        electrical(now + timedelta(hours=2)),
        electrical(now - timedelta(minutes=10), recorded_at="2026-01-01T00:00:00"),
        {"kind": "gossip", "recorded_at": now.isoformat()},
        status(now - timedelta(minutes=5), switch_state="melted"),
        alarm(now, alarm_code=None),
        electrical(now - timedelta(minutes=5), voltage=float("nan")),
        electrical(now - timedelta(minutes=4), current=True),
        electrical(now - timedelta(days=400)),
        status(now, units={"signal_strength": "dBm"}),
    ]
    response = post_batch(device_client(), readings, secret=secret)
    assert response.status_code == 207, response.text
    body = response.json()
    assert body["accepted"] == 2
    assert body["stored"] == 2
    rejected = {r["index"]: (r["field"], r["reason"]) for r in body["rejected"]}
    assert sorted(rejected) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert rejected[1] == ("voltage", "voltage 1200.0 V is outside 0..1000 V")
    assert rejected[2] == (
        "shoe_size",
        "shoe_size is not a declared field of electrical_parameters",
    )
    assert rejected[3][0] == "voltage"
    assert "'kV'" in rejected[3][1]
    assert rejected[4] == ("recorded_at", "recorded_at is in the future")
    assert "time zone" in rejected[5][1]
    assert rejected[6][0] == "kind"
    assert rejected[7][0] == "switch_state"
    assert rejected[8] == ("alarm_code", "alarm_code is required")
    assert rejected[9][0] == "voltage"
    assert rejected[10] == ("current", "current must be a number")
    assert rejected[11] == ("recorded_at", "recorded_at is older than the declared retention")
    assert count_readings(fleet.db) == 2


def test_resending_a_batch_stores_nothing_twice(
    fleet: Fleet, device_client: Callable[..., TestClient], now: datetime
) -> None:
    _id, secret = fleet.device()
    client = device_client()
    readings = [electrical(now - timedelta(minutes=m)) for m in (30, 15)] + [status(now)]
    assert post_batch(client, readings, secret=secret).json()["stored"] == 3
    again = post_batch(client, [*readings, alarm(now)], secret=secret)
    assert again.status_code == 200
    assert again.json() == {"accepted": 4, "stored": 1, "duplicates": 3, "rejected": []}
    twice = post_batch(client, [status(now - timedelta(hours=1))] * 2, secret=secret)
    assert twice.json() == {"accepted": 2, "stored": 1, "duplicates": 1, "rejected": []}
    assert count_readings(fleet.db) == 5


def test_duplicates_are_idempotent_in_the_service_too(fleet: Fleet, now: datetime) -> None:
    fleet.device()
    batch = [electrical(now - timedelta(minutes=m)) for m in range(0, 60, 5)]
    assert fleet.ingest(batch).stored == 12
    second = fleet.ingest([*batch[6:], electrical(now - timedelta(minutes=61))])
    assert (second.stored, second.duplicates, second.accepted) == (1, 6, 7)
    assert count_readings(fleet.db) == 13


def test_an_unknown_device_or_a_bad_signature_is_refused(
    fleet: Fleet, device_client: Callable[..., TestClient], now: datetime
) -> None:
    _id, secret = fleet.device()
    _other, other_secret = fleet.device("FST-MCB-63-0000999")
    client = device_client()
    readings = [electrical(now)]
    unknown = post_batch(client, readings, secret=secret, serial="FST-NOT-REGISTERED")
    forged = post_batch(client, readings, secret=other_secret)
    garbage = post_batch(client, readings, secret=secret, signature="00" * 32)
    for response in (unknown, forged, garbage):
        assert response.status_code == 401
        assert response.json()["error"]["message"] == "unknown device or bad signature"
    body = json.dumps({"readings": readings}).encode()
    tampered = client.post(
        "/api/v1/telemetry/batches",
        content=body.replace(b"229.5", b"999.5"),
        headers={"x-device-serial": SERIAL, "x-signature": pseudonyms.sign(secret, body)},
    )
    assert tampered.status_code == 401
    assert count_readings(fleet.db) == 0


def test_headers_and_body_shape_are_checked(
    fleet: Fleet, device_client: Callable[..., TestClient]
) -> None:
    _id, secret = fleet.device()
    client = device_client()
    missing = client.post("/api/v1/telemetry/batches", json={"readings": []})
    assert missing.status_code == 422
    assert missing.json()["error"]["field"] == "X-Device-Serial"
    for body in (b"not json", b'{"readings": 3}', b"[]"):
        response = client.post(
            "/api/v1/telemetry/batches",
            content=body,
            headers={"x-device-serial": SERIAL, "x-signature": pseudonyms.sign(secret, body)},
        )
        assert response.status_code == 422, body


def test_other_scopes_cannot_send_telemetry(
    fleet: Fleet, device_client: Callable[..., TestClient], now: datetime
) -> None:
    _id, secret = fleet.device()
    response = post_batch(device_client("intake.write"), [electrical(now)], secret=secret)
    assert response.status_code == 403


def test_no_serial_is_stored_anywhere(
    fleet: Fleet, device_client: Callable[..., TestClient], now: datetime
) -> None:
    """Readings carry the keyed pseudonym; the registry keeps it and the last four characters."""
    _id, secret = fleet.device()
    subject_id = fleet.account("acct-serial-check")
    fleet.claim(SERIAL, subject_id, now - timedelta(hours=1))
    readings = [electrical(now - timedelta(minutes=10)), status(now), alarm(now)]
    assert post_batch(device_client(), readings, secret=secret).status_code == 200
    needles = (SERIAL, SERIAL.lower(), SERIAL[:-4])
    with fleet.db.unit_of_work() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                for value in row:
                    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                    assert not any(n in text for n in needles), (table.name, value)
        keys = set(session.scalars(select(Reading.device_key)))
        device = session.scalars(select(Device)).one()
    assert keys == {device.device_key}
    assert device.serial_tail == SERIAL[-4:]
    assert [c.name for c in Reading.__table__.columns if "serial" in c.name] == []


def test_status_readings_update_the_registry(fleet: Fleet, now: datetime) -> None:
    device_id, _secret = fleet.device()
    fleet.ingest([status(now - timedelta(hours=2), firmware_version="2.3.9"), status(now)])
    with fleet.db.unit_of_work() as session:
        device = session.get(Device, device_id)
        assert device is not None
        assert device.firmware == "2.4.0"
        assert device.last_seen_at == now
