"""`privacyops devices broker-config`: files from the registry that a real Mosquitto accepts."""

from __future__ import annotations

import base64
import getpass
import hashlib

import pytest
from tests.mosquitto import Broker, wait_for
from tests.telemetry.conftest import SERIAL, Fleet
from typer.testing import CliRunner

from privacyops.cli import app as cli
from privacyops.settings import Settings
from privacyops.telemetry import broker, codecs, pseudonyms

runner = CliRunner()


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:
            monkeypatch.setenv(f"PRIVACYOPS_{name.upper()}", str(value))


def test_password_lines_are_mosquittos_pbkdf2_format() -> None:
    line = broker.password_line("FST-1", "s3cret", salt=b"0123456789ab")
    user, rest = line.split(":", 1)
    _empty, seven, rounds, salt, digest = rest.split("$")
    assert (user, seven, rounds) == ("FST-1", "7", "101")
    expected = hashlib.pbkdf2_hmac("sha512", b"s3cret", base64.b64decode(salt), 101)
    assert base64.b64decode(digest) == expected


def test_the_device_password_is_documented_arithmetic() -> None:
    assert pseudonyms.mqtt_password("pod_x", "FST-1") == pseudonyms.sign(
        "pod_x", b"privacyops mqtt password v1\nFST-1"
    )


@pytest.mark.usefixtures("env")
def test_broker_config_writes_the_registry_and_reloads_a_running_broker(
    fleet: Fleet, mosquitto: Broker
) -> None:
    fleet.device()
    fleet.device("odd serial+#")
    pid_file = mosquitto.directory / "broker.pid"
    assert mosquitto.process is not None
    pid_file.write_text(str(mosquitto.process.pid))
    before = mosquitto.log.read_text().count("Reloading config")
    result = runner.invoke(
        cli,
        [
            "devices",
            "broker-config",
            "--out",
            str(mosquitto.directory),
            "--listen",
            mosquitto.address,
            "--run-as",
            getpass.getuser(),
            "--hup",
            str(pid_file),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "1 devices can log in" in result.output
    assert "not a valid MQTT user name" in result.output
    acl = (mosquitto.directory / broker.ACL_NAME).read_text()
    assert f"user {SERIAL}\ntopic write devices/{SERIAL}/telemetry\n" in acl
    assert "topic read devices/+/telemetry" in acl
    users = (mosquitto.directory / broker.PASSWORDS_NAME).read_text()
    assert users.startswith(f"{broker.CONSUMER}:$7$101$")
    wait_for(
        lambda: mosquitto.log.read_text().count("Reloading config") > before, what="the reload"
    )


@pytest.mark.usefixtures("env")
def test_broker_config_names_the_option_at_fault() -> None:
    result = runner.invoke(cli, ["devices", "broker-config", "--out", "x", "--listen", "nohost"])
    assert result.exit_code == 1
    assert "--listen: expected HOST:PORT" in result.output


def test_sniffing_tells_the_three_encodings_apart() -> None:
    batch = {"batch_id": "b", "readings": []}
    for encoding in codecs.Encoding:
        assert codecs.sniff(codecs.encode(batch, encoding)) is encoding
    assert codecs.sniff(b" \n{") is codecs.Encoding.JSON
    with pytest.raises(codecs.BatchError, match="empty"):
        codecs.sniff(b"")
