"""Device messages from the broker, stored a group at a time. Never commits.

A message is one MQTT publish: its topic names the device
(``devices/<serial>/telemetry`` or ``devices/<serial>/alarms``; the broker's
ACL lets a device publish only under its own serial, so the topic
authenticates it) and its payload is a batch (``codecs``) with a ``batch_id``.
Every message of a group goes through the checks of the HTTP path
(``checks.Rules``: declared fields and types, units, ranges, times), and the
good readings of the whole group are written with one bulk write
(``ingest.write_rows``: COPY on PostgreSQL), so the consumer commits many
messages at once and acknowledges them after that commit.

Idempotency: each (device, batch_id) is inserted into ``telemetry_message`` in
the same transaction as the readings; a batch id already there (the broker
redelivered a message whose acknowledgement was lost when the consumer died)
stores nothing and is acknowledged again.

Anything refused is recorded (``rejections``) with its reason and size, and
nothing of it is stored: a payload that is not a batch, an unknown serial, a
message over the size limit, or a non-alarm on the alarms topic. A batch with
some bad readings keeps the good ones, as over HTTP, and records one
rejection naming the first bad reading and the count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.policy.schema import Declaration
from privacyops.telemetry import codecs, partitions, rejections
from privacyops.telemetry.checks import Rejection as ReadingRejection
from privacyops.telemetry.checks import Row, rules_for
from privacyops.telemetry.ingest import note_device, write_rows
from privacyops.telemetry.models import Device, Message, ReadingKind, RejectionSource
from privacyops.telemetry.registry import TelemetryError, device_key
from privacyops.vault.service import Vault

TOPIC_ROOT = "devices"
CHANNELS = ("telemetry", "alarms")
#: A publish larger than this is refused (and recorded) without being decoded.
MAX_MESSAGE_BYTES = 1_048_576
#: How long a batch id is remembered; the sweep forgets older ones.
KEEP_BATCH_IDS = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Incoming:
    topic: str
    payload: bytes


@dataclass
class GroupResult:
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    refused: int = 0
    reasons: list[str] = field(default_factory=list)


def topic_for(serial: str, channel: str = "telemetry") -> str:
    return f"{TOPIC_ROOT}/{serial}/{channel}"


def forget_before(session: Session, moment: datetime) -> None:
    """Drop batch ids received before ``moment`` (a redelivery that late is not expected;
    its readings would still be stored once, by their primary key)."""
    session.execute(delete(Message).where(Message.received_at < moment))


def parse_topic(topic: str) -> tuple[str, str] | None:
    """(serial, channel) of a device topic, or None."""
    parts = topic.split("/")
    if len(parts) != 3 or parts[0] != TOPIC_ROOT or parts[2] not in CHANNELS or not parts[1]:
        return None
    return parts[1], parts[2]


def new_batch_ids(session: Session, pairs: Sequence[tuple[bytes, str]]) -> set[tuple[bytes, str]]:
    """Insert (device_key, batch_id) pairs; return those that were not there before."""
    if not pairs:
        return set()
    now = utcnow()
    maker = pg_insert if partitions.is_postgres(session) else sqlite_insert
    statement = (
        maker(Message)
        .values([{"device_key": k, "batch_id": b, "received_at": now} for k, b in pairs])
        .on_conflict_do_nothing()
        .returning(Message.device_key, Message.batch_id)
    )
    return {(bytes(k), b) for k, b in session.execute(statement)}


class _Group:
    """The state of one group while it is being checked."""

    def __init__(self, session: Session, vault: Vault, declaration: Declaration) -> None:
        self.session = session
        self.vault = vault
        self.rules = rules_for(declaration)
        self.result = GroupResult()

    def refuse(self, key: bytes | None, reason: str, size: int, readings: int = 0) -> None:
        self.result.refused += 1
        self.result.reasons.append(reason)
        rejections.record(
            session=self.session,
            device_key=key,
            source=RejectionSource.MQTT,
            reason=reason,
            size=size,
            readings=readings,
        )


def serial_key(vault: Vault, serial: str) -> bytes | None:
    try:
        return device_key(vault, serial)
    except TelemetryError:
        return None


def _alarms_only(readings: list[object]) -> bool:
    return all(type(r) is dict and r.get("kind") == ReadingKind.ALARM.value for r in readings)


def store_group(
    *,
    session: Session,
    vault: Vault,
    declaration: Declaration,
    messages: Sequence[Incoming],
    now: datetime | None = None,
    max_bytes: int = MAX_MESSAGE_BYTES,
) -> GroupResult:
    """Check and store a group of messages in the caller's transaction."""
    now = now or utcnow()
    group = _Group(session, vault, declaration)
    group.result.messages = len(messages)
    decoded: list[tuple[bytes, codecs.Batch, int]] = []
    for message in messages:
        size = len(message.payload)
        where = parse_topic(message.topic)
        if where is None:
            group.refuse(None, f"not a device topic: {message.topic[:80]}", size)
            continue
        serial, channel = where
        key = serial_key(vault, serial)
        if key is None:
            group.refuse(None, "the serial in the topic is not valid", size)
            continue
        if size > max_bytes:
            group.refuse(key, f"message of {size} bytes exceeds the {max_bytes}-byte limit", size)
            continue
        try:
            batch = codecs.decode(message.payload, codecs.sniff(message.payload))
        except codecs.BatchError as error:
            group.refuse(key, str(error), size)
            continue
        if batch.batch_id is None:
            group.refuse(key, "batch_id is required over MQTT", size, len(batch.readings))
            continue
        if channel == "alarms" and not _alarms_only(batch.readings):
            group.refuse(key, "only alarm readings may be published on the alarms topic", size)
            continue
        decoded.append((key, batch, size))
    devices = _devices(session, {key for key, _b, _s in decoded})
    known: list[tuple[Device, codecs.Batch, int]] = []
    for key, batch, size in decoded:
        device = devices.get(key)
        if device is None:
            group.refuse(key, "unknown serial: no device is registered", size, len(batch.readings))
        else:
            known.append((device, batch, size))
    _store(group, known, now)
    return group.result


