"""Synthetic devices and realistic readings, for the demo and the benchmarks.

Each simulated device has a region (nominal voltage and frequency, local
time), a model and a load profile. Every ``interval`` it reports an electrical
reading: power follows the profile's daily curve (a home's morning and evening
peaks, a shop's opening hours, a workshop's shifts) with noise and appliance
spikes; voltage sits near nominal, sagging a little under load, with rare sags
and swells; current follows from power, voltage and power factor; energy is the
meter's running total; temperature rises with load and the time of day. Every
hour it reports its status (online, switch state, signal, firmware). Alarms
come from what the readings show (over- and under-voltage, over-temperature)
plus rare leakage, overcurrent trips and arc faults, cleared minutes later.

Readings are the JSON objects a device sends, so the same output feeds the
service (``ingest_batch``), the HTTP API (signed) and the benchmarks. A seed
makes every device's stream reproducible.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from privacyops.policy.schema import Declaration
from privacyops.subjects import service as subjects
from privacyops.telemetry import service
from privacyops.telemetry.models import Device
from privacyops.vault.blind_index import IdentityKind
from privacyops.vault.service import Vault

INTERVAL = timedelta(minutes=15)
MODELS = (
    ("FST-MCB-63", "home"),
    ("FST-RCBO-40", "home"),
    ("FST-MCB-32", "shop"),
    ("FST-METER-3P", "workshop"),
)
#: region, UTC offset in hours, nominal voltage, nominal frequency
REGIONS = (
    ("CN", 8, 230.0, 50.0),
    ("CN", 8, 230.0, 50.0),
    ("DE", 1, 230.0, 50.0),
    ("GB", 0, 230.0, 50.0),
    ("SG", 8, 230.0, 50.0),
    ("US-CA", -8, 120.0, 60.0),
)
FIRMWARE = ("2.3.1", "2.4.0", "2.4.2")
ALARM_CODES = {
    "overvoltage": "OV-01",
    "undervoltage": "UV-01",
    "overcurrent": "OC-02",
    "leakage": "LK-30",
    "overtemperature": "OT-01",
    "arc_fault": "AF-01",
}


@dataclass(frozen=True, slots=True)
class SimDevice:
    serial: str
    model: str
    profile: str
    firmware: str
    region: str
    utc_offset: int
    nominal_v: float
    nominal_hz: float
    seed: int


def fleet(count: int, *, seed: int = 20261124, prefix: str = "DEMO") -> list[SimDevice]:
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    devices = []
    for n in range(1, count + 1):
        model, profile = MODELS[n % len(MODELS)]
        region, offset, volts, hertz = rng.choice(REGIONS)
        devices.append(
            SimDevice(
                serial=f"{prefix}-{model}-{n:06d}",
                model=model,
                profile=profile,
                firmware=rng.choice(FIRMWARE),
                region=region,
                utc_offset=offset,
                nominal_v=volts,
                nominal_hz=hertz,
                seed=rng.randrange(2**31),
            )
        )
    return devices


def _bump(hour: float, centre: float, width: float) -> float:
    return math.exp(-(((hour - centre) / width) ** 2))


def load_watts(profile: str, hour: float, weekday: int, rng: random.Random) -> float:
    """Mean power of a profile at a local hour, with noise and the odd appliance spike."""
    weekend = weekday >= 5
    if profile == "home":
        base = 140.0 + 60.0 * _bump(hour, 3.0, 2.0)  # fridge and standby, a night heater
        morning = 900.0 * _bump(hour, 9.0 if weekend else 7.5, 1.0)
        evening = 1600.0 * _bump(hour, 19.5, 1.8)
        midday = (500.0 if weekend else 150.0) * _bump(hour, 13.0, 2.0)
        watts = base + morning + evening + midday
        if rng.random() < 0.03:
            watts += rng.choice((1800.0, 2200.0, 1200.0))  # kettle, oven, washing machine
    elif profile == "shop":
        open_hours = 9.0 <= hour < 21.0
        watts = (1800.0 + 900.0 * _bump(hour, 15.0, 3.0)) if open_hours else 260.0
    else:
        shift = 8.0 <= hour < 18.0 and not weekend
        watts = (9000.0 + 4000.0 * _bump(hour, 11.0, 2.0)) if shift else 600.0
    return max(20.0, watts * rng.gauss(1.0, 0.12))


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def readings(
    device: SimDevice, *, start: datetime, end: datetime, interval: timedelta = INTERVAL
) -> Iterator[dict[str, object]]:
    """The device's readings in [start, end), oldest first, as it would send them."""
    rng = random.Random(device.seed ^ int(start.timestamp()))  # noqa: S311 - synthetic data
    step = interval.total_seconds()
    moment = datetime.fromtimestamp(math.ceil(start.timestamp() / step) * step, UTC)
    energy = rng.uniform(100.0, 5000.0)
    peak = {"home": 3000.0, "shop": 3500.0, "workshop": 14000.0}[device.profile]
    three_phase = device.profile == "workshop"
    tripped_until: datetime | None = None
    while moment < end:
        local = moment + timedelta(hours=device.utc_offset)
        hour = local.hour + local.minute / 60.0
        watts = load_watts(device.profile, hour, local.weekday(), rng)
        share = min(watts / peak, 1.0)
        volts = device.nominal_v * (1.0 + 0.008 * math.sin((hour - 4.0) / 24.0 * 2 * math.pi))
        volts -= device.nominal_v * 0.01 * share + rng.gauss(0.0, device.nominal_v * 0.0035)
        event = rng.random()
        if event < 0.0015:
            volts = device.nominal_v * rng.uniform(1.11, 1.18)  # swell
        elif event < 0.003:
            volts = device.nominal_v * rng.uniform(0.80, 0.89)  # sag
        factor = min(0.99, 0.84 + 0.14 * share + rng.gauss(0.0, 0.01))
        amps = watts / ((math.sqrt(3) * 400.0 if three_phase else volts) * factor)
        energy += watts * step / 3_600_000.0
        ambient = 22.0 + 5.0 * math.sin((hour - 9.0) / 24.0 * 2 * math.pi)
        celsius = ambient + 18.0 * share + rng.gauss(0.0, 0.6)
        yield {
            "kind": "electrical",
            "recorded_at": _iso(moment),
            "voltage": round(volts, 1),
            "current": round(amps, 2),
            "power": round(watts, 1),
            "energy": round(energy, 3),
            "power_factor": round(factor, 3),
            "frequency": round(device.nominal_hz + rng.gauss(0.0, 0.02), 2),
            "temperature": round(celsius, 1),
        }
        alarm = _alarm(device, volts, celsius, rng)
        if alarm is not None:
            kind, severity = alarm
            cleared = moment + timedelta(minutes=rng.randint(1, 40))
            yield {
                "kind": "alarm",
                "occurred_at": _iso(moment + timedelta(seconds=rng.randint(1, 59))),
                "alarm_type": kind,
                "alarm_code": ALARM_CODES[kind],
                "severity": severity,
                **({"cleared_at": _iso(cleared)} if cleared < end else {}),
            }
            if kind in ("overcurrent", "arc_fault"):
                tripped_until = moment + timedelta(hours=rng.randint(1, 3))
        if local.minute == 0 and moment.timestamp() % 3600 == 0:
            yield {
                "kind": "status",
                "reported_at": _iso(moment),
                "online": rng.random() > 0.004,
                "switch_state": "tripped"
                if tripped_until is not None and moment < tripped_until
                else "on",
                "signal_strength": max(-110, min(-30, round(rng.gauss(-58.0, 8.0)))),
                "firmware_version": device.firmware,
            }
        moment += interval


