"""What every `privacyops devices` command starts with: settings, database, vault, declaration."""

from __future__ import annotations

from dataclasses import dataclass

import typer
from rich.console import Console

from privacyops.db import Database
from privacyops.policy.loader import DeclarationError
from privacyops.policy.schema import Declaration
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings
from privacyops.vault.service import Vault

out = Console()
err = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


@dataclass(frozen=True)
class Opened:
    settings: Settings
    db: Database
    vault: Vault
    declaration: Declaration


def open_app() -> Opened:
    try:
        settings = Settings()
    except ValueError as error:
        raise fail(f"configuration: {error}") from None
    try:
        declaration = PolicyStore(settings.policy).declaration
    except DeclarationError as error:
        for problem in error.problems:
            err.print(str(problem), style="red", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except OSError as error:
        raise fail(f"{settings.policy}: {error.strerror}") from None
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url, secret=settings.secret_key)
    return Opened(settings, db, Vault.from_settings(settings), declaration)
