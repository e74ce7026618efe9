"""The device registry, device credentials, and ownership periods. No HTTP; never commits.

A device is registered once per serial and gets a signing secret, returned
once; only its encryption is kept (``pseudonyms``). Ownership is a history of
periods: an account claims a device and later releases it, and a device has at
most one open period, so every reading belongs to one owner or to nobody.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.policy.schema import Declaration
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import SubjectError
from privacyops.subjects.models import SubjectState
from privacyops.telemetry import pseudonyms
from privacyops.telemetry.checks import FUTURE_SKEW, rules_for
from privacyops.telemetry.models import Device, Ownership
from privacyops.vault.errors import InvalidIdentityError, VaultError
from privacyops.vault.service import Vault

REGION = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
SERIAL_LIMIT = 64


class TelemetryError(ValueError):
    """A refusal a face turns into one clear message (``code`` and ``field`` as in the API)."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


class DeviceAuthError(TelemetryError):
    """Unknown serial or wrong signature: deliberately one message for both."""

    def __init__(self) -> None:
        super().__init__("unknown device or bad signature", code="unauthorized")


def _label(field: str, raw: str, limit: int) -> str:
    value = raw.strip()
    if not value or len(value) > limit or not value.isprintable():
        raise TelemetryError(f"{field} must be 1 to {limit} printable characters", field=field)
    return value


def device_key(vault: Vault, serial: str) -> bytes:
    if len(serial) > SERIAL_LIMIT:
        raise TelemetryError(f"serial must be at most {SERIAL_LIMIT} characters", field="serial")
    try:
        return pseudonyms.device_key(vault, serial)
    except InvalidIdentityError as error:
        raise TelemetryError(str(error), field="serial") from None


def register_device(
    *,
    session: Session,
    vault: Vault,
    serial: str,
    model: str,
    firmware: str,
    region: str,
    actor: str,
) -> tuple[Device, str]:
    """Register a device; returns it and its signing secret (shown once, never stored readable)."""
    key = device_key(vault, serial)
    region = region.strip().upper()
    if not REGION.match(region):
        raise TelemetryError("region must be a country code, e.g. CN or US-CA", field="region")
    if session.scalar(select(Device.id).where(Device.device_key == key)) is not None:
        raise TelemetryError(
            "a device with this serial is already registered", field="serial", code="conflict"
        )
    secret = pseudonyms.new_secret()
    normalized = pseudonyms.normalized_serial(vault, serial)
    device = Device(
        device_key=key,
        serial_tail=normalized[-4:],
        sealed_serial=pseudonyms.seal_serial(vault, key, normalized),
        model=_label("model", model, 100),
        firmware=_label("firmware", firmware, 32),
        region=region,
        credential=pseudonyms.seal_secret(vault, key, secret),
        registered_at=utcnow(),
        registered_by=actor,
    )
    session.add(device)
    try:
        with session.begin_nested():
            session.flush()
    except DatabaseIntegrityError:
        raise TelemetryError(
            "a device with this serial is already registered", field="serial", code="conflict"
        ) from None
    audit.record(
        session=session,
        actor=actor,
        action="telemetry.device_registered",
        target_type="device",
        target_id=str(device.id),
        details={"model": device.model, "region": region},
    )
    return device, secret


def reissue_secret(
    *, session: Session, vault: Vault, device: Device, actor: str, serial: str | None = None
) -> str:
    """A new signing secret for a device (the old one stops working at commit).

    Given the serial (it must be the device's), it is sealed too, so a device
    registered before MQTT gets broker credentials from then on.
    """
    secret = pseudonyms.new_secret()
    device.credential = pseudonyms.seal_secret(vault, device.device_key, secret)
    if serial is not None and device_key(vault, serial) == device.device_key:
        normalized = pseudonyms.normalized_serial(vault, serial)
        device.sealed_serial = pseudonyms.seal_serial(vault, device.device_key, normalized)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="telemetry.device_secret_reissued",
        target_type="device",
        target_id=str(device.id),
    )
    return secret


def find_device(*, session: Session, vault: Vault, serial: str) -> Device | None:
    """The device with this serial: one lookup by its pseudonym (the serial is never stored)."""
    key = device_key(vault, serial)
    return session.scalar(select(Device).where(Device.device_key == key))


def get_device(*, session: Session, device_id: int) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise TelemetryError(f"no device {device_id}", field="device_id", code="not_found")
    return device


def device_or_404(session: Session, vault: Vault, serial: str) -> Device:
    device = find_device(session=session, vault=vault, serial=serial)
    if device is None:
        raise TelemetryError("no device with this serial", field="serial", code="not_found")
    return device


