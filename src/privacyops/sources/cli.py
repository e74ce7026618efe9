"""`privacyops sources ...`: check the external sources, dry-run an erasure. A face, wiring only."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from privacyops.db import utcnow
from privacyops.jobs.cli import fail, open_all
from privacyops.sources import health
from privacyops.sources.preview import PreviewError, erasure_preview

sources_app = typer.Typer(
    help="External sources: health and erasure dry runs.", no_args_is_help=True
)
ACTOR = "cli"
out = Console()


@sources_app.command("check")
def check() -> None:
    """Connect to each external source and check every declared table (reads no row)."""
    opened = open_all()
    declaration = opened.policy.declaration
    if not declaration.external_sources:
        out.print("the declaration names no external source")
        return
    now = utcnow()
    table = Table("source", "reachable", "indexes", "problems")
    failed = False
    with opened.db.unit_of_work() as session:
        for source in declaration.external_sources:
            row = health.check(
                session=session,
                source=source,
                settings=opened.settings,
                vault=opened.vault,
                now=now,
            )
            failed = failed or bool(row.check_error)
            table.add_row(
                source.name,
                "yes" if row.reachable else "no",
                {True: "yes", False: "missing", None: "-"}[row.indexes_ok],
                row.check_error or "",
            )
    out.print(table)
    if failed:
        raise typer.Exit(1)


@sources_app.command("preview")
def preview(
    request_id: Annotated[str, typer.Argument(help="The deletion request to dry-run.")],
) -> None:
    """Per external table: the rows an erasure of the request would change, how, and kept."""
    opened = open_all()
    with opened.db.unit_of_work() as session:
        try:
            found = erasure_preview(
                session=session,
                vault=opened.vault,
                settings=opened.settings,
                declaration=opened.policy.declaration,
                request_id=request_id,
                actor=ACTOR,
                now=utcnow(),
            )
        except PreviewError as error:
            raise fail(str(error)) from None
    if found.error:
        raise fail(found.error)
    table = Table("table", "action", "rows", "fields", "kept", "until")
    for t in found.tables:
        fields = ", ".join(f"{f['field']}: {f['strategy']}" for f in t["fields"])
        table.add_row(
            t["table"], t["action"], str(t["rows"]), fields, str(t["kept"]), t["kept_until"] or ""
        )
    out.print(table)
