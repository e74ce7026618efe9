"""A device's side of MQTT: what firmware does, for the simulator, the tests and the benchmark.

A device connects with its serial as user name (and client id) and
``pseudonyms.mqtt_password(secret, serial)`` as password, and publishes each
batch at QoS 1 to ``devices/<serial>/telemetry`` (alarms may go to
``devices/<serial>/alarms``) with a fresh ``batch_id``. A publish is done when
the broker acknowledged it (it then holds it for the consumer).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from privacyops.telemetry import codecs, messages, pseudonyms

INFLIGHT = 200
TIMEOUT = 30.0


class PublishError(RuntimeError):
    pass


def batch_payload(
    readings: list[object],
    *,
    encoding: codecs.Encoding = codecs.Encoding.CBOR,
    batch_id: str | None = None,
) -> bytes:
    return codecs.encode({"batch_id": batch_id or uuid.uuid4().hex, "readings": readings}, encoding)


class DevicePublisher:
    """One device's connection to the broker."""

    def __init__(
        self, host: str, port: int, serial: str, *, secret: str | None = None, password: str = ""
    ) -> None:
        self.serial = serial
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=serial, protocol=paho.MQTTv311
        )
        self.client.max_inflight_messages_set(INFLIGHT)
        self.client.max_queued_messages_set(0)
        login = pseudonyms.mqtt_password(secret, serial) if secret is not None else password
        self.client.username_pw_set(serial, login)
        self.refused: str | None = None
        self.client.on_connect = self._on_connect
        self._answered = threading.Event()
        self.client.connect(host, port, keepalive=30)
        self.client.loop_start()
        if not self._answered.wait(TIMEOUT) or self.refused:
            self.close()
            raise PublishError(f"the broker refused {serial}: {self.refused or 'no answer'}")

    def _on_connect(
        self, _c: paho.Client, _u: object, _f: object, reason: object, _p: object
    ) -> None:
        if getattr(reason, "is_failure", False):
            self.refused = str(reason)
        self._answered.set()

    def publish(
        self, payloads: Iterable[bytes], *, channel: str = "telemetry", topic: str | None = None
    ) -> int:
        """Publish at QoS 1 and wait until the broker acknowledged every one; returns the count."""
        pending = [
            self.client.publish(topic or messages.topic_for(self.serial, channel), p, qos=1)
            for p in payloads
        ]
        for info in pending:
            info.wait_for_publish(TIMEOUT)
            if not info.is_published():
                raise PublishError(self.refused or f"publish not acknowledged ({info.rc})")
        return len(pending)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> DevicePublisher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
