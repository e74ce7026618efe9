"""Erasure of one person's rows in an external source, table by table, children first.

``erase_table`` changes one table in one transaction of the external
database: a ``DELETE`` by primary key, or an ``UPDATE`` of the declared
fields (one statement when every field becomes NULL or a fixed value; per row
values otherwise, as ``hash`` and ``mask`` derive them from the row). Children
go before their parents, so a parent's key still finds them on a rerun after
a failure, and a foreign key never blocks a delete.

``preview`` is the dry run: per table, how many rows would change and what
happens to each field, and how many rows are kept for a legal period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, String, Table, bindparam, delete, select, tuple_, update

from privacyops.policy.sources import ExternalField
from privacyops.rights import masks
from privacyops.sources.connector import BATCH, Connector
from privacyops.sources.graph import TablePlan


@dataclass(frozen=True)
class TableErasure:
    source: str
    table: str
    category: str | None
    erased: int
    kept: int
    kept_until: datetime | None
    law: str | None


def _key(table: Table) -> Any:
    keys = list(table.primary_key.columns)
    return keys[0] if len(keys) == 1 else tuple_(*keys)


def _pk_values(table: Table, rows: list[tuple[Any, ...]]) -> list[Any]:
    return [r[0] for r in rows] if len(table.primary_key.columns) == 1 else rows


def erase_table(connector: Connector, found: TablePlan) -> TableErasure:
    """Apply one table's plan in one transaction of the external database."""
    spec, label = found.spec, found.label
    changed = 0
    if found.erase:
        with connector.guard(label), connector.engine.begin() as conn:
            table = connector.table(conn, spec)
            values = _pk_values(table, found.erase)
            for start in range(0, len(values), BATCH):
                chunk = values[start : start + BATCH]
                if spec.deletes_rows:
                    connector.stats.statements += 1
                    result = conn.execute(delete(table).where(_key(table).in_(chunk)))
                    changed += cast(CursorResult[Any], result).rowcount
                else:
                    changed += _update(connector, conn, table, found, chunk)
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


def _update(
    connector: Connector, conn: Any, table: Table, found: TablePlan, chunk: list[Any]
) -> int:
    spec = found.spec
    targets = [f for f in spec.fields if f.erase != "keep"]
    if all(f.erase in ("null", "fixed") for f in targets):
        connector.stats.statements += 1
        result = conn.execute(
            update(table)
            .where(_key(table).in_(chunk))
            .values({f.name: f.value if f.erase == "fixed" else None for f in targets})
        )
        return cast(CursorResult[Any], result).rowcount
    keys = list(table.primary_key.columns)
    query = select(*keys, *(table.c[f.name] for f in targets)).where(_key(table).in_(chunk))
    connector.stats.statements += 1
    params: list[dict[str, Any]] = []
    for row in conn.execute(query):
        connector.stats.rows_read += 1
        pk, values = row[: len(keys)], row[len(keys) :]
        row_key = "|".join(str(part) for part in (found.label, *pk))
        new: dict[str, Any] = {f"k_{i}": part for i, part in enumerate(pk)}
        for decl, value in zip(targets, values, strict=True):
            new[f"v_{decl.name}"] = replacement(connector, table, decl, value, row_key)
        params.append(new)
    if not params:
        return 0
    statement = (
        update(table)
        .where(*(key == bindparam(f"k_{i}") for i, key in enumerate(keys)))
        .values({f.name: bindparam(f"v_{f.name}") for f in targets})
    )
    connector.stats.statements += 1
    conn.execute(statement, params)
    return len(params)


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


__all__ = ["TableErasure", "erase_table", "preview", "replacement"]
