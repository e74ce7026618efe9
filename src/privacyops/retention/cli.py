"""`privacyops retention ...`: sweeps, previews, legal holds. A face, wiring only."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from privacyops.db import utcnow
from privacyops.jobs import queue
from privacyops.jobs.cli import fail, open_all
from privacyops.retention import service

retention_app = typer.Typer(help="Retention sweeps and legal holds.", no_args_is_help=True)
holds_app = typer.Typer(help="Legal holds: data kept past its expiry.", no_args_is_help=True)
retention_app.add_typer(holds_app, name="holds")

ACTOR = "cli"
out = Console()


def _moment(raw: str, name: str) -> datetime:
    """A date (end of that day is not implied: 00:00 UTC) or a date and time with a zone."""
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise fail(f"{name}: {raw!r} is not a date (YYYY-MM-DD) or a date and time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@retention_app.command("sweep")
def sweep(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would go, per category; change nothing.")
    ] = False,
    batch: Annotated[
        int, typer.Option(min=1, max=100_000, help="Rows per committed batch.")
    ] = service.DEFAULT_BATCH,
) -> None:
    """Delete (or anonymise) what has expired and no hold keeps, in committed batches."""
    opened = open_all()
    declaration = opened.policy.declaration
    now = utcnow()
    with opened.db.unit_of_work() as session:
        plan = service.preview(session=session, declaration=declaration, now=now)
    table = Table("category", "rule", "action", "expired", "held", "would go" if dry_run else "due")
    for line in plan:
        table.add_row(
            line.category, line.rule, line.action, str(line.expired), str(line.held), str(line.due)
        )
    if dry_run:
        out.print(table)
        out.print(
            f"dry run at {now:%Y-%m-%d %H:%M:%S} UTC: {sum(x.due for x in plan)} values would go, "
            f"{sum(x.held for x in plan)} are held; orders and telemetry run their own purge. "
            "Nothing was changed."
        )
        return
    try:
        with queue.exclusive(
            db=opened.db,
            settings=opened.settings,
            policy=opened.policy,
            vault=opened.vault,
            task_name="retention_sweep",
            holder=f"cli:{queue.worker_name()}",
        ) as held:
            with opened.db.unit_of_work() as session:
                service.close_interrupted(session=session)
            with (
                Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=out,
                    transient=False,
                ) as progress,
                opened.db.unit_of_work() as session,
            ):
                bars = {
                    line.category: progress.add_task(line.category, total=line.due)
                    for line in plan
                    if line.due > 0
                }

                def checkpoint() -> None:
                    session.commit()
                    held.context.heartbeat()

                def on_batch(category: str, count: int) -> None:
                    if category in bars:
                        progress.advance(bars[category], count)

                report = service.sweep(
                    session=session,
                    declaration=declaration,
                    actor=ACTOR,
                    checkpoint=checkpoint,
                    now=now,
                    batch=batch,
                    on_batch=on_batch,
                )
            held.result = {"report": report.id, "deleted": report.deleted}
    except queue.BusyError as error:
        raise fail(f"{error}; try again when it has finished") from None
    out.print(
        f"[green]sweep {report.id} done[/green]: {report.deleted} deleted, "
        f"{report.anonymized} anonymised, {report.held} held, in {report.batches} batches; "
        f"other stores: {json.dumps(report.extras)}",
        soft_wrap=True,
    )


@retention_app.command("upcoming")
def upcoming() -> None:
    """What expires soon, per category (and what is expired or held now)."""
    opened = open_all()
    with opened.db.unit_of_work() as session:
        rows = service.upcoming(session=session, declaration=opened.policy.declaration)
    table = Table(
        "category", "rule", "expired", "7 days", "30 days", "90 days", "no expiry yet", "held"
    )
    for row in rows:
        table.add_row(
            row.category,
            row.rule,
            str(row.expired),
            str(row.within_7),
            str(row.within_30),
            str(row.within_90),
            str(row.open_ended),
            f"{row.held} ({row.expired_held} expired)",
        )
    out.print(table)


@retention_app.command("reports")
def reports(limit: Annotated[int, typer.Option(min=1, max=1000)] = 20) -> None:
    """The most recent sweep reports."""
    opened = open_all()
    table = Table(
        "id", "started (UTC)", "status", "actor", "deleted", "anonymised", "held", "batches"
    )
    with opened.db.unit_of_work() as session:
        for row in service.reports(session=session, limit=limit):
            table.add_row(
                str(row.id),
                f"{row.started_at:%Y-%m-%d %H:%M:%S}",
                row.status,
                row.actor,
                str(row.deleted),
                str(row.anonymized),
                str(row.held),
                str(row.batches),
            )
    out.print(table)


@holds_app.command("list")
def holds_list(
    all_holds: Annotated[bool, typer.Option("--all", help="Also lifted and ended holds.")] = False,
) -> None:
    """Legal holds, active ones only unless --all."""
    opened = open_all()
    now = utcnow()
    table = Table(
        "id", "state", "subject", "category", "law", "reference", "ends (UTC)", "created by"
    )
    with opened.db.unit_of_work() as session:
        for hold in service.list_holds(session=session, active_only=not all_holds, now=now):
            table.add_row(
                hold.id,
                service.hold_state(hold, now),
                hold.subject_id or "every subject",
                hold.category or "every category",
                hold.law,
                hold.reference or "-",
                f"{hold.ends_at:%Y-%m-%d %H:%M}" if hold.ends_at else "until lifted",
                hold.created_by,
            )
    out.print(table)


@holds_app.command("create")
def holds_create(
    reason: Annotated[
        str, typer.Option(help="Why the data must be kept (not shown in the audit log).")
    ],
    law: Annotated[str, typer.Option(help="The law, order or basis that requires it.")],
    subject: Annotated[str | None, typer.Option(help="A data subject id.")] = None,
    category: Annotated[str | None, typer.Option(help="A declared data category.")] = None,
    until: Annotated[
        str | None, typer.Option(help="End date (YYYY-MM-DD or ISO time); none: until lifted.")
    ] = None,
    reference: Annotated[str | None, typer.Option(help="Case or order number.")] = None,
) -> None:
    """Place a legal hold on a subject, a category, or a subject's category."""
    opened = open_all()
    ends_at = _moment(until, "until") if until else None
    try:
        with opened.db.unit_of_work() as session:
            hold = service.create_hold(
                session=session,
                declaration=opened.policy.declaration,
                actor=ACTOR,
                reason=reason,
                law=law,
                subject_id=subject,
                category=category,
                ends_at=ends_at,
                reference=reference,
            )
    except service.RetentionError as error:
        raise fail(f"{error.field or 'input'}: {error}") from None
    out.print(f"[green]hold {hold.id} placed[/green]")


@holds_app.command("lift")
def holds_lift(
    hold_id: Annotated[str, typer.Argument(help="The hold, e.g. HOLD-1A2B3C4D.")],
) -> None:
    """Lift a legal hold: its data expires again under its own rule."""
    opened = open_all()
    try:
        with opened.db.unit_of_work() as session:
            hold = service.lift_hold(session=session, hold_id=hold_id, actor=ACTOR)
    except service.RetentionError as error:
        raise fail(str(error)) from None
    out.print(f"[green]hold {hold.id} lifted[/green]")
