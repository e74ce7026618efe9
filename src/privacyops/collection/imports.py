"""Reading an import file: a CSV of one data category, one record per row.

The header names the columns. Each must be a field the declaration names for
the category, or one of the columns that say who the record belongs to and
are never stored as values: ``region`` (the subject's subdivision, e.g. ``CA``
with ``country`` ``US``, for the jurisdiction), ``country`` where the category
has no such field, and ``requester_email``, ``requester_phone``,
``requester_account_id`` for categories without identity fields (support
tickets). An undeclared column refuses the whole file before anything is read
further. An empty cell means the field was not given.

Rows come out as ``batch.BatchRow`` numbered by the file line they start on,
so a rejection reads ``FILE:LINE: message``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from privacyops.collection.batch import BatchRow
from privacyops.collection.intake import IDENTITY_FIELDS
from privacyops.policy.schema import Declaration, FieldDecl

REQUESTER_PREFIX = "requester_"
#: A CSV cell longer than this is refused (the longest declared field is 20,000).
MAX_CELL = 100_000


class ImportFileError(ValueError):
    """The file cannot be read as an import (names the line); nothing of it is imported."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.line = line


@dataclass(frozen=True)
class Columns:
    names: list[str]
    fields: dict[str, FieldDecl]
    requester: list[str]


def columns_for(
    declaration: Declaration, *, category: str, header: list[str], path: Path
) -> Columns:
    """The header checked against the declaration: every column declared or reserved."""
    allowed = declaration.allowed_fields(category)
    has_identity = any(name in IDENTITY_FIELDS for name in allowed)
    names = [name.strip() for name in header]
    seen: set[str] = set()
    requester: list[str] = []
    for name in names:
        if name in seen:
            raise ImportFileError(path, 1, f"column {name!r} appears twice")
        seen.add(name)
        if name in allowed or name in ("region", "country"):
            continue
        bare = name.removeprefix(REQUESTER_PREFIX)
        if name.startswith(REQUESTER_PREFIX) and bare in IDENTITY_FIELDS and not has_identity:
            requester.append(name)
            continue
        raise ImportFileError(
            path, 1, f"column {name!r} is not declared for data category {category!r}"
        )
    return Columns(names, {n: allowed[n] for n in names if n in allowed}, requester)


def _typed(decl: FieldDecl, text: str) -> object:
    """CSV cells are text; numbers and booleans are converted so the field check applies."""
    if decl.type == "integer":
        try:
            return int(text)
        except ValueError:
            return text
    if decl.type == "number":
        try:
            return float(text)
        except ValueError:
            return text
    if decl.type == "boolean":
        lowered = text.strip().lower()
        return {"true": True, "false": False}.get(lowered, text)
    return text


def read_rows(
    handle: TextIO, *, declaration: Declaration, category: str, path: Path
) -> Iterator[BatchRow]:
    """The records of an open CSV file; raises ``ImportFileError`` for a broken file."""
    reader = csv.reader(handle, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(path, 1, "the file is empty (a header row is needed)") from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise ImportFileError(path, 1, f"not a readable CSV file: {error}") from None
    columns = columns_for(declaration, category=category, header=header, path=path)
    width = len(columns.names)
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as error:
            raise ImportFileError(path, start, f"not readable as CSV: {error}") from None
        line, start = start, reader.line_num + 1
        if not cells or cells == [""]:
            continue
        if len(cells) != width:
            yield BatchRow(line=line, fields={}, problem=f"{len(cells)} cells, header has {width}")
            continue
        if any(len(cell) > MAX_CELL for cell in cells):
            yield BatchRow(line=line, fields={}, problem=f"a cell is over {MAX_CELL} characters")
            continue
        row = dict(zip(columns.names, cells, strict=True))
        fields = {
            name: _typed(decl, row[name]) for name, decl in columns.fields.items() if row[name]
        }
        requester = {
            name.removeprefix(REQUESTER_PREFIX): row[name]
            for name in columns.requester
            if row[name]
        }
        yield BatchRow(
            line=line,
            fields=fields,
            requester=requester if columns.requester else None,
            country=row.get("country") or None,
            region=row.get("region") or None,
        )


def count_rows(path: Path) -> int:
    """How many records the file holds (for a progress bar); 0 for an unreadable file."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return max(sum(1 for cells in csv.reader(handle) if cells) - 1, 0)
    except (OSError, csv.Error, UnicodeDecodeError):
        return 0
