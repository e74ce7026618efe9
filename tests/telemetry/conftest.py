"""Telemetry fixtures: registered devices, accounts, signed requests (``Fleet``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from tests.mosquitto import MOSQUITTO, Broker, free_port

from privacyops.db import Database, utcnow
from privacyops.policy.schema import Declaration
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings
from privacyops.staff import service as staff
from privacyops.subjects import service as subjects
from privacyops.telemetry import pseudonyms, service
from privacyops.vault.service import Vault

ACTOR = "staff:test"
SERIAL = "FST-MCB-63-0000123"


def iso(moment: datetime) -> str:
    return moment.isoformat()


def electrical(at: datetime, **values: object) -> dict[str, object]:
    reading: dict[str, object] = {
        "kind": "electrical",
        "recorded_at": iso(at),
        "voltage": 229.5,
        "current": 1.2,
        "power": 260.0,
        "energy": 1234.5,
        "power_factor": 0.94,
        "frequency": 50.0,
        "temperature": 31.5,
    }
    reading.update(values)
    return reading


def status(at: datetime, **values: object) -> dict[str, object]:
    reading: dict[str, object] = {
        "kind": "status",
        "reported_at": iso(at),
        "online": True,
        "switch_state": "on",
        "signal_strength": -61,
        "firmware_version": "2.4.0",
    }
    reading.update(values)
    return reading


def alarm(at: datetime, **values: object) -> dict[str, object]:
    reading: dict[str, object] = {
        "kind": "alarm",
        "occurred_at": iso(at),
        "alarm_type": "overvoltage",
        "alarm_code": "OV-01",
        "severity": "warning",
    }
    reading.update(values)
    return reading


@dataclass
class Fleet:
    db: Database
    vault: Vault
    declaration: Declaration

    def device(self, serial: str = SERIAL, *, region: str = "CN") -> tuple[int, str]:
        """A committed device: (id, signing secret)."""
        with self.db.unit_of_work() as session:
            device, secret = service.register_device(
                session=session,
                vault=self.vault,
                serial=serial,
                model="FST-MCB-63",
                firmware="2.3.1",
                region=region,
                actor=ACTOR,
            )
            return device.id, secret

    def account(self, account_id: str, *, country: str = "CN") -> str:
        """A committed customer subject with an account id; returns the subject id."""
        with self.db.unit_of_work() as session:
            subject = subjects.create_subject(
                session=session, kind="customer", country=country, actor=ACTOR
            )
            subjects.add_identity(
                session=session,
                vault=self.vault,
                subject_id=subject.id,
                kind="account_id",
                value=account_id,
                actor=ACTOR,
            )
            return subject.id

    def claim(self, serial: str, subject_id: str, at: datetime) -> None:
        with self.db.unit_of_work() as session:
            service.claim(
                session=session,
                vault=self.vault,
                declaration=self.declaration,
                serial=serial,
                subject_id=subject_id,
                actor=ACTOR,
                at=at,
            )

    def release(self, serial: str, subject_id: str, at: datetime) -> None:
        with self.db.unit_of_work() as session:
            service.release(
                session=session,
                vault=self.vault,
                serial=serial,
                subject_id=subject_id,
                actor=ACTOR,
                at=at,
            )

    def ingest(
        self, readings: list[dict[str, object]], serial: str = SERIAL
    ) -> service.BatchResult:
        with self.db.unit_of_work() as session:
            device = service.device_or_404(session, self.vault, serial)
            return service.ingest_batch(
                session=session, declaration=self.declaration, device=device, readings=readings
            )

    def linked(self, subject_id: str) -> list[service.LinkedReading]:
        with self.db.unit_of_work() as session:
            return list(service.readings_for_subject(session, subject_id))


@pytest.fixture
def vault(settings: Settings) -> Vault:
    return Vault.from_settings(settings)


@pytest.fixture
def declaration(settings: Settings) -> Declaration:
    return PolicyStore(settings.policy).declaration


@pytest.fixture
def fleet(db: Database, vault: Vault, declaration: Declaration) -> Fleet:
    return Fleet(db, vault, declaration)


@pytest.fixture
def now() -> datetime:
    return utcnow().replace(microsecond=0) - timedelta(minutes=1)


@pytest.fixture
def device_client(db: Database, new_client: Callable[[], TestClient]) -> Callable[..., TestClient]:
    """A client holding a fleet API key of the given scope (telemetry.write by default)."""

    def make(scope: str = "telemetry.write") -> TestClient:
        with db.unit_of_work() as session:
            key, _client = staff.create_api_client(
                session=session, name=f"fleet-{scope}", scopes=[scope], actor=ACTOR
            )
        client = new_client()
        client.headers["authorization"] = f"Bearer {key}"
        return client

    return make


def post_batch(
    client: TestClient,
    readings: list[dict[str, object]],
    *,
    secret: str,
    serial: str = SERIAL,
    signature: str | None = None,
) -> Response:
    body = json.dumps({"readings": readings}).encode()
    return client.post(
        "/api/v1/telemetry/batches",
        content=body,
        headers={
            "content-type": "application/json",
            "x-device-serial": serial,
            "x-signature": signature or pseudonyms.sign(secret, body),
        },
    )


@pytest.fixture(scope="session")
def mosquitto(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A real Mosquitto for the session, configured as `devices broker-config` writes it."""
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (Debian package mosquitto)")
    running = Broker(
        tmp_path_factory.mktemp("mosquitto"), "127.0.0.1", free_port(), settings.secret_key
    )
    running.start()
    yield running
    running.stop()
