"""The MQTT consumer: device topics in, committed readings out, acknowledged after the commit.

The consumer holds one persistent session on the broker (fixed client id,
``clean_session`` false, QoS 1 subscriptions), so messages it has not
acknowledged stay with the broker while it is down and come back when it
returns. paho's ``manual_ack`` keeps the PUBACK of each message until the
consumer calls ``ack``, which it does only after the transaction holding the
message's readings and its ``batch_id`` (``messages``) has committed. So a
kill -9 at any point loses no acknowledged reading (it was committed first)
and stores none twice (a message delivered again finds its batch id taken).

Messages are taken from paho's network thread through a queue and stored a
group at a time (up to ``group_messages`` or ``group_bytes``, waiting at most
``linger`` seconds for more): one transaction and one bulk write per group,
so the commit cost is shared by many messages. A message that cannot be stored
for a reason of its own is recorded as a rejection and acknowledged, so the
broker does not deliver it forever; when the database itself fails the group
is retried, unacknowledged, until it works or the consumer stops.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.exc import DBAPIError, OperationalError

from privacyops.db import Database
from privacyops.policy.schema import Declaration
from privacyops.telemetry import broker, broker_log, messages, rejections
from privacyops.telemetry.models import RejectionSource
from privacyops.vault.service import Vault

log = logging.getLogger(__name__)
TOPICS = [(f"{messages.TOPIC_ROOT}/+/{channel}", 1) for channel in messages.CHANNELS]
RETRY_SECONDS = 1.0
LOG_POLL_SECONDS = 1.0


@dataclass
class Totals:
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    refused: int = 0
    denied: int = 0


@dataclass(frozen=True)
class Options:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str = broker.CONSUMER
    password: str = ""
    client_id: str = broker.CONSUMER
    group_messages: int = 200
    group_bytes: int = 16 * 1_048_576
    linger: float = 0.02
    max_bytes: int = messages.MAX_MESSAGE_BYTES
    broker_log: Path | None = None


class Consumer:
    """Runs until ``stop`` is set; ``on_group`` is told after each commit (for the CLI)."""

    def __init__(
        self,
        *,
        db: Database,
        vault: Vault,
        declaration: Declaration,
        options: Options,
        on_group: Callable[[messages.GroupResult, Totals], None] | None = None,
    ) -> None:
        self.db, self.vault, self.declaration, self.options = db, vault, declaration, options
        self.on_group = on_group
        self.totals = Totals()
        #: Set while connected and subscribed.
        self.ready = threading.Event()
        self._inbox: queue.Queue[paho.MQTTMessage] = queue.Queue()
        self._log = broker_log.LogReader(options.broker_log) if options.broker_log else None
        self._log_polled = 0.0
        self.client = self._client()

    def _client(self) -> paho.Client:
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.options.client_id,
            clean_session=False,
            protocol=paho.MQTTv311,
            manual_ack=True,
        )
        client.username_pw_set(self.options.username, self.options.password)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        return client

    def _on_connect(self, client: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.error("the broker refused the connection: %s", reason)
            return
        client.subscribe(TOPICS)

    def _on_subscribe(self, _c: paho.Client, _u: Any, _m: int, _r: Any, _p: Any) -> None:
        self.ready.set()

    def _on_disconnect(self, _c: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.ready.clear()
        log.warning("disconnected from the broker (%s); reconnecting", reason)

    def _on_message(self, _c: paho.Client, _u: Any, message: paho.MQTTMessage) -> None:
        self._inbox.put(message)

    def run(self, stop: threading.Event) -> Totals:
        self.client.connect_async(self.options.host, self.options.port, keepalive=30)
        self.client.loop_start()
        try:
            while not stop.is_set():
                group = self._gather()
                if group:
                    self._commit(group, stop)
                self._poll_log()
        finally:
            self.client.disconnect()
            self.client.loop_stop()
        return self.totals

    def _gather(self) -> list[paho.MQTTMessage]:
        try:
            group = [self._inbox.get(timeout=0.2)]
        except queue.Empty:
            return []
        size = len(group[0].payload)
        deadline = time.monotonic() + self.options.linger
        while len(group) < self.options.group_messages and size < self.options.group_bytes:
            try:
                message = self._inbox.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            group.append(message)
            size += len(message.payload)
        return group

    def _commit(self, group: list[paho.MQTTMessage], stop: threading.Event) -> None:
        incoming = [messages.Incoming(m.topic, bytes(m.payload)) for m in group]
        while True:
            try:
                result = self._store(incoming)
                break
            except (OperationalError, DBAPIError) as error:
                if isinstance(error, OperationalError) or error.connection_invalidated:
                    log.error("the database failed; retrying in %ss: %s", RETRY_SECONDS, error)
                    if stop.wait(RETRY_SECONDS):
                        return  # not acknowledged: the broker delivers them again
                    continue
                result = self._one_by_one(incoming)
                break
            except Exception:  # one bad message must not stop the consumer
                result = self._one_by_one(incoming)
                break
        for message in group:
            self.client.ack(message.mid, message.qos)
        self._count(result)

    def _store(self, incoming: list[messages.Incoming]) -> messages.GroupResult:
        with self.db.unit_of_work() as session:
            return messages.store_group(
                session=session,
                vault=self.vault,
                declaration=self.declaration,
                messages=incoming,
                max_bytes=self.options.max_bytes,
            )

    def _one_by_one(self, incoming: list[messages.Incoming]) -> messages.GroupResult:
        """After a group failed: each message alone, so only the bad one is refused."""
        total = messages.GroupResult(messages=len(incoming))
        for message in incoming:
            try:
                result = self._store([message])
            except Exception as error:  # recorded, then acknowledged
                log.exception("a message could not be stored")
                self._record_failure(message, error)
                total.refused += 1
                continue
            total.stored += result.stored
            total.duplicates += result.duplicates
            total.refused += result.refused
        return total

    def _record_failure(self, message: messages.Incoming, error: Exception) -> None:
        where = messages.parse_topic(message.topic)
        key = messages.serial_key(self.vault, where[0]) if where else None
        with self.db.unit_of_work() as session:
            rejections.record(
                session=session,
                device_key=key,
                source=RejectionSource.MQTT,
                reason=f"could not be stored ({type(error).__name__})",
                size=len(message.payload),
            )

    def _count(self, result: messages.GroupResult) -> None:
        totals = self.totals
        totals.messages += result.messages
        totals.stored += result.stored
        totals.duplicates += result.duplicates
        totals.refused += result.refused
        if self.on_group is not None:
            self.on_group(result, totals)

    def _poll_log(self) -> None:
        if self._log is None or time.monotonic() - self._log_polled < LOG_POLL_SECONDS:
            return
        self._log_polled = time.monotonic()
        denials = self._log.denials()
        if denials:
            with self.db.unit_of_work() as session:
                self.totals.denied += broker_log.record_denials(
                    session=session, vault=self.vault, denials=denials
                )
