"""API shapes of the telemetry routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from privacyops.telemetry.ingest import MAX_READINGS


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    serial: str = Field(min_length=1, max_length=64)
    model: str = Field(min_length=1, max_length=100)
    firmware: str = Field(min_length=1, max_length=32)
    region: str = Field(min_length=2, max_length=6, description="Country code, e.g. CN or US-CA.")


class DeviceOut(BaseModel):
    id: int
    serial_tail: str = Field(description="Last four characters of the serial (it is not stored).")
    model: str
    firmware: str
    region: str
    registered_at: datetime
    last_seen_at: datetime | None


class RegisteredOut(DeviceOut):
    secret: str = Field(
        description="Signing secret for X-Signature. Shown once; only its encryption is kept."
    )


class OwnershipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    serial: str = Field(min_length=1, max_length=64)
    account_id: str = Field(min_length=1, max_length=128)
    at: AwareDatetime | None = Field(default=None, description="When it happened; default now.")


class OwnershipOut(BaseModel):
    id: int
    device_id: int
    subject_id: str
    claimed_at: datetime
    released_at: datetime | None
    linked_kinds: list[str]


class BatchIn(BaseModel):
    """Documents the body; the route checks the raw bytes (the signature covers them)."""

    readings: list[dict[str, Any]] = Field(
        max_length=MAX_READINGS,
        description=(
            'Each reading has a "kind" (status, electrical, alarm) and only the fields the '
            'declaration names for its category; optional "units" must match the declared ones.'
        ),
    )


class RejectedOut(BaseModel):
    index: int
    field: str | None
    reason: str


class BatchOut(BaseModel):
    accepted: int = Field(description="Readings stored now or already stored before.")
    stored: int
    duplicates: int
    rejected: list[RejectedOut]


class AlarmOut(BaseModel):
    device_id: int
    serial_tail: str
    model: str
    occurred_at: datetime
    alarm_type: str | None
    alarm_code: str | None
    severity: str | None
    cleared_at: datetime | None


class AlarmsOut(BaseModel):
    alarms: list[AlarmOut]
