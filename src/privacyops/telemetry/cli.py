"""`privacyops devices ...` and `privacyops demo devices`: a face, wiring only.

Each command is one unit of work, except the simulator, which commits device
by device so a long run keeps what it already stored if it is interrupted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from privacyops import migrate as migrations
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import SubjectError
from privacyops.telemetry import cli_mqtt, service, simulator
from privacyops.telemetry.cli_support import Opened, fail, open_app, out
from privacyops.vault.blind_index import IdentityKind

devices_app = typer.Typer(help="Smart-hardware devices and their telemetry.", no_args_is_help=True)
ACTOR = "cli"
#: Demo customers are `demo-0001` … (``collection.demo``); the first ones get devices.
DEMO_ACCOUNTS = 60


def _account(opened: Opened, session: Session, account_id: str) -> str:
    try:
        subject = subjects.find_subject_by(
            session=session,
            vault=opened.vault,
            kind=IdentityKind.ACCOUNT_ID,
            value=account_id,
        )
    except SubjectError as error:
        raise fail(f"account_id: {error}") from None
    if subject is None:
        raise fail("account_id: no account with this id")
    return subject.id


@devices_app.command("register")
def register(
    serial: str,
    model: Annotated[str, typer.Option(help="Model name, e.g. FST-MCB-63.")],
    firmware: Annotated[str, typer.Option(help="Firmware version.")],
    region: Annotated[str, typer.Option(help="Country code, e.g. CN or US-CA.")],
) -> None:
    """Register a device and print its signing secret (shown this once)."""
    opened = open_app()
    try:
        with opened.db.unit_of_work() as session:
            device, secret = service.register_device(
                session=session,
                vault=opened.vault,
                serial=serial,
                model=model,
                firmware=firmware,
                region=region,
                actor=ACTOR,
            )
            out.print(f"[green]registered[/green] device {device.id} ({device.model})")
    except service.TelemetryError as error:
        raise fail(f"{error.field or 'input'}: {error}") from None
    out.print(f"signing secret (shown once): {secret}", soft_wrap=True, highlight=False)


@devices_app.command("reissue")
def reissue(serial: str) -> None:
    """Give a device a new signing secret; the old one stops working."""
    opened = open_app()
    try:
        with opened.db.unit_of_work() as session:
            device = service.device_or_404(session, opened.vault, serial)
            secret = service.reissue_secret(
                session=session, vault=opened.vault, device=device, actor=ACTOR, serial=serial
            )
    except service.TelemetryError as error:
        raise fail(f"{error.field or 'input'}: {error}") from None
    out.print(f"new signing secret (shown once): {secret}", soft_wrap=True, highlight=False)


@devices_app.command("list")
def list_devices(limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50) -> None:
    """List registered devices, newest first (serials are not stored: last four shown)."""
    opened = open_app()
    table = Table("id", "serial", "model", "firmware", "region", "last reading (UTC)")
    with opened.db.unit_of_work() as session:
        for device in service.list_devices(session=session, limit=limit):
            seen = device.last_seen_at
            table.add_row(
                str(device.id),
                f"…{device.serial_tail}",
                device.model,
                device.firmware,
                device.region,
                seen.strftime("%Y-%m-%d %H:%M") if seen else "-",
            )
    out.print(table)


def _ownership(serial: str, account_id: str, *, claim: bool) -> None:
    opened = open_app()
    try:
        with opened.db.unit_of_work() as session:
            subject_id = _account(opened, session, account_id)
            if claim:
                service.claim(
                    session=session,
                    vault=opened.vault,
                    declaration=opened.declaration,
                    serial=serial,
                    subject_id=subject_id,
                    actor=ACTOR,
                )
            else:
                service.release(
                    session=session,
                    vault=opened.vault,
                    serial=serial,
                    subject_id=subject_id,
                    actor=ACTOR,
                )
    except service.TelemetryError as error:
        raise fail(f"{error.field or 'input'}: {error}") from None
    out.print(f"[green]{'claimed' if claim else 'released'}[/green]")


@devices_app.command("claim")
def claim(serial: str, account_id: Annotated[str, typer.Option(help="The account.")]) -> None:
    """Link a device to an account from now on."""
    _ownership(serial, account_id, claim=True)


@devices_app.command("release")
def release(serial: str, account_id: Annotated[str, typer.Option(help="The account.")]) -> None:
    """End an account's ownership of a device now."""
    _ownership(serial, account_id, claim=False)


