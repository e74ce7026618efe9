"""Erasure of one person's rows in an external source, table by table, children first.

``erase_table`` changes one table in one transaction of the external
database: a ``DELETE`` by primary key, or an ``UPDATE`` of the declared
fields (one statement when every field becomes NULL or a fixed value; per row
values otherwise, as ``hash`` and ``mask`` derive them from the row). Children
go before their parents, so a parent's key still finds them on a rerun after
a failure, and a foreign key never blocks a delete.

Crash safety: before the external commit, ``record`` is handed the table's
intent (per row: its primary key and a digest, keyed with the request's
secret, of the values a ``hash`` or ``mask`` gives it) and commits it here.
A rerun after a crash between the external commit and the local record reads
those rows again (a parent's identity may be erased by then, so the walk alone
would no longer find them); a row whose values match its digest is already
erased and is counted, not hashed a second time; a row that does not match is
still whole (the external transaction did not commit) and is erased now, to
the same values, as the request's secret is the same.

``preview`` is the dry run: per table, how many rows would change and what
happens to each field, and how many rows are kept for a legal period.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    String,
    Table,
    bindparam,
    delete,
    select,
    tuple_,
    update,
)

from privacyops.policy.sources import ExternalField
from privacyops.rights import masks
from privacyops.sources.connector import BATCH, Connector
from privacyops.sources.graph import TablePlan
from privacyops.sources.identities import jsonable

#: Per row, as stored: ``[[primary key values], digest]``.
IntentRows = list[list[Any]]
Record = Callable[[IntentRows], None]
#: The digest of rows whose change does not depend on their values (NULL, fixed, delete).
SET, DELETED = "set", "deleted"


@dataclass(frozen=True)
class TableErasure:
    source: str
    table: str
    category: str | None
    erased: int
    kept: int
    kept_until: datetime | None
    law: str | None


def fault_point(label: str) -> None:
    """Runs between a table's external commit and its record here (a test fails in it)."""


def _key(table: Table) -> Any:
    keys = list(table.primary_key.columns)
    return keys[0] if len(keys) == 1 else tuple_(*keys)


def _pk_values(table: Table, rows: Sequence[tuple[Any, ...]]) -> list[Any]:
    return [r[0] for r in rows] if len(table.primary_key.columns) == 1 else list(rows)


def _norm(pk: Sequence[Any]) -> str:
    return json.dumps([str(jsonable(p)) for p in pk])


