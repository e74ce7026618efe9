"""The `privacyops` command: wiring only; each command is one unit of work."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import make_url

from privacyops import demo as demo_data
from privacyops import migrate as migrations
from privacyops.audit.cli import audit_app
from privacyops.conformance.cli import audit_run
from privacyops.consent.cli import cookies_app
from privacyops.db import Database
from privacyops.jobs.cli import jobs_app
from privacyops.jobs.cli import worker as jobs_worker
from privacyops.policy import versions
from privacyops.policy.cli import policy_app
from privacyops.policy.loader import DeclarationError
from privacyops.policy.service import PolicyStore
from privacyops.retention.cli import retention_app
from privacyops.settings import Settings
from privacyops.sources.cli import sources_app
from privacyops.staff import service as staff
from privacyops.subjects.cli import subjects_app
from privacyops.telemetry.cli import demo_devices, devices_app
from privacyops.vault.cli import keys_app
from privacyops.vault.service import Vault

app = typer.Typer(help="privacyops: the privacy policy as code.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff users.", no_args_is_help=True)
app.add_typer(staff_app, name="staff")
app.add_typer(audit_app, name="audit")
app.add_typer(policy_app, name="policy")
app.add_typer(keys_app, name="keys")
app.add_typer(devices_app, name="devices")
app.add_typer(cookies_app, name="cookies")
app.add_typer(retention_app, name="retention")
app.add_typer(jobs_app, name="jobs")
app.add_typer(subjects_app, name="subjects")
app.add_typer(sources_app, name="sources")
app.command("worker")(jobs_worker)
audit_app.command("run")(audit_run)

out = Console()
err = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(1)


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as error:
        raise fail(f"configuration: {error}") from None


def _policy(settings: Settings) -> PolicyStore:
    try:
        return PolicyStore(settings.policy)
    except DeclarationError as error:
        for problem in error.problems:
            err.print(str(problem), style="red", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except OSError as error:
        raise fail(f"{settings.policy}: {error.strerror}") from None


def _database(settings: Settings) -> Database:
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        file = make_url(settings.database_url).database
        if file and file != ":memory:":  # the file may live outside data_dir
            Path(file).parent.mkdir(parents=True, exist_ok=True)
    return Database(settings.database_url, secret=settings.secret_key)


@app.command()
def migrate() -> None:
    """Apply every pending database migration."""
    settings = _settings()
    _database(settings).dispose()
    migrations.upgrade(settings.database_url)
    out.print("[green]database is up to date[/green]")


demo_app = typer.Typer(help="Synthetic demo data.", invoke_without_command=True)
app.add_typer(demo_app, name="demo")
demo_app.command("devices")(demo_devices)


@demo_app.callback()
def demo(ctx: typer.Context) -> None:
    """Load the synthetic demo data (once; later runs change nothing)."""
    if ctx.invoked_subcommand is not None:
        return
    settings = _settings()
    db = _database(settings)
    migrations.upgrade(settings.database_url)
    with db.unit_of_work() as session:
        if demo_data.is_loaded(session=session):
            out.print("demo data is already loaded")
            return
        keys = demo_data.load(
            session=session, policy=_policy(settings), vault=Vault.from_settings(settings)
        )
    out.print(f"[green]demo data loaded[/green]; staff password: {demo_data.DEMO_PASSWORD}")
    for name, key in keys.items():
        out.print(f"  API key for {name}: {key}", soft_wrap=True)


@app.command()
def serve(
    with_demo: Annotated[
        bool, typer.Option("--demo/--no-demo", help="Load demo data once.")
    ] = True,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Migrate, create the first admin if none exists, then serve HTTP."""
    import uvicorn

    from privacyops.app import create_app

    settings = _settings()
    policy = _policy(settings)
    db = _database(settings)
    migrations.upgrade(settings.database_url)
    with db.unit_of_work() as session:
        password = demo_data.ensure_first_admin(session=session)
        vault = Vault.from_settings(settings)
        keys = demo_data.load(session=session, policy=policy, vault=vault) if with_demo else {}
    if password:
        out.print(
            f"[bold]First admin created.[/bold] username: admin  one-time password: {password}"
        )
    if keys:
        out.print(f"Demo staff password: {demo_data.DEMO_PASSWORD}")
        for name, key in keys.items():
            out.print(f"  demo API key for {name}: {key}", soft_wrap=True)
    out.print(f"privacy center: {settings.public_url}/", soft_wrap=True)
    out.print(f"admin console:  {settings.public_url}/admin", soft_wrap=True)
    if settings.jobs == "inprocess":
        out.print("background jobs: in-process worker (PRIVACYOPS_JOBS=inprocess)")
    else:
        out.print(f"background jobs: {settings.jobs} (PRIVACYOPS_JOBS)")
    uvicorn.run(
        create_app(settings, db=db, policy=policy, start_jobs=True),
        host=settings.host,
        port=settings.port,
        reload=reload,
    )


