"""`privacyops keys ...`: master key rotation and key status. A face: wiring only."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from privacyops.db import Database
from privacyops.settings import Settings
from privacyops.vault.errors import VaultError
from privacyops.vault.service import Vault

keys_app = typer.Typer(help="Master keys and per-subject data keys.", no_args_is_help=True)

out = Console()
err = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(1)


def _open() -> tuple[Database, Vault]:
    try:
        settings = Settings()
    except ValueError as error:
        raise _fail(f"configuration: {error}") from None
    return Database(settings.database_url, secret=settings.secret_key), Vault.from_settings(
        settings
    )


@keys_app.command("rotate")
def rotate(
    batch: Annotated[
        int, typer.Option(min=1, help="Subject keys rewrapped per transaction.")
    ] = 500,
) -> None:
    """Create a new master key and rewrap every subject key under it.

    Each batch is committed on its own; if the run is interrupted, run the
    command again: it finishes the rotation instead of starting another.
    """
    db, vault = _open()
    try:
        with (
            Progress(
                TextColumn("rewrapping subject keys"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=out,
                transient=True,
            ) as bar,
            db.unit_of_work() as session,
        ):
            task = bar.add_task("rewrap", total=None)
            result = vault.rotate_master(
                session=session,
                actor="cli",
                batch=batch,
                checkpoint=session.commit,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except VaultError as error:
        raise _fail(str(error)) from None
    finally:
        db.dispose()
    action = "new master key" if result.created_key else "finished the rotation to"
    out.print(
        f"[green]{action} {result.key_id}[/green]: {result.rewrapped} subject keys rewrapped, "
        f"{result.already_current} already under it"
    )
    if result.failed:
        raise _fail(
            f"{result.failed} subject keys could not be unwrapped (tampered, or their master "
            "key is gone); see the log, then run `privacyops keys status`"
        )


@keys_app.command("status")
def status() -> None:
    """Master key versions, how many subject keys each wraps, and how many were shredded."""
    db, vault = _open()
    try:
        with db.unit_of_work() as session:
            report = vault.status(session=session)
    except VaultError as error:
        raise _fail(str(error)) from None
    finally:
        db.dispose()
    table = Table("master key", "current", "in key store", "subject keys")
    for use in report.master_keys:
        table.add_row(
            use.key_id,
            "yes" if use.current else "",
            "yes" if use.in_store else "[red]missing[/red]",
            str(use.subject_keys),
        )
    out.print(table)
    out.print(f"shredded subject keys: {report.destroyed}")
    stale = sum(use.subject_keys for use in report.master_keys if not use.current)
    if stale:
        out.print(f"{stale} subject keys are not under the current master key: run `keys rotate`")


@keys_app.command("finish-shreds")
def finish_shreds() -> None:
    """Delete key-store shares left behind by erasures that a crash interrupted."""
    db, vault = _open()
    try:
        with db.unit_of_work() as session:
            done = vault.complete_shreds(session=session)
    except VaultError as error:
        raise _fail(str(error)) from None
    finally:
        db.dispose()
    out.print(f"[green]{done} key-store shares deleted[/green]" if done else "nothing to finish")