@devices_app.command("partitions")
def partitions(
    months: Annotated[int, typer.Option(min=0, max=24, help="Months ahead.")] = 3,
) -> None:
    """Create the monthly reading partitions ahead of time (PostgreSQL; run it daily)."""
    opened = open_app()
    with opened.db.unit_of_work() as session:
        created = service.prepare_partitions(session=session, months=months)
    names = ", ".join(m.isoformat()[:7] for m in created) or "none needed"
    out.print(f"partitions created: {names}")


@devices_app.command("sweep")
def sweep() -> None:
    """Apply the declared retention: drop expired partitions (PostgreSQL) or rows (SQLite)."""
    opened = open_app()
    with opened.db.unit_of_work() as session:
        result = service.sweep(session=session, declaration=opened.declaration, actor=ACTOR)
    dropped = ", ".join(m.isoformat()[:7] for m in result.dropped) or "none"
    out.print(f"partitions dropped: {dropped}; rows deleted: {result.rows_deleted}")
    if result.kept_reason:
        out.print(result.kept_reason)


devices_app.command("broker-config")(cli_mqtt.broker_config)
devices_app.command("mqtt")(cli_mqtt.consume)


def demo_devices(
    count: Annotated[int, typer.Option(min=1, max=100_000, help="Devices to simulate.")] = 20,
    days: Annotated[int, typer.Option(min=1, max=365, help="Days of readings up to now.")] = 7,
    mqtt: Annotated[
        str | None, typer.Option(help="Publish through this broker, HOST:PORT, as the devices.")
    ] = None,
    live: Annotated[bool, typer.Option(help="With --mqtt: keep publishing until Ctrl-C.")] = False,
    every: Annotated[
        float, typer.Option(min=0.5, max=3600, help="With --live: seconds between readings.")
    ] = 5.0,
) -> None:
    """Simulate COUNT devices with DAYS of realistic readings; demo customers own some."""
    opened = open_app()
    migrations.upgrade(opened.settings.database_url)
    end = datetime.now(UTC)
    start = end - timedelta(days=days)
    owners: list[str | None] = [None] * count
    with opened.db.unit_of_work() as session:
        for n in range(min(count, DEMO_ACCOUNTS)):
            subject = subjects.find_subject_by(
                session=session,
                vault=opened.vault,
                kind=IdentityKind.ACCOUNT_ID,
                value=f"demo-{n + 1:04d}",
            )
            owners[n] = subject.id if subject and not subject.closed_at else None
    if mqtt is not None:
        cli_mqtt.demo_over_mqtt(
            opened,
            fleet=simulator.fleet(count),
            owners=owners,
            start=start,
            target=mqtt,
            live=live,
            every=every,
        )
        return
    stored = alarms = claimed = 0
    secrets: list[tuple[str, str]] = []
    for device, owner in zip(simulator.fleet(count), owners, strict=True):
        with opened.db.unit_of_work() as session:
            seeded = simulator.seed_device(
                session=session,
                vault=opened.vault,
                declaration=opened.declaration,
                device=device,
                start=start,
                end=end,
                owners=[(owner, start)] if owner else [],
                actor=ACTOR,
            )
        stored, alarms = stored + seeded.stored, alarms + seeded.alarms
        claimed += seeded.periods
        if seeded.secret:
            secrets.append((device.serial, seeded.secret))
    out.print(
        f"[green]{count} devices[/green]: {stored} readings stored ({alarms} alarms), "
        f"{claimed} ownerships by demo customers"
    )
    for serial, secret in secrets[:3]:
        out.print(f"  {serial} signing secret: {secret}", soft_wrap=True, highlight=False)
    if len(secrets) > 3:
        out.print(f"  … and {len(secrets) - 3} more new devices (reissue a secret to get one)")
