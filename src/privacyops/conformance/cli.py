"""`privacyops audit run`: the conformance audit as a deploy gate (exit 1 on a violation)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from privacyops.conformance import service
from privacyops.jobs.cli import open_all

out = Console()
STYLE = {"violation": "red", "warning": "yellow", "info": "dim"}


def audit_run(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check the live data against the declaration; exit 1 if anything breaks it."""
    opened = open_all()
    with opened.db.unit_of_work() as session:
        report = service.run(session=session, declaration=opened.policy.declaration)
        service.record_run(session=session, report=report, actor="cli")
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        table = Table("severity", "kind", "count", "what", "where to fix")
        for finding in report.findings:
            table.add_row(
                f"[{STYLE[finding.severity]}]{finding.severity}[/]",
                finding.kind,
                str(finding.count),
                finding.what,
                finding.fix,
            )
        if report.findings:
            out.print(table)
        verdict = (
            "[green]conforms to the declaration[/green]"
            if report.ok
            else f"[red]{report.violations} violations[/red]"
        )
        out.print(f"{verdict} ({len(report.checks)} checks, {len(report.findings)} findings)")
    if not report.ok:
        raise typer.Exit(1)
