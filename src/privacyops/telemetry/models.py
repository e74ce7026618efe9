"""Devices, who owned them when, and their readings (under a pseudonymous device key only).

A device's serial is never stored: the registry keeps ``device_key``, a keyed
HMAC of the normalised serial (``pseudonyms.device_key``), and the last four
characters for people to recognise it. Readings carry the same ``device_key``
and nothing else that identifies the device or a person; the link from a
reading to a person exists only through an ``Ownership`` period, so a reading
belongs to whoever owned the device at ``recorded_at``, and to nobody when it
was unowned.

On PostgreSQL ``telemetry_reading`` is a native table partitioned by month on
``recorded_at`` (created with raw SQL by the migration; see ``partitions``);
on SQLite it is a plain table. The model below describes the columns for both.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    REAL,
    BigInteger,
    Boolean,
    CheckConstraint,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from privacyops.db import Base, UTCDateTime

#: SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer, "sqlite")
DEVICE_KEY_BYTES = 16


class ReadingKind(StrEnum):
    """One kind per declared category (``ingest.CATEGORY``)."""

    STATUS = "status"
    ELECTRICAL = "electrical"
    ALARM = "alarm"


def _sql_in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Device(Base):
    __tablename__ = "telemetry_device"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_key: Mapped[bytes] = mapped_column(LargeBinary(DEVICE_KEY_BYTES), unique=True)
    serial_tail: Mapped[str] = mapped_column(String(4))
    model: Mapped[str] = mapped_column(String(100))
    firmware: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(6))
    #: The per-device signing secret, AES-256-GCM under a key-store key (never in plaintext).
    credential: Mapped[bytes] = mapped_column(LargeBinary)
    registered_at: Mapped[datetime]
    registered_by: Mapped[str] = mapped_column(String(120))
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    #: The normalised serial, AES-256-GCM like ``credential``: only the broker's password
    #: file and ACL need it (MQTT user names are serials). None for devices registered
    #: before MQTT, until their secret is reissued.
    sealed_serial: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


class Ownership(Base):
    """One period in which an account owned (or used) a device: [claimed_at, released_at).

    ``linked_kinds`` are the reading kinds whose category the declaration in
    force at the claim called ``linked_to_identity``; only those are ever
    attributed to the owner. At most one period per device is open.
    """

    __tablename__ = "telemetry_ownership"
    __table_args__ = (
        Index(
            "uq_telemetry_ownership_open",
            "device_id",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
        CheckConstraint(
            "released_at IS NULL OR released_at >= claimed_at", name="ck_telemetry_ownership_period"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("telemetry_device.id", ondelete="RESTRICT"), index=True
    )
    subject_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("subject.id", ondelete="RESTRICT"), index=True
    )
    claimed_at: Mapped[datetime]
    released_at: Mapped[datetime | None] = mapped_column(default=None)
    linked_kinds: Mapped[str] = mapped_column(String(64))
    claimed_by: Mapped[str] = mapped_column(String(120))
    released_by: Mapped[str | None] = mapped_column(String(120), default=None)

    def kinds(self) -> frozenset[str]:
        return frozenset(filter(None, self.linked_kinds.split(",")))


class Reading(Base):
    """One reading. The primary key makes (device, time, kind) unique: resends are no-ops."""

    __tablename__ = "telemetry_reading"
    __table_args__ = (
        CheckConstraint(_sql_in("kind", ReadingKind), name="ck_telemetry_reading_kind"),
        Index(
            "ix_telemetry_reading_device_alarms",
            "device_key",
            "recorded_at",
            sqlite_where=text("kind = 'alarm'"),
            postgresql_where=text("kind = 'alarm'"),
        ),
        Index(
            "ix_telemetry_reading_alarms",
            "recorded_at",
            sqlite_where=text("kind = 'alarm'"),
            postgresql_where=text("kind = 'alarm'"),
        ),
    )

    device_key: Mapped[bytes] = mapped_column(LargeBinary(DEVICE_KEY_BYTES), primary_key=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    voltage: Mapped[float | None] = mapped_column(REAL)
    current: Mapped[float | None] = mapped_column(REAL)
    power: Mapped[float | None] = mapped_column(REAL)
    energy: Mapped[float | None] = mapped_column(Double)
    power_factor: Mapped[float | None] = mapped_column(REAL)
    frequency: Mapped[float | None] = mapped_column(REAL)
    temperature: Mapped[float | None] = mapped_column(REAL)
    online: Mapped[bool | None] = mapped_column(Boolean)
    switch_state: Mapped[str | None] = mapped_column(String(8))
    signal_strength: Mapped[int | None] = mapped_column(SmallInteger)
    firmware_version: Mapped[str | None] = mapped_column(String(32))
    alarm_type: Mapped[str | None] = mapped_column(String(16))
    alarm_code: Mapped[str | None] = mapped_column(String(32))
    severity: Mapped[str | None] = mapped_column(String(8))
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RejectionSource(StrEnum):
    HTTP = "http"
    MQTT = "mqtt"
    BROKER = "broker"


class Rejection(Base):
    """Input refused from a device (or from a serial nobody registered), and why.

    Nothing of the refused input is kept but its size and the reason. A publish the
    broker denied (to another device's topic) is one row with source ``broker``;
    ``dedupe`` then holds a digest of the broker's log line, so reading the log
    again counts nothing twice.
    """

    __tablename__ = "telemetry_rejection"
    __table_args__ = (Index("ix_telemetry_rejection_device", "device_key", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_key: Mapped[bytes | None] = mapped_column(LargeBinary(DEVICE_KEY_BYTES))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(Integer)
    readings: Mapped[int] = mapped_column(Integer, default=0)
    dedupe: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)


class Message(Base):
    """A device's message (an MQTT publish or an HTTP batch) by its ``batch_id``: stored once."""

    __tablename__ = "telemetry_message"

    device_key: Mapped[bytes] = mapped_column(LargeBinary(DEVICE_KEY_BYTES), primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


#: Column order of the bulk writers (COPY, executemany) and of ``ingest`` rows.
COLUMNS: tuple[str, ...] = tuple(column.name for column in Reading.__table__.columns)
#: Value columns a reading may carry (everything but the key).
VALUE_COLUMNS: tuple[str, ...] = COLUMNS[3:]