def _alarm(
    device: SimDevice, volts: float, celsius: float, rng: random.Random
) -> tuple[str, str] | None:
    deviation = volts / device.nominal_v - 1.0
    if deviation > 0.10:
        return "overvoltage", "critical" if deviation > 0.15 else "warning"
    if deviation < -0.10:
        return "undervoltage", "critical" if deviation < -0.15 else "warning"
    if celsius > 60.0:
        return "overtemperature", "warning"
    roll = rng.random()
    if roll < 0.0004:
        return "leakage", "critical"
    if roll < 0.0008:
        return "overcurrent", "warning"
    if roll < 0.0009:
        return "arc_fault", "critical"
    return None


@dataclass
class Seeded:
    """What seeding one device did; ``secret`` only when it was registered now."""

    secret: str | None = None
    stored: int = 0
    alarms: int = 0
    periods: int = 0


def seed_device(
    *,
    session: Session,
    vault: Vault,
    declaration: Declaration,
    device: SimDevice,
    start: datetime,
    end: datetime,
    owners: Sequence[tuple[str, datetime]] = (),
    actor: str,
    batch: int = 1000,
) -> Seeded:
    """Register the device (once), give it the ownership periods, ingest its readings.

    ``owners`` are (subject id, from) in time order; each period ends where the
    next begins. A device already held keeps its current owner.
    """
    seeded = Seeded()
    found = service.find_device(session=session, vault=vault, serial=device.serial)
    if found is None:
        found, seeded.secret = service.register_device(
            session=session,
            vault=vault,
            serial=device.serial,
            model=device.model,
            firmware=device.firmware,
            region=device.region,
            actor=actor,
        )
    if not service.periods_of_device(session=session, device_id=found.id):
        previous: str | None = None
        for subject_id, since in owners:
            if previous is not None:
                service.release(
                    session=session,
                    vault=vault,
                    serial=device.serial,
                    subject_id=previous,
                    actor=actor,
                    at=since,
                )
            service.claim(
                session=session,
                vault=vault,
                declaration=declaration,
                serial=device.serial,
                subject_id=subject_id,
                actor=actor,
                at=since,
            )
            previous, seeded.periods = subject_id, seeded.periods + 1
    chunk: list[object] = []
    for reading in readings(device, start=start, end=end):
        chunk.append(reading)
        seeded.alarms += reading["kind"] == "alarm"
        if len(chunk) == batch:
            seeded.stored += _ingest(session, declaration, found, chunk)
            chunk = []
    if chunk:
        seeded.stored += _ingest(session, declaration, found, chunk)
    return seeded


