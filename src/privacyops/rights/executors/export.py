"""The inside of an access package: one JSON and one CSV file per section, and a summary.

Every section is written while its rows stream: the JSON array straight into
the zip entry, the CSV into a spooled temporary file (memory up to 1 MiB,
disk beyond) copied into the next entry. Nothing holds a whole section.

JSON is the faithful, machine-readable copy (portability). The CSV has the
same rows for spreadsheets; a cell that a spreadsheet would run as a formula
(``=``, ``@``, or ``+``/``-`` not followed by a digit) is prefixed with an
apostrophe, as OWASP advises, so a phone number like ``+86 138…`` stays as is.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from privacyops.policy.schema import DataCategory
from privacyops.subjects.records import StoredValue
from privacyops.web.i18n import translations

SPOOL_BYTES = 1 << 20
COPY_BYTES = 64 * 1024
META_COLUMNS = (
    "collected_at",
    "purpose",
    "storage_region",
    "source",
    "notice_version",
    "expires_at",
)


@dataclass
class SectionInfo:
    """One section of the package, as the manifest and the summary list it."""

    name: str
    label_en: str
    label_zh: str
    records: int = 0
    category: str | None = None
    files: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    if text[:1] in ("=", "@", "\t", "\r") or (
        text[:1] in ("+", "-") and not text[1:2].isdigit() and text[1:2] != " "
    ):
        return "'" + text
    return text


def write_section(
    zf: zipfile.ZipFile,
    path: str,
    columns: Sequence[str],
    rows: Iterable[tuple[Mapping[str, Any], Sequence[Any]]],
) -> int:
    """Write ``path.json`` and ``path.csv`` from (JSON object, CSV cells) pairs; rows written."""
    count = 0
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b") as spool:
        text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(columns)
        with zf.open(f"{path}.json", "w", force_zip64=True) as out:
            out.write(b"[")
            for obj, cells in rows:
                out.write((b",\n" if count else b"\n") + _json(obj))
                writer.writerow([_cell(cell) for cell in cells])
                count += 1
            out.write(b"\n]\n")
        text.flush()
        spool.seek(0)
        with zf.open(f"{path}.csv", "w", force_zip64=True) as out:
            shutil.copyfileobj(spool, out, COPY_BYTES)
        text.detach()
    return count


def _json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, default=str, sort_keys=False).encode("utf-8")


def write_json(zf: zipfile.ZipFile, path: str, obj: Any) -> None:
    with zf.open(path, "w") as out:
        out.write(json.dumps(obj, ensure_ascii=False, default=str, indent=2).encode("utf-8"))


# -- vault values -----------------------------------------------------------


def category_columns(decl: DataCategory | None, seen_fields: Iterable[str] = ()) -> list[str]:
    names = [f.name for f in decl.fields] if decl is not None else []
    names += [name for name in seen_fields if name not in names]
    return [*META_COLUMNS, *(f"value.{n}" if n in META_COLUMNS else n for n in names)]


def value_rows(
    values: Iterator[StoredValue], decl: DataCategory | None
) -> Iterator[tuple[dict[str, Any], list[Any]]]:
    """Group a category's values into records (one submission: same time, purpose, source).

    ``iter_values`` returns values oldest first, so a submission's values are
    adjacent; only the current record is held. Values of fields the
    declaration no longer names go in ``other_fields`` in the CSV.
    """
    declared = [f.name for f in decl.fields] if decl is not None else []
    current: dict[str, Any] | None = None
    key: tuple[Any, ...] | None = None
    for value in values:
        this = (value.collected_at, value.purpose, value.source, value.notice_version)
        if current is None or this != key or value.field in current["values"]:
            if current is not None:
                yield current, _cells(current, declared)
            key = this
            current = {
                "collected_at": value.collected_at.isoformat(),
                "purpose": value.purpose,
                "storage_region": value.region,
                "source": value.source,
                "notice_version": value.notice_version,
                "expires_at": value.expires_at.isoformat() if value.expires_at else None,
                "values": {},
            }
        current["values"][value.field] = value.value
    if current is not None:
        yield current, _cells(current, declared)


def _cells(record: Mapping[str, Any], declared: list[str]) -> list[Any]:
    values: Mapping[str, Any] = record["values"]
    others = {k: v for k, v in values.items() if k not in declared}
    return [
        *(record[c] for c in META_COLUMNS),
        *(values.get(name) for name in declared),
        others or None,
    ]


def vault_columns(decl: DataCategory | None) -> list[str]:
    return [*category_columns(decl), "other_fields"]


# -- generic rows -----------------------------------------------------------


def flat_rows(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str]
) -> Iterator[tuple[Mapping[str, Any], list[Any]]]:
    for row in rows:
        yield row, [row.get(column) for column in columns]


# -- retention wording for the readable summary (see summary.py) --------------


def retention_text(decl: DataCategory, lang: str) -> str:
    rule = decl.retention
    words = translations(lang)
    if rule.kind == "account_life":
        days = rule.grace_days
        text = words.ngettext(
            "while the account exists + {num} day", "while the account exists + {num} days", days
        )
        return text.format(num=days)
    if rule.kind == "consent_life":
        days = rule.grace_days
        text = words.ngettext(
            "while consent stands + {num} day", "while consent stands + {num} days", days
        )
        return text.format(num=days)
    if rule.kind == "fixed":
        text = words.ngettext("{num} day from collection", "{num} days from collection", rule.days)
        return text.format(num=rule.days)
    text = words.ngettext("{num} year by law ({law})", "{num} years by law ({law})", rule.years)
    return text.format(num=rule.years, law=rule.law)