def _devices(session: Session, keys: set[bytes]) -> dict[bytes, Device]:
    if not keys:
        return {}
    found = session.scalars(select(Device).where(Device.device_key.in_(sorted(keys))))
    return {device.device_key: device for device in found}


def _store(group: _Group, known: list[tuple[Device, codecs.Batch, int]], now: datetime) -> None:
    pairs = list(dict.fromkeys((d.device_key, b.batch_id or "") for d, b, _s in known))
    fresh = new_batch_ids(group.session, pairs)
    rows: list[Row] = []
    per_device: dict[int, tuple[Device, list[Row]]] = {}
    for device, batch, size in known:
        pair = (device.device_key, batch.batch_id or "")
        if pair not in fresh:
            group.result.duplicates += len(batch.readings)
            continue
        fresh.discard(pair)  # the same batch twice in one group: the second is a duplicate
        good, bad, _repeats = group.rules.check(device.device_key, batch.readings, now)
        if bad:
            _refuse_some(group, device, bad, len(batch.readings), size)
        rows.extend(good)
        per_device.setdefault(device.id, (device, []))[1].extend(good)
    for device, device_rows in per_device.values():
        if device_rows:
            note_device(device, device_rows)
    if rows:
        stored = write_rows(group.session, rows)
        group.result.stored += stored
        group.result.duplicates += len(rows) - stored


def _refuse_some(
    group: _Group, device: Device, bad: list[ReadingRejection], total: int, size: int
) -> None:
    group.refuse(device.device_key, rejections.summary(bad, total), size, len(bad))
    group.result.refused -= 1  # the message itself was taken; only some readings were not
