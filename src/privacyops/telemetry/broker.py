"""The Mosquitto broker's configuration, written from the device registry.

Each device logs in with its own credentials: the user name is its serial
(normalised: trimmed, upper case) and the password is derived from its signing
secret (``pseudonyms.mqtt_password``), so nothing new has to reach the device.
The ACL lets a device write only ``devices/<serial>/telemetry`` and
``devices/<serial>/alarms`` and read nothing; the consumer's account reads
both topics of every device and writes nothing. The consumer's password is
derived from the application's secret key (``consumer_password``), so the
configuration writer and ``devices mqtt`` agree without a stored password.

The password file uses Mosquitto 2's own format (what ``mosquitto_passwd``
writes): ``user:$7$<iterations>$<base64 salt>$<base64 PBKDF2-HMAC-SHA512>``.
Every file is written next to its final name and renamed over it, so a broker
reloading on SIGHUP never reads half a file.

Serials that cannot be an MQTT user name and topic level (with ``+``, ``#``,
``/``, ``:``, white space or control characters) are left out and reported.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.telemetry import pseudonyms
from privacyops.telemetry.messages import CHANNELS, TOPIC_ROOT
from privacyops.telemetry.models import Device
from privacyops.vault.errors import VaultError
from privacyops.vault.service import Vault

CONSUMER = "privacyops-ingest"
PBKDF2_ITERATIONS = 101  # mosquitto_passwd's default
SALT_BYTES = 12
MQTT_SAFE = re.compile(r"^[!-~]{1,64}$")  # printable ASCII, no space
UNSAFE = frozenset("+#/:")
#: How many QoS 1 messages the broker keeps in flight towards, and queued for, one client.
INFLIGHT = 1000
QUEUED = 1_000_000
MAX_PACKET = 4 * 1_048_576
CONF_NAME = "privacyops.conf"
PASSWORDS_NAME = "passwords"
ACL_NAME = "acl"
LOG_NAME = "mosquitto.log"


def consumer_password(secret_key: str) -> str:
    return hmac.new(
        secret_key.encode("utf-8"), b"privacyops mqtt consumer v1", hashlib.sha256
    ).hexdigest()


def password_line(user: str, password: str, *, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, PBKDF2_ITERATIONS)
    encoded = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"{user}:$7${PBKDF2_ITERATIONS}${encoded[0]}${encoded[1]}"


def mqtt_safe(serial: str) -> bool:
    return bool(MQTT_SAFE.match(serial)) and not UNSAFE.intersection(serial)


@dataclass(frozen=True, slots=True)
class Credential:
    serial: str
    password: str


@dataclass
class Registry:
    """The devices the broker will know, and those left out (by last four and why)."""

    credentials: list[Credential] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def device_credentials(*, session: Session, vault: Vault) -> Registry:
    """Every registered device's MQTT user name and password, from its sealed serial and secret."""
    found = Registry()
    for device in session.scalars(select(Device).order_by(Device.id)):
        if device.sealed_serial is None:
            found.skipped.append((device.serial_tail, "registered before MQTT: reissue its secret"))
            continue
        try:
            serial = pseudonyms.open_serial(vault, device.device_key, device.sealed_serial)
            secret = pseudonyms.open_secret(vault, device.device_key, device.credential)
        except VaultError:
            found.skipped.append((device.serial_tail, "its sealed serial or secret does not open"))
            continue
        if not mqtt_safe(serial):
            found.skipped.append((device.serial_tail, "the serial is not a valid MQTT user name"))
            continue
        found.credentials.append(Credential(serial, pseudonyms.mqtt_password(secret, serial)))
    return found


def acl_text(serials: Iterable[str]) -> str:
    lines = [f"user {CONSUMER}"]
    lines += [f"topic read {TOPIC_ROOT}/+/{channel}" for channel in CHANNELS]
    for serial in serials:
        lines += ["", f"user {serial}"]
        lines += [f"topic write {TOPIC_ROOT}/{serial}/{channel}" for channel in CHANNELS]
    return "\n".join(lines) + "\n"


def conf_text(
    directory: Path,
    *,
    listen: tuple[str, int] | None = None,
    log_file: Path | None = None,
    run_as: str | None = None,
) -> str:
    """The broker settings privacyops relies on; ``include_dir`` it or start with ``-c``."""
    log = log_file or directory / LOG_NAME
    lines = ["# Written by `privacyops devices broker-config`; rewritten when devices change."]
    if listen is not None:
        # Listener options above the first `listener` line would open a default
        # listener on 1883 as well; with the listener first they apply to it alone.
        lines.append(f"listener {listen[1]} {listen[0]}")
    lines += [
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {directory / PASSWORDS_NAME}",
        f"acl_file {directory / ACL_NAME}",
        "# A device's client id is its user name, so the log names the serial.",
        "use_username_as_clientid true",
        f"max_inflight_messages {INFLIGHT}",
        f"max_queued_messages {QUEUED}",
        f"max_packet_size {MAX_PACKET}",
        "# Denied publishes are read from this log (`devices mqtt --broker-log`); they are",
        "# logged at the debug level.",
        f"log_dest file {log}",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_type information",
        "log_type debug",
        "connection_messages true",
    ]
    if run_as:
        lines.append(f"user {run_as}")
    return "\n".join(lines) + "\n"


def _replace(path: Path, text: str, mode: int = 0o640) -> None:
    partial = path.with_name(f".{path.name}.new")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(partial, path)


def write(
    directory: Path,
    *,
    registry: Registry,
    secret_key: str,
    listen: tuple[str, int] | None = None,
    log_file: Path | None = None,
    run_as: str | None = None,
) -> list[Path]:
    """Write the configuration, password file and ACL into ``directory``; returns the paths."""
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    users = [password_line(CONSUMER, consumer_password(secret_key))]
    users += [password_line(c.serial, c.password) for c in registry.credentials]
    paths = [directory / CONF_NAME, directory / PASSWORDS_NAME, directory / ACL_NAME]
    _replace(paths[0], conf_text(directory, listen=listen, log_file=log_file, run_as=run_as))
    _replace(paths[1], "\n".join(users) + "\n", 0o600)
    _replace(paths[2], acl_text(c.serial for c in registry.credentials))
    return paths
