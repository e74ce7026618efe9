"""`privacyops devices mqtt`, `devices broker-config` and the simulator's MQTT mode: wiring only."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from privacyops.telemetry import broker, codecs, mqtt, pseudonyms, service, simulator
from privacyops.telemetry.cli_support import Opened, fail, open_app, out
from privacyops.telemetry.messages import GroupResult
from privacyops.telemetry.publisher import DevicePublisher, PublishError, batch_payload

ACTOR = "cli"
PRINT_EVERY = 2.0


def address(value: str, option: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise fail(f"{option}: expected HOST:PORT, e.g. 127.0.0.1:1883, not {value!r}")
    return host, int(port)


def broker_config(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the files.")],
    listen: Annotated[
        str | None, typer.Option(help="Also write a listener, HOST:PORT (else add your own).")
    ] = None,
    log_file: Annotated[
        Path | None, typer.Option("--log", help="Broker log (default OUT/mosquitto.log).")
    ] = None,
    run_as: Annotated[
        str | None, typer.Option(help="User the broker runs as when started as root.")
    ] = None,
    hup: Annotated[
        Path | None, typer.Option(help="Broker pid file: send it SIGHUP to reload the files.")
    ] = None,
) -> None:
    """Write the broker's settings, password file and ACL from the device registry."""
    opened = open_app()
    where = address(listen, "--listen") if listen else None
    with opened.db.unit_of_work() as session:
        registry = broker.device_credentials(session=session, vault=opened.vault)
    try:
        paths = broker.write(
            out_dir,
            registry=registry,
            secret_key=opened.settings.secret_key,
            listen=where,
            log_file=log_file,
            run_as=run_as,
        )
    except OSError as error:
        raise fail(f"{error.filename or out_dir}: {error.strerror}") from None
    out.print(f"{len(registry.credentials)} devices can log in; wrote {', '.join(map(str, paths))}")
    for tail, reason in registry.skipped:
        out.print(f"  left out …{tail}: {reason}", highlight=False)
    if hup is not None:
        _reload(hup)


def _reload(pid_file: Path) -> None:
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError) as error:
        raise fail(f"{pid_file}: cannot signal the broker ({error})") from None
    out.print(f"broker {pid} told to reload")


def consume(
    broker_address: Annotated[
        str, typer.Option("--broker", help="The broker, HOST:PORT.")
    ] = "127.0.0.1:1883",
    broker_log: Annotated[
        Path | None, typer.Option(help="The broker's log: denied publishes are counted from it.")
    ] = None,
    username: Annotated[str, typer.Option(help="The consumer's user name.")] = broker.CONSUMER,
    password: Annotated[
        str | None,
        typer.Option(envvar="PRIVACYOPS_MQTT_PASSWORD", help="Default: derived from the key."),
    ] = None,
    client_id: Annotated[
        str,
        typer.Option(
            help="Fixed: the broker keeps this session's unacknowledged messages. "
            "A broker set up by broker-config uses the user name instead."
        ),
    ] = broker.CONSUMER,
    group: Annotated[int, typer.Option(min=1, max=1000, help="Messages per commit.")] = 200,
) -> None:
    """Store readings published to devices/<serial>/telemetry and /alarms until stopped."""
    opened = open_app()
    host, port = address(broker_address, "--broker")
    options = mqtt.Options(
        host=host,
        port=port,
        username=username,
        password=password or broker.consumer_password(opened.settings.secret_key),
        client_id=client_id,
        group_messages=group,
        broker_log=broker_log,
    )
    stop = threading.Event()

    def halt(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, halt)
    signal.signal(signal.SIGTERM, halt)
    printed = [0.0]

    def report(_result: GroupResult, totals: mqtt.Totals) -> None:
        if time.monotonic() - printed[0] >= PRINT_EVERY:
            printed[0] = time.monotonic()
            _print_totals(totals)

    consumer = mqtt.Consumer(
        db=opened.db,
        vault=opened.vault,
        declaration=opened.declaration,
        options=options,
        on_group=report,
    )
    out.print(f"consuming from {host}:{port} as {username}; Ctrl-C stops")
    _print_totals(consumer.run(stop))


def _print_totals(totals: mqtt.Totals) -> None:
    out.print(
        f"{totals.messages} messages: {totals.stored} readings stored, "
        f"{totals.duplicates} duplicates, {totals.refused} refused, "
        f"{totals.denied} publishes denied by the broker",
        highlight=False,
    )


def demo_over_mqtt(
    opened: Opened,
    *,
    fleet: list[simulator.SimDevice],
    owners: list[str | None],
    start: datetime,
    target: str,
    live: bool,
    every: float,
) -> None:
    """Publish the fleet's readings since each device was last seen, then (``live``) keep going."""
    host, port = address(target, "--mqtt")
    secrets: dict[str, str] = {}
    since: dict[str, datetime] = {}
    fresh = 0
    for device, owner in zip(fleet, owners, strict=True):
        with opened.db.unit_of_work() as session:
            seeded = simulator.seed_device(
                session=session,
                vault=opened.vault,
                declaration=opened.declaration,
                device=device,
                start=start,
                end=start,
                owners=[(owner, start)] if owner else [],
                actor=ACTOR,
            )
            found = service.device_or_404(session, opened.vault, device.serial)
            secret = seeded.secret or pseudonyms.open_secret(
                opened.vault, found.device_key, found.credential
            )
            secrets[device.serial] = secret if isinstance(secret, str) else secret.decode()
            last = found.last_seen_at
            since[device.serial] = max(last + timedelta(seconds=1) if last else start, start)
            fresh += seeded.secret is not None
    if fresh:
        out.print(
            f"{fresh} devices were registered now: run `privacyops devices broker-config` "
            "and reload the broker so they can log in, then run this again"
        )
        return
    publishers = {}
    try:
        for device in fleet:
            publishers[device.serial] = DevicePublisher(
                host, port, device.serial, secret=secrets[device.serial]
            )
        sent = _publish_span(publishers, fleet, since, datetime.now(UTC), simulator.INTERVAL)
        out.print(f"published {sent} readings to {host}:{port}")
        while live:
            time.sleep(every)
            moment = datetime.now(UTC)
            begin = {d.serial: moment - timedelta(seconds=every) for d in fleet}
            sent += _publish_span(publishers, fleet, begin, moment, timedelta(seconds=every))
            out.print(f"published {sent} readings", highlight=False)
    except PublishError as error:
        raise fail(f"--mqtt: {error}") from None
    except KeyboardInterrupt:
        pass
    finally:
        for publisher in publishers.values():
            publisher.close()


def _publish_span(
    publishers: dict[str, DevicePublisher],
    fleet: list[simulator.SimDevice],
    since: dict[str, datetime],
    end: datetime,
    interval: timedelta,
) -> int:
    sent = 0
    for device in fleet:
        batch: list[object] = []
        payloads: list[bytes] = []
        readings = simulator.readings(
            device, start=since[device.serial], end=end, interval=interval
        )
        for reading in readings:
            batch.append(reading)
            if len(batch) == 1000:
                payloads.append(batch_payload(batch, encoding=codecs.Encoding.CBOR))
                sent, batch = sent + len(batch), []
        if batch:
            payloads.append(batch_payload(batch, encoding=codecs.Encoding.CBOR))
            sent += len(batch)
        publishers[device.serial].publish(payloads)
    return sent
