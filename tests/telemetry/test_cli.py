"""`privacyops devices ...` and `privacyops demo devices`."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from privacyops.cli import app as cli
from privacyops.db import Database
from privacyops.settings import Settings
from privacyops.telemetry import pseudonyms, service
from privacyops.telemetry.models import Device, Ownership, Reading
from privacyops.vault.service import Vault

runner = CliRunner()


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:
            monkeypatch.setenv(f"PRIVACYOPS_{name.upper()}", str(value))


def run(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.usefixtures("env")
def test_register_list_and_reissue(db: Database, vault: Vault) -> None:
    output = run(
        "devices",
        "register",
        "FST-CLI-0042",
        "--model",
        "FST-MCB-63",
        "--firmware",
        "2.4.0",
        "--region",
        "CN",
    )
    secret = output.split("shown once): ")[1].strip()
    assert secret.startswith("pod_")
    assert "…0042" in run("devices", "list")
    refused = runner.invoke(
        cli,
        [
            "devices",
            "register",
            "fst-cli-0042",
            "--model",
            "M",
            "--firmware",
            "1",
            "--region",
            "CN",
        ],
    )
    assert refused.exit_code == 1
    assert "already registered" in refused.output
    again = run("devices", "reissue", "FST-CLI-0042").split("shown once): ")[1].strip()
    assert again != secret
    with db.unit_of_work() as session:
        device = service.device_or_404(session, vault, "FST-CLI-0042")
        body = b'{"readings": []}'
        with pytest.raises(service.DeviceAuthError):
            service.authenticate(
                session=session,
                vault=vault,
                serial="FST-CLI-0042",
                body=body,
                signature=pseudonyms.sign(secret, body),
            )
        assert (
            service.authenticate(
                session=session,
                vault=vault,
                serial="FST-CLI-0042",
                body=body,
                signature=pseudonyms.sign(again, body),
            )
            is not None
        )
        assert device.id


@pytest.mark.usefixtures("env")
def test_demo_devices_simulates_a_fleet_owned_by_demo_customers(db: Database) -> None:
    assert "demo data loaded" in run("demo")
    with db.unit_of_work() as session:
        seeded = session.scalar(select(func.count()).select_from(Device))
        periods = session.scalar(select(func.count()).select_from(Ownership))
    assert (seeded, periods) == (6, 6)  # the demo's own six, one handed over once
    output = run("demo", "devices", "--count", "8", "--days", "1")
    assert "8 devices" in output
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Device)) == 8
        readings = session.scalar(select(func.count()).select_from(Reading)) or 0
        owned = session.scalar(select(func.count(func.distinct(Ownership.device_id))))
    assert readings > 8 * 96
    assert owned == 8  # demo-0001 … demo-0008 are open accounts
    assert "partitions created" in run("devices", "partitions")
    assert "rows deleted: 0" in run("devices", "sweep")
    assert "demo data is already loaded" in run("demo")


@pytest.mark.usefixtures("env")
def test_claim_and_release_from_the_command_line(db: Database) -> None:
    run("demo")
    run("devices", "register", "FST-CLI-7", "--model", "M", "--firmware", "1", "--region", "DE")
    assert "claimed" in run("devices", "claim", "FST-CLI-7", "--account-id", "demo-0001")
    assert "released" in run("devices", "release", "FST-CLI-7", "--account-id", "demo-0001")
    wrong = runner.invoke(cli, ["devices", "release", "FST-CLI-7", "--account-id", "demo-0001"])
    assert wrong.exit_code == 1
    assert "does not hold" in wrong.output
    nobody = runner.invoke(cli, ["devices", "claim", "FST-CLI-7", "--account-id", "nobody"])
    assert nobody.exit_code == 1
