"""The walk from a person's identity values to every row that references them, to any depth.

Tables are visited parents first (``ExternalSource.ordered``): a root table by
its identity column, a child by its referencing column ``IN`` the key values
read from its parent's rows. Only the keys the children need are remembered,
so a walk holds the person's keys, never a table.

``plan`` walks the same way for an erasure and sorts the rows into those that
change and those kept for a legal period (the table's category has ``legal``
retention and the row's ``collected_at`` is inside it). A row reached through
a kept row is kept with it: the retained record stays whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from privacyops.policy.retention import Legal, add_years
from privacyops.policy.schema import Declaration
from privacyops.policy.sources import ExternalTable
from privacyops.sources.connector import Connector
from privacyops.sources.errors import ConnectorError
from privacyops.sources.identities import Identities, jsonable


class Walk:
    """Reads of one person's rows, table by table, parents first."""

    def __init__(self, connector: Connector, ids: Identities, conn: Connection) -> None:
        self.connector, self.ids, self.conn = connector, ids, conn
        self.tables = connector.source.ordered()
        self._keys: dict[tuple[str, str], set[Any]] = {}

    def lookup_values(self, spec: ExternalTable) -> list[Any]:
        if spec.identity is not None:
            return list(self.ids.get(spec.identity.kind, ()))
        assert spec.reached_through is not None
        link = spec.reached_through
        return sorted(self._keys.get((link.table, link.key), set()), key=str)

    def rows(self, spec: ExternalTable) -> Iterator[dict[str, Any]]:
        """The person's rows of one table (declared fields and ``collected_at``)."""
        connector = self.connector
        values = self.lookup_values(spec)
        if not values:
            return
        with connector.guard(connector.label(spec)):
            table = connector.table(self.conn, spec)
            names, shown = connector.needed(spec), connector.shown(spec)
            keys = connector.keys_for_children(spec)
            remembered = {k: self._keys.setdefault((spec.name, k), set()) for k in keys}
            rows = connector.select_in(
                self.conn,
                table,
                [table.c[n] for n in names],
                [table.c[spec.lookup_column]],
                values,
            )
            for row in rows:
                record = dict(zip(names, row, strict=True))
                for key, found in remembered.items():
                    if record[key] is not None:
                        found.add(record[key])
                yield {name: jsonable(record[name]) for name in shown}


@contextmanager
def walk(connector: Connector, ids: Identities) -> Iterator[Walk]:
    """A walk over one connection of the source (closed at the end)."""
    with connector.connect() as conn:
        yield Walk(connector, ids, conn)


@dataclass
class TablePlan:
    """What an erasure does to one table: the rows that change, and those kept and why."""

    spec: ExternalTable
    label: str
    erase: list[tuple[Any, ...]] = field(default_factory=list)
    kept: int = 0
    kept_until: datetime | None = None
    law: str | None = None

    def keep(self, until: datetime | None, law: str | None) -> None:
        self.kept += 1
        if until is not None and (self.kept_until is None or until > self.kept_until):
            self.kept_until = until
        self.law = self.law or law


def legal_rule(spec: ExternalTable, declaration: Declaration, label: str) -> Legal | None:
    if spec.category is None:
        return None
    try:
        rule = declaration.category(spec.category).retention
    except KeyError:
        raise ConnectorError(f"{label}: category {spec.category!r} is not declared") from None
    if not isinstance(rule, Legal):
        return None
    if spec.collected_at is None:
        raise ConnectorError(
            f"{label}: category {spec.category!r} is kept for a legal period, "
            "so the table must name its collected_at column"
        )
    return rule


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


_Kept = dict[Any, tuple[datetime | None, str | None]]


def plan(
    connector: Connector,
    ids: Identities,
    *,
    conn: Connection,
    declaration: Declaration,
    now: datetime,
) -> list[TablePlan]:
    """Every table's erasure, parents first; nothing is changed."""
    erasable: dict[tuple[str, str], set[Any]] = {}
    kept: dict[tuple[str, str], _Kept] = {}
    plans: list[TablePlan] = []
    for spec in connector.source.ordered():
        label = connector.label(spec)
        table = connector.table(conn, spec)
        legal = legal_rule(spec, declaration, label)
        pk = list(table.primary_key.columns)
        keys = connector.keys_for_children(spec)
        lookup = table.c[spec.lookup_column]
        columns = [*pk, lookup, *(table.c[k] for k in keys)]
        if legal is not None:
            assert spec.collected_at is not None
            columns.append(table.c[spec.collected_at])
        if spec.identity is not None:
            under_erased: list[Any] = list(ids.get(spec.identity.kind, ()))
            under_kept: _Kept = {}
        else:
            assert spec.reached_through is not None
            parent = (spec.reached_through.table, spec.reached_through.key)
            under_erased = sorted(erasable.get(parent, set()), key=str)
            under_kept = kept.get(parent, {})
        found = TablePlan(spec, label)
        out_erased = {k: erasable.setdefault((spec.name, k), set()) for k in keys}
        out_kept = {k: kept.setdefault((spec.name, k), {}) for k in keys}
        width = len(pk)
        cutoff = add_years(now, -legal.years) if legal is not None else None

        with connector.guard(label):
            for row in connector.select_in(conn, table, columns, [lookup], under_erased):
                when = row[-1] if legal is not None else None
                if legal and cutoff and when is not None and aware(when) >= cutoff:
                    until = add_years(aware(when), legal.years)
                    found.keep(until, legal.law)
                    _remember(out_kept, keys, row[width + 1 :], (until, legal.law))
                    continue
                found.erase.append(tuple(row[:width]))
                for index, key in enumerate(keys):
                    if row[width + 1 + index] is not None:
                        out_erased[key].add(row[width + 1 + index])
            for row in connector.select_in(conn, table, columns, [lookup], list(under_kept)):
                reason = under_kept[row[width]]
                found.keep(*reason)
                _remember(out_kept, keys, row[width + 1 :], reason)
        plans.append(found)
    return plans


def _remember(
    out: dict[str, _Kept], keys: list[str], values: Any, reason: tuple[datetime | None, str | None]
) -> None:
    for key, value in zip(keys, values, strict=False):
        if value is not None:
            out[key][value] = reason


__all__ = ["TablePlan", "Walk", "aware", "legal_rule", "plan", "walk"]
