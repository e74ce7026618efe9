"""House rules as code: docs cover what exists, services never commit, config in one place."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from privacyops.cli import app as cli
from privacyops.settings import Settings
from privacyops.staff.permissions import DESCRIPTIONS, Permission

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "privacyops"
README = (ROOT / "README.md").read_text()


def _commands(group: typer.Typer, prefix: str = "") -> list[str]:
    click_group = typer.main.get_command(group)
    names: list[str] = []

    def walk(command: object, path: str) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, f"{path} {name}".strip())
        else:
            names.append(path)

    walk(click_group, prefix)
    return names


def test_every_setting_is_documented_in_the_readme() -> None:
    missing = [
        f"PRIVACYOPS_{name.upper()}"
        for name in Settings.model_fields
        if f"PRIVACYOPS_{name.upper()}" not in README
    ]
    assert missing == []


def test_every_setting_has_a_description() -> None:
    assert [name for name, field in Settings.model_fields.items() if not field.description] == []


def test_every_cli_command_is_documented_in_the_readme() -> None:
    missing = [name for name in _commands(cli) if f"privacyops {name}" not in README]
    assert missing == []


def test_every_permission_is_described() -> None:
    assert set(DESCRIPTIONS) == set(Permission)


RIGHTS_REQUEST_MODULES = (
    "common",
    "decisions",
    "downloads",
    "identity",
    "intake",
    "lookups",
    "messages",
    "running",
)


def test_services_never_commit() -> None:
    """The caller owns the transaction: service modules (and the rights-request modules,
    which are a service split by responsibility) never commit on their own."""
    rights = [SRC / "rights" / f"{name}.py" for name in RIGHTS_REQUEST_MODULES]
    offenders = [
        str(path.relative_to(ROOT))
        for path in [*SRC.rglob("service*.py"), *rights]
        if re.search(r"\.commit\(\)", path.read_text())
    ]
    assert offenders == []


def test_only_settings_reads_the_environment() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in SRC.rglob("*.py")
        if "os.environ" in path.read_text() and path.name != "settings.py"
    ]
    assert offenders == []
