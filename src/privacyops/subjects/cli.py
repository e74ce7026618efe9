"""`privacyops subjects import FILE`: existing customers from a CSV. A face, wiring only.

Each batch of rows is one unit of work: committed whole or not at all, so an
interrupted import is resumed by running it again (rows whose subject already
holds values of the category are skipped). A bad row is reported as
``FILE:LINE: message`` and nothing of it is stored; the other rows go on,
unless ``--strict``, which stops at the first bad row and rolls back its batch.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from privacyops.app import explicit_consent
from privacyops.collection import batch, imports
from privacyops.collection.intake import Intake, IntakeError
from privacyops.jobs.cli import fail, open_all

subjects_app = typer.Typer(help="Data subjects: bulk import.", no_args_is_help=True)

ACTOR = "cli"
SOURCE = "import"
DEFAULT_PURPOSE = {
    "account": "account_management",
    "contact": "service_support",
    "support": "service_support",
}
out = Console()
err = Console(stderr=True)


class _StrictStopError(Exception):
    """Raised inside a batch's unit of work so that it rolls back."""


@subjects_app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="CSV file, UTF-8, a header row of field names.")],
    category: Annotated[
        str, typer.Option(help="Data category of every row (account, contact, support, ...).")
    ] = "account",
    purpose: Annotated[
        str | None, typer.Option(help="Declared purpose (default: the category's main one).")
    ] = None,
    kind: Annotated[str, typer.Option(help="Kind of data subject created.")] = "customer",
    notice_version: Annotated[
        str | None,
        typer.Option(help="Privacy notice the people saw (default: the version in force)."),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch", min=1, max=10_000, help="Rows per committed batch.")
    ] = 1000,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop at the first bad row (its batch rolls back).")
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(help="Write the rejected rows' line numbers and reasons to this CSV."),
    ] = None,
) -> None:
    """Import records of one data category from a CSV file, in committed batches."""
    opened = open_all()
    declaration = opened.policy.declaration
    if category not in {c.key for c in declaration.categories}:
        raise fail(f"data category {category!r} is not declared")
    purpose = purpose or DEFAULT_PURPOSE.get(category) or declaration.category(category).purposes[0]
    notice = notice_version or declaration.policy.version
    total = imports.count_rows(file)
    report = _Report()
    try:
        handle = file.open(encoding="utf-8", newline="")
    except OSError as error:
        raise fail(f"{file}: {error.strerror}") from None
    with (
        handle,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=False,
        ) as progress,
    ):
        task = progress.add_task(f"importing {file.name}", total=total or None)
        rows = imports.read_rows(handle, declaration=declaration, category=category, path=file)
        try:
            for chunk in _chunks(rows, batch_size):
                with opened.db.unit_of_work() as session:
                    intake = Intake(
                        session=session,
                        vault=opened.vault,
                        declaration=declaration,
                        actor=ACTOR,
                        explicit_consent=explicit_consent,
                    )
                    result = batch.intake_batch(
                        intake,
                        category=category,
                        purpose=purpose,
                        kind=kind,
                        notice_version=notice,
                        source=SOURCE,
                        rows=chunk,
                        skip_existing=True,
                    )
                    for rejected in sorted(result.rejected, key=lambda r: r.line):
                        progress.console.print(
                            f"{file}:{rejected.line}: {rejected.message}",
                            style="red",
                            markup=False,
                            highlight=False,
                            soft_wrap=True,
                        )
                    if strict and result.rejected:
                        report.rejected.extend(result.rejected)
                        raise _StrictStopError
                report.add(result)
                progress.advance(task, len(chunk))
        except imports.ImportFileError as error:
            raise fail(str(error)) from None
        except IntakeError as error:
            raise fail(f"{file}: {error}") from None
        except _StrictStopError:
            pass
    if rejects is not None:
        _write_rejects(rejects, file, report.rejected)
    out.print(
        f"{file}: {report.imported} rows imported ({report.records} values, "
        f"{report.created} new subjects), {report.skipped} already imported, "
        f"{len(report.rejected)} rejected"
        + (
            " (stopped at the first; its batch was not stored)"
            if strict and report.rejected
            else ""
        ),
        highlight=False,
        soft_wrap=True,
    )
    if report.rejected:
        raise typer.Exit(1)


class _Report:
    def __init__(self) -> None:
        self.imported = self.records = self.created = self.skipped = 0
        self.rejected: list[batch.Rejected] = []

    def add(self, result: batch.BatchResult) -> None:
        self.imported += len(result.accepted)
        self.records += result.records
        self.created += sum(1 for a in result.accepted if a.created)
        self.skipped += len(result.skipped)
        self.rejected.extend(result.rejected)


def _chunks(rows: Iterator[batch.BatchRow], size: int) -> Iterator[list[batch.BatchRow]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _write_rejects(path: Path, source: Path, rejected: list[batch.Rejected]) -> None:
    try:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file", "line", "field", "error"])
            for item in sorted(rejected, key=lambda r: r.line):
                writer.writerow([str(source), item.line, item.field or "", item.message])
    except OSError as error:
        raise fail(f"{path}: {error.strerror}") from None
