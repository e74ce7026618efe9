"""MQTT ingest through a real Mosquitto: credentials, ACL, ack after commit, refusals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from tests.mosquitto import Broker, wait_for
from tests.telemetry.conftest import SERIAL, Fleet, alarm, electrical, status

from privacyops.db import Database
from privacyops.policy.schema import Declaration
from privacyops.settings import Settings
from privacyops.telemetry import broker, codecs, messages, mqtt, rejections, service
from privacyops.telemetry.models import Message, Reading, Rejection
from privacyops.telemetry.publisher import DevicePublisher, PublishError, batch_payload
from privacyops.vault.service import Vault

OTHER = "FST-MCB-63-0000999"


class Running:
    """A consumer in a thread of the test process, with its own session on the broker."""

    def __init__(self, consumer: mqtt.Consumer) -> None:
        self.consumer = consumer
        self.stop = threading.Event()
        self.thread = threading.Thread(target=consumer.run, args=(self.stop,), daemon=True)
        self.thread.start()
        assert consumer.ready.wait(10), "the consumer did not subscribe"

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.fixture
def consumer(
    db: Database, vault: Vault, declaration: Declaration, mosquitto: Broker
) -> Iterator[Running]:
    options = mqtt.Options(
        host=mosquitto.host,
        port=mosquitto.port,
        password=broker.consumer_password(mosquitto.secret_key),
        client_id=f"test-{uuid.uuid4().hex[:8]}",
        max_bytes=20_000,
        broker_log=mosquitto.log,
        linger=0.01,
    )
    running = Running(mqtt.Consumer(db=db, vault=vault, declaration=declaration, options=options))
    yield running
    running.close()


def count(db: Database, model: type[object] = Reading) -> int:
    with db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[call-overload]


def refusals(
    fleet: Fleet, serial: str = SERIAL, source: str | None = None
) -> list[rejections.Refused]:
    with fleet.db.unit_of_work() as session:
        key = service.device_or_404(session, fleet.vault, serial).device_key
        found = rejections.for_device(session=session, device_key=key)
    return [r for r in found if source is None or r.source == source]


def test_device_logs_in_with_its_derived_password_and_readings_arrive(
    fleet: Fleet, mosquitto: Broker, consumer: Running, now: datetime
) -> None:
    _id, secret = fleet.device()
    mosquitto.configure(fleet.db, fleet.vault)
    with DevicePublisher(mosquitto.host, mosquitto.port, SERIAL, secret=secret) as device:
        device.publish(
            [
                batch_payload([electrical(now - timedelta(minutes=2))]),
                batch_payload([status(now - timedelta(minutes=1))], encoding=codecs.Encoding.JSON),
                batch_payload(
                    [electrical(now - timedelta(minutes=3))], encoding=codecs.Encoding.MSGPACK
                ),
            ]
        )
        device.publish([batch_payload([alarm(now)])], channel="alarms")
    wait_for(lambda: count(fleet.db) == 4, what="four readings")
    with fleet.db.unit_of_work() as session:
        found = service.device_or_404(session, fleet.vault, SERIAL)
        alarms = service.alarms_for_device(session=session, device=found)
        assert [a.alarm_type for a in alarms] == ["overvoltage"]
        assert found.last_seen_at == now
    assert count(fleet.db, Message) == 4


def test_wrong_password_is_refused_by_the_broker(fleet: Fleet, mosquitto: Broker) -> None:
    fleet.device()
    mosquitto.configure(fleet.db, fleet.vault)
    with pytest.raises(PublishError, match="refused"):
        DevicePublisher(mosquitto.host, mosquitto.port, SERIAL, secret="pod_not-the-secret")


def test_a_redelivered_batch_is_stored_once(
    fleet: Fleet, mosquitto: Broker, consumer: Running, now: datetime
) -> None:
    _id, secret = fleet.device()
    mosquitto.configure(fleet.db, fleet.vault)
    payload = batch_payload([electrical(now - timedelta(minutes=m)) for m in range(1, 6)])
    again = batch_payload([electrical(now)], batch_id="fixed-id")
    with DevicePublisher(mosquitto.host, mosquitto.port, SERIAL, secret=secret) as device:
        device.publish([payload, payload, again])
        wait_for(lambda: count(fleet.db, Message) == 2, what="two batches")
        device.publish(
            [batch_payload([electrical(now + timedelta(minutes=1))], batch_id="fixed-id")]
        )
        device.publish([batch_payload([electrical(now - timedelta(minutes=30))])])
    wait_for(lambda: count(fleet.db, Message) == 3, what="the last batch")
    assert count(fleet.db) == 7  # 5 + 1 + 1: the repeated payload and the reused id stored nothing
    assert consumer.consumer.totals.duplicates >= 6


def test_publishing_to_another_devices_topic_is_denied_and_counted(
    fleet: Fleet, mosquitto: Broker, consumer: Running, now: datetime
) -> None:
    _id, secret = fleet.device()
    fleet.device(OTHER)
    mosquitto.configure(fleet.db, fleet.vault)
    with DevicePublisher(mosquitto.host, mosquitto.port, SERIAL, secret=secret) as device:
        device.publish(
            [batch_payload([electrical(now)])], topic=messages.topic_for(OTHER, "telemetry")
        )
        device.publish([batch_payload([alarm(now)])], topic=messages.topic_for(OTHER, "alarms"))
    wait_for(lambda: len(refusals(fleet)) == 2, what="two denials")
    assert {r.source for r in refusals(fleet)} == {"broker"}
    assert "devices/FST-MCB-63-0000999/telemetry" in refusals(fleet)[-1].reason
    assert count(fleet.db) == 0
    assert refusals(fleet, OTHER) == []
    with fleet.db.unit_of_work() as session:
        key = service.device_or_404(session, fleet.vault, SERIAL).device_key
        assert rejections.counts_for_device(session=session, device_key=key) == {"broker": 2}


def test_bad_messages_are_recorded_and_the_consumer_keeps_going(
    fleet: Fleet, mosquitto: Broker, consumer: Running, now: datetime
) -> None:
    _id, secret = fleet.device()
    mosquitto.configure(fleet.db, fleet.vault)
    bad = [
        b"{not json",
        b"\xa1\x63foo\x01",  # CBOR {"foo": 1}
        batch_payload([{**electrical(now), "owner_email": "a@example.com"}]),
        batch_payload([electrical(now + timedelta(hours=2))]),
        batch_payload([electrical(now - timedelta(seconds=s)) for s in range(200)]),
        codecs.encode({"readings": [electrical(now)]}, codecs.Encoding.JSON),
    ]
    with DevicePublisher(mosquitto.host, mosquitto.port, SERIAL, secret=secret) as device:
        device.publish(bad)
        device.publish([batch_payload([status(now)])], channel="alarms")
        device.publish([batch_payload([electrical(now - timedelta(minutes=5))])])
    wait_for(lambda: count(fleet.db) == 1, what="the good reading")
    # (the broker's log of earlier tests is read again: its denials are not counted here)
    wait_for(lambda: len(refusals(fleet, source="mqtt")) == 7, what="seven refusals")
    reasons = " | ".join(r.reason for r in refusals(fleet, source="mqtt"))
    assert "not valid JSON" in reasons
    assert "unknown key 'foo'" in reasons
    assert "owner_email" in reasons
    assert "in the future" in reasons
    assert "exceeds the 20000-byte limit" in reasons
    assert "batch_id is required" in reasons
    assert "only alarm readings" in reasons
    assert all(r.size > 0 for r in refusals(fleet, source="mqtt"))


def test_unknown_serial_is_recorded_against_its_pseudonym(
    fleet: Fleet, db: Database, vault: Vault, declaration: Declaration, now: datetime
) -> None:
    payload = batch_payload([electrical(now)])
    with db.unit_of_work() as session:
        result = messages.store_group(
            session=session,
            vault=vault,
            declaration=declaration,
            messages=[
                messages.Incoming(messages.topic_for("FST-NOBODY-1"), payload),
                messages.Incoming("devices/x/other", payload),
            ],
        )
    assert result.refused == 2
    assert result.stored == 0
    fleet.device("FST-NOBODY-1")
    found = refusals(fleet, "fst-nobody-1")
    assert [r.reason for r in found] == ["unknown serial: no device is registered"]
    assert count(db, Rejection) == 2


def _consumer_process(
    settings: Settings, mosquitto: Broker, client_id: str
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:
            env[f"PRIVACYOPS_{name.upper()}"] = str(value)
    command = [
        sys.executable,
        "-c",
        "from privacyops.cli import app; app()",
        *("devices", "mqtt", "--broker", mosquitto.address, "--client-id", client_id),
        *("--group", "5"),
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_kill_9_of_the_consumer_loses_nothing_acknowledged_and_stores_nothing_twice(
    fleet: Fleet, mosquitto: Broker, settings: Settings, now: datetime
) -> None:
    _id, secret = fleet.device()
    mosquitto.configure(fleet.db, fleet.vault)
    client_id = f"kill-{uuid.uuid4().hex[:8]}"
    connected = f"as {broker.CONSUMER} "  # the broker uses the user name as client id
    before = mosquitto.log.read_text().count(connected)
    first = _consumer_process(settings, mosquitto, client_id)
    wait_for(lambda: mosquitto.log.read_text().count(connected) > before, what="the consumer")
    start = now - timedelta(days=8)  # 10,000 minutes of readings, up to now
    total, per_message = 200, 50
    payloads = [
        batch_payload(
            [
                electrical(start + timedelta(seconds=60 * (n * per_message + i)))
                for i in range(per_message)
            ]
        )
        for n in range(total)
    ]

    def publish() -> None:
        with DevicePublisher(mosquitto.host, mosquitto.port, SERIAL, secret=secret) as device:
            for n in range(0, total, 5):
                device.publish(payloads[n : n + 5])
                time.sleep(0.02)

    publisher = threading.Thread(target=publish)
    publisher.start()
    wait_for(lambda: count(fleet.db, Message) >= 20, what="the first commits")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    committed_at_kill = count(fleet.db, Message)
    publisher.join(60)
    assert committed_at_kill < total, "the consumer finished before it was killed"
    second = _consumer_process(settings, mosquitto, client_id)
    try:
        wait_for(lambda: count(fleet.db, Message) == total, seconds=60, what="every batch")
        wait_for(lambda: count(fleet.db) == total * per_message, what="every reading")
        time.sleep(0.5)  # anything delivered twice would be stored by now
        assert count(fleet.db) == total * per_message
        assert count(fleet.db, Message) == total
        assert count(fleet.db, Rejection) == 0
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(10) == 0, second.stderr.read() if second.stderr else ""