def _ingest(session: Session, declaration: Declaration, device: Device, chunk: list[object]) -> int:
    result = service.ingest_batch(
        session=session, declaration=declaration, device=device, readings=chunk
    )
    if result.rejected:
        raise ValueError(f"simulated reading refused: {result.rejected[0].reason}")
    return result.stored


DEMO_OWNERS = ("demo-0001", "demo-0002", "demo-0003", "demo-0004", "demo-0005")


def seed_demo(
    *, session: Session, vault: Vault, declaration: Declaration, days: int = 3, actor: str
) -> int:
    """Six devices for the demo: five owned by demo customers, one handed from one to another.

    Device 1 belongs to ``demo-0001`` for the first half of the period and to
    ``demo-0002`` after it, so the console and an access request show how
    ownership bounds what is linked to whom; device 6 is never claimed.
    """
    end = datetime.now(UTC)
    start = end - timedelta(days=days)
    middle = start + (end - start) / 2
    owners = []
    for account in DEMO_OWNERS:
        subject = subjects.find_subject_by(
            session=session, vault=vault, kind=IdentityKind.ACCOUNT_ID, value=account
        )
        owners.append(None if subject is None or subject.closed_at else subject.id)
    plans: list[list[tuple[str, datetime]]] = [
        [(owners[0], start), (owners[1], middle)] if owners[0] and owners[1] else [],
        *([(owner, start)] if owner else [] for owner in owners[1:]),
        [],
    ]
    stored = 0
    for device, plan in zip(fleet(len(plans)), plans, strict=True):
        stored += seed_device(
            session=session,
            vault=vault,
            declaration=declaration,
            device=device,
            start=start,
            end=end,
            owners=plan,
            actor=actor,
        ).stored
    return stored