@staff_app.command("create")
def staff_create(
    username: str,
    role: Annotated[str, typer.Option(help="admin, privacy_officer, support_agent or auditor")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
) -> None:
    """Create a staff user."""
    settings = _settings()
    db = _database(settings)
    try:
        with db.unit_of_work() as session:
            user = staff.create_staff(
                session=session,
                username=username,
                role=role,
                password=password,
                display_name=name,
                actor="cli",
            )
            out.print(f"[green]created[/green] {user.username} ({user.role})")
    except staff.StaffError as error:
        raise fail(f"{error.field or 'input'}: {error}") from None


@staff_app.command("list")
def staff_list() -> None:
    """List staff users."""
    db = _database(_settings())
    with db.unit_of_work() as session:
        table = Table("username", "name", "role", "2FA", "active")
        for user in staff.list_staff(session=session):
            table.add_row(
                user.username,
                user.display_name,
                user.role,
                "on" if user.totp_enabled else "off",
                "yes" if user.active else "no",
            )
    out.print(table)


@policy_app.command("publish")
def policy_publish() -> None:
    """Publish the declaration in force as a new policy version (kept with its hash and text)."""
    settings = _settings()
    current = _policy(settings).current
    db = _database(settings)
    try:
        with db.unit_of_work() as session:
            row = versions.publish(
                session=session, source=current.source, name=str(current.path), actor="cli"
            )
            renew = ", ".join(row.renew_consent_for) or "none"
            out.print(
                f"[green]published[/green] {row.label} ({row.version}, {row.change_class}); "
                f"sha256 {row.sha256[:16]}…; renewed consent needed for: {renew}",
                soft_wrap=True,
            )
    except versions.PublishError as error:
        raise fail(str(error)) from None


@policy_app.command("versions")
def policy_versions() -> None:
    """List the published policy versions."""
    db = _database(_settings())
    table = Table("version", "label", "class", "effective", "published", "sha256", "renew consent")
    with db.unit_of_work() as session:
        for row in versions.list_versions(session=session):
            table.add_row(
                row.version,
                row.label,
                row.change_class,
                row.effective_date.isoformat(),
                row.published_at.strftime("%Y-%m-%d %H:%M"),
                row.sha256[:12],
                ", ".join(row.renew_consent_for) or "-",
            )
    out.print(table)


@policy_app.command("diff")
def policy_diff(old: str, new: str) -> None:
    """Show what changed between two published versions."""
    db = _database(_settings())
    try:
        with db.unit_of_work() as session:
            result = versions.diff(session=session, old=old, new=new)
    except versions.PublishError as error:
        raise fail(str(error)) from None
    for name in ("purposes", "categories"):
        for change in ("added", "removed", "changed"):
            keys = getattr(result, f"{name}_{change}")
            if keys:
                out.print(f"{name} {change}: {', '.join(keys)}", soft_wrap=True)
    out.print(result.text or "no textual change", markup=False, highlight=False, soft_wrap=True)


def main() -> None:
    app()