def list_devices(*, session: Session, limit: int = 50, before: int | None = None) -> list[Device]:
    query = select(Device).order_by(Device.id.desc()).limit(limit)
    if before is not None:
        query = query.where(Device.id < before)
    return list(session.scalars(query))


def count_devices(*, session: Session) -> int:
    return session.scalar(select(func.count(Device.id))) or 0


def authenticate(
    *, session: Session, vault: Vault, serial: str, body: bytes, signature: str
) -> Device:
    """The registered device whose secret signed ``body``; ``DeviceAuthError`` otherwise.

    A replayed batch is harmless: its readings are already stored, and storing
    them again is a no-op, so no nonce or timestamp is needed in the signature.
    """
    try:
        key = pseudonyms.device_key(vault, serial)
    except InvalidIdentityError:
        raise DeviceAuthError() from None
    device = session.scalar(select(Device).where(Device.device_key == key))
    if device is None:
        pseudonyms.signature_ok(key, body, signature)  # same work as a known device
        raise DeviceAuthError()
    try:
        secret = pseudonyms.open_secret(vault, key, device.credential)
    except VaultError:
        raise DeviceAuthError() from None
    if not pseudonyms.signature_ok(secret, body, signature):
        raise DeviceAuthError()
    return device


def _when(at: datetime | None, now: datetime, field: str) -> datetime:
    if at is None:
        return now
    if at.tzinfo is None:
        raise TelemetryError(f"{field} must carry a time zone", field=field)
    if at > now + FUTURE_SKEW:
        raise TelemetryError(f"{field} is in the future", field=field)
    return at


def _open_period(session: Session, device_id: int) -> Ownership | None:
    return session.scalar(
        select(Ownership).where(Ownership.device_id == device_id, Ownership.released_at.is_(None))
    )


def claim(
    *,
    session: Session,
    vault: Vault,
    declaration: Declaration,
    serial: str,
    subject_id: str,
    actor: str,
    at: datetime | None = None,
) -> Ownership:
    """Start the subject's ownership of a device. Claiming one's own device again is a no-op."""
    device = device_or_404(session, vault, serial)
    session.refresh(device, with_for_update=True)  # one claim or release per device at a time
    try:
        subject = subjects.live_subject(session, subject_id)
    except SubjectError as error:
        raise TelemetryError(str(error), field="account_id", code=error.code) from None
    if subject.closed_at is not None or subject.state != SubjectState.ACTIVE:
        raise TelemetryError("this account is closed or restricted", field="account_id")
    start = _when(at, utcnow(), "at")
    current = _open_period(session, device.id)
    if current is not None:
        if current.subject_id == subject_id:
            return current
        raise TelemetryError(
            "the device is claimed by another account; it must be released first",
            field="serial",
            code="conflict",
        )
    last_end = session.scalar(
        select(func.max(Ownership.released_at)).where(Ownership.device_id == device.id)
    )
    if last_end is not None and start < last_end:
        raise TelemetryError("at is before the end of the previous ownership", field="at")
    period = Ownership(
        device_id=device.id,
        subject_id=subject_id,
        claimed_at=start,
        linked_kinds=",".join(rules_for(declaration).linked_kinds()),
        claimed_by=actor,
    )
    session.add(period)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="telemetry.device_claimed",
        target_type="subject",
        target_id=subject_id,
        details={"device_id": device.id, "ownership_id": period.id},
    )
    return period


def release(
    *,
    session: Session,
    vault: Vault,
    serial: str,
    subject_id: str,
    actor: str,
    at: datetime | None = None,
) -> Ownership:
    """End the subject's open ownership of a device; readings after it are nobody's."""
    device = device_or_404(session, vault, serial)
    session.refresh(device, with_for_update=True)
    current = _open_period(session, device.id)
    if current is None or current.subject_id != subject_id:
        raise TelemetryError(
            "this account does not hold the device", field="account_id", code="conflict"
        )
    end = _when(at, utcnow(), "at")
    if end < current.claimed_at:
        raise TelemetryError("at is before the claim", field="at")
    current.released_at = end
    current.released_by = actor
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="telemetry.device_released",
        target_type="subject",
        target_id=subject_id,
        details={"device_id": device.id, "ownership_id": current.id},
    )
    return current


def periods_of_device(*, session: Session, device_id: int) -> list[Ownership]:
    return list(
        session.scalars(
            select(Ownership)
            .where(Ownership.device_id == device_id)
            .order_by(Ownership.claimed_at.desc())
        )
    )


def periods_of_subject(*, session: Session, subject_id: str) -> list[Ownership]:
    return list(
        session.scalars(
            select(Ownership)
            .where(Ownership.subject_id == subject_id)
            .order_by(Ownership.claimed_at)
        )
    )