def digest(connector: Connector, label: str, pk: Sequence[Any], values: Sequence[Any]) -> str:
    """Keyed with the request's secret: says which values a row got, and nothing of them."""
    payload = json.dumps([label, _norm(pk), [None if v is None else str(v) for v in values]])
    return hmac.new(connector.secret, payload.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _candidates(
    found: TablePlan, prior: IntentRows
) -> tuple[list[tuple[Any, ...]], dict[str, str]]:
    """The rows the walk found, then those only the earlier intent names; its digests."""
    rows = list(found.erase)
    seen = {_norm(pk) for pk in rows}
    digests: dict[str, str] = {}
    for pk, value in prior:
        norm = _norm(pk)
        digests[norm] = value
        if norm not in seen:
            seen.add(norm)
            rows.append(tuple(pk))
    return rows, digests


def erase_table(
    connector: Connector,
    found: TablePlan,
    *,
    prior: IntentRows | None = None,
    record: Record = lambda _rows: None,
) -> TableErasure:
    """Apply one table's plan in one transaction of the external database.

    ``prior`` is the intent an earlier, interrupted run recorded for this table.
    """
    spec, label = found.spec, found.label
    changed = 0
    rows, digests = _candidates(found, prior or [])
    if rows:
        with connector.guard(label), connector.engine.begin() as conn:
            table = connector.table(conn, spec)
            if spec.deletes_rows:
                changed = _delete(connector, conn, table, found, rows, digests, record)
            else:
                changed = _update(connector, conn, table, found, rows, digests, record)
        fault_point(label)
        connector.stats.rows_changed += changed
    return TableErasure(
        connector.source.name,
        label,
        spec.category,
        changed,
        found.kept,
        found.kept_until,
        found.law if found.kept else None,
    )


def _stored(pk: Sequence[Any]) -> list[Any]:
    return [jsonable(p) for p in pk]


def _delete(
    connector: Connector,
    conn: Connection,
    table: Table,
    found: TablePlan,
    rows: list[tuple[Any, ...]],
    digests: dict[str, str],
    record: Record,
) -> int:
    record([[_stored(pk), DELETED] for pk in rows])
    walked = len(found.erase)
    changed = 0
    # Rows only the earlier intent names were deleted by that run, or are deleted now:
    # counted once either way.
    for part, counted in ((rows[:walked], False), (rows[walked:], True)):
        values = _pk_values(table, part)
        for start in range(0, len(values), BATCH):
            chunk = values[start : start + BATCH]
            connector.stats.statements += 1
            result = conn.execute(delete(table).where(_key(table).in_(chunk)))
            changed += len(chunk) if counted else cast(CursorResult[Any], result).rowcount
    return changed


def _update(
    connector: Connector,
    conn: Connection,
    table: Table,
    found: TablePlan,
    rows: list[tuple[Any, ...]],
    digests: dict[str, str],
    record: Record,
) -> int:
    spec = found.spec
    targets = [f for f in spec.fields if f.erase != "keep"]
    values = _pk_values(table, rows)
    if all(f.erase in ("null", "fixed") for f in targets):  # the same values on every run
        record([[_stored(pk), SET] for pk in rows])
        changed = 0
        for start in range(0, len(values), BATCH):
            connector.stats.statements += 1
            result = conn.execute(
                update(table)
                .where(_key(table).in_(values[start : start + BATCH]))
                .values({f.name: f.value if f.erase == "fixed" else None for f in targets})
            )
            changed += cast(CursorResult[Any], result).rowcount
        return changed
    derived = [f for f in targets if f.erase in ("hash", "mask")]
    keys = list(table.primary_key.columns)
    width = len(keys)
    params: list[dict[str, Any]] = []
    intent: IntentRows = []
    already = 0
    for start in range(0, len(values), BATCH):
        query = (
            select(*keys, *(table.c[f.name] for f in targets))
            .where(_key(table).in_(values[start : start + BATCH]))
            .with_for_update()
        )
        connector.stats.statements += 1
        for row in conn.execute(query):
            connector.stats.rows_read += 1
            pk, current = tuple(row[:width]), dict(zip(targets, row[width:], strict=True))
            known = digests.get(_norm(pk))
            if known is not None and known == digest(
                connector, found.label, pk, [current[f] for f in derived]
            ):
                already += 1  # erased by the interrupted run: not a second time
                intent.append([_stored(pk), known])
                continue
            row_key = "|".join(str(part) for part in (found.label, *pk))
            new = {f.name: replacement(connector, table, f, current[f], row_key) for f in targets}
            intent.append(
                [_stored(pk), digest(connector, found.label, pk, [new[f.name] for f in derived])]
            )
            params.append(
                {
                    **{f"k_{i}": part for i, part in enumerate(pk)},
                    **{f"v_{name}": value for name, value in new.items()},
                }
            )
    record(intent)
    if params:
        statement = (
            update(table)
            .where(*(key == bindparam(f"k_{i}") for i, key in enumerate(keys)))
            .values({f.name: bindparam(f"v_{f.name}") for f in targets})
        )
        connector.stats.statements += 1
        conn.execute(statement, params)
    return len(params) + already


def replacement(
    connector: Connector, table: Table, decl: ExternalField, value: Any, row_key: str
) -> Any:
    col = table.c[decl.name]
    length = col.type.length if isinstance(col.type, String) else None
    if decl.erase == "null":
        return None
    if decl.erase == "fixed":
        return decl.value
    if decl.erase == "mask":
        return masks.mask(
            decl, value, secret=connector.secret, row_key=row_key, column_length=length
        )
    return masks.pseudonym(decl, value, secret=connector.secret, column_length=length)


def preview(found: TablePlan) -> dict[str, Any]:
    """The dry run of one table: what would change, how, and what is kept."""
    spec = found.spec
    action = "delete_row" if spec.deletes_rows else "update"
    fields = (
        []
        if spec.deletes_rows
        else [{"field": f.name, "strategy": f.erase} for f in spec.fields if f.erase != "keep"]
    )
    return {
        "table": found.label,
        "category": spec.category,
        "action": action,
        "rows": len(found.erase),
        "fields": fields,
        "kept": found.kept,
        "kept_until": found.kept_until.isoformat() if found.kept_until else None,
        "law": found.law if found.kept else None,
    }


__all__ = [
    "DELETED",
    "SET",
    "IntentRows",
    "TableErasure",
    "digest",
    "erase_table",
    "fault_point",
    "preview",
    "replacement",
]
