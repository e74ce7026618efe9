"""External sources: read and erase one person's rows in another database, by index only.

The declaration's ``external_sources`` name each database and, per table, the
column that identifies a person and what erasure does to each field
(``policy.sources``). A request reaches those rows with the subject's own
identity values: e-mails, phones and account ids found in the subject's vault
values *and* bound to the subject as identities (their blind index matches),
so a value the person merely mentioned (a colleague's address in a ticket)
never selects anyone's rows.

Never a whole-table scan. Before the first statement on a table, its identity
column must lead an index (a primary key, a unique constraint or an index);
a table without one is refused with a clear error instead of being scanned.
Every statement is ``WHERE <identity> IN (<the person's values>)`` (plus the
primary key for per-row updates), so its cost grows with the person's rows,
not the table. ``Connector.stats`` counts statements and rows read.

Erasure of a source runs in one transaction of that database per table and
commits there before the request's step is recorded done here; a crash in
between repeats it on the rerun, where it finds nothing left (erased rows no
longer match the identity, deleted ones are gone), so it is idempotent. Rows
of a category kept for a legal period (``legal`` retention) whose period has
not ended stay as they are and are reported.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    Engine,
    MetaData,
    Select,
    String,
    Table,
    and_,
    bindparam,
    delete,
    func,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.exc import NoSuchTableError

from privacyops.db import make_engine
from privacyops.policy.retention import Legal, add_years
from privacyops.policy.schema import Declaration
from privacyops.policy.sources import ExternalSource, ExternalTable
from privacyops.rights import masks
from privacyops.settings import Settings
from privacyops.subjects.records import StoredValue
from privacyops.vault.errors import InvalidIdentityError
from privacyops.vault.service import Vault

Identities = Mapping[str, tuple[str, ...]]
"""Identity kind -> the forms of the person's values to look up."""

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


class ConnectorError(RuntimeError):
    """An external source cannot be used safely (no URL, no index, a column that does not fit)."""


@dataclass
class ReadStats:
    statements: int = 0
    rows_read: int = 0
    rows_changed: int = 0


@dataclass(frozen=True)
class TableErasure:
    source: str
    table: str
    category: str | None
    erased: int
    kept: int
    kept_until: datetime | None
    law: str | None


def resolve_url(source: ExternalSource, settings: Settings) -> str:
    if source.url is not None:
        return source.url
    assert source.url_env is not None  # one of the two, checked when the declaration loads
    url = settings.environment_value(source.url_env)
    if not url:
        raise ConnectorError(f"external source {source.name}: ${source.url_env} is not set")
    return url


def engine_for(url: str) -> Engine:
    """One engine (and pool) per external database for the life of the process."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
        return engine


def dispose_engines() -> None:
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def subject_identities(
    *, vault: Vault, values: Iterable[StoredValue], bound: Iterable[tuple[str, bytes]]
) -> dict[str, tuple[str, ...]]:
    """Lookup forms of the subject's values whose blind index is one of its identities.

    ``bound`` holds the subject's (kind, blind index) pairs. Each kept value is
    looked up as given and in its normalised form (``Alice@Example.com`` and
    ``alice@example.com``; ``138 1234 5678`` and ``+8613812345678``).
    """
    known = set(bound)
    found: dict[str, set[str]] = {}
    for value in values:
        kind = value.field
        if kind not in ("email", "phone", "account_id"):
            continue
        try:
            if (kind, vault.index(kind, value.value)) not in known:
                continue
            forms = {value.value.strip(), vault.normalize(kind, value.value)}
        except InvalidIdentityError:
            continue
        found.setdefault(kind, set()).update(f for f in forms if f)
    return {kind: tuple(sorted(forms)) for kind, forms in found.items()}


@dataclass
class Connector:
    """One external source, reached through its own engine."""

    source: ExternalSource
    engine: Engine
    secret: bytes
    stats: ReadStats = field(default_factory=ReadStats)
    _tables: dict[str, Table] = field(default_factory=dict)

    @classmethod
    def open(cls, source: ExternalSource, *, settings: Settings, vault: Vault) -> Connector:
        return cls(
            source,
            engine_for(resolve_url(source, settings)),
            vault.keystore.blind_index_key(masks.KEY_PURPOSE),
        )

    def label(self, spec: ExternalTable) -> str:
        schema = f"{spec.db_schema}." if spec.db_schema else ""
        return f"{self.source.name}.{schema}{spec.name}"

    # -- safety checks ------------------------------------------------------

    def table(self, conn: Connection, spec: ExternalTable) -> Table:
        """The reflected table, checked once: indexed identity, columns that fit their strategy."""
        label = self.label(spec)
        cached = self._tables.get(label)
        if cached is not None:
            return cached
        try:
            table = Table(spec.name, MetaData(), schema=spec.db_schema, autoload_with=conn)
        except NoSuchTableError:
            raise ConnectorError(f"{label}: no such table") from None
        self._check(conn, spec, table)
        self._tables[label] = table
        return table

    def _check(self, conn: Connection, spec: ExternalTable, table: Table) -> None:
        label, column = self.label(spec), spec.identity.column
        extra = [spec.collected_at] if spec.collected_at else []
        for name in [f.name for f in spec.fields] + extra:
            if name not in table.c:
                raise ConnectorError(f"{label}: no column {name!r}")
        insp = inspect(conn)
        # SQLite backs an inline UNIQUE with an automatic index it does not list by default.
        auto = {"include_auto_indexes": True} if conn.dialect.name == "sqlite" else {}
        indexes = insp.get_indexes(spec.name, schema=spec.db_schema, **auto)
        leading = [
            *(ix["column_names"][:1] for ix in indexes),
            *(
                uc["column_names"][:1]
                for uc in insp.get_unique_constraints(spec.name, schema=spec.db_schema)
            ),
            insp.get_pk_constraint(spec.name, schema=spec.db_schema)["constrained_columns"][:1],
        ]
        if [column] not in leading:
            raise ConnectorError(
                f"{label}: identity column {column!r} leads no index; refusing to scan the table"
            )
        if not spec.deletes_rows and not table.primary_key.columns:
            raise ConnectorError(f"{label}: rows are updated on erasure, so it needs a primary key")
        for decl in spec.fields:
            col = table.c[decl.name]
            if decl.erase == "null" and not col.nullable:
                raise ConnectorError(f"{label}.{decl.name}: erase 'null' on a NOT NULL column")
            length = col.type.length if isinstance(col.type, String) else None
            problem = masks.fits(decl, length)
            if problem:
                raise ConnectorError(f"{label}.{decl.name}: {problem}")

    # -- reads --------------------------------------------------------------

    def _match(self, table: Table, spec: ExternalTable, ids: Identities) -> ColumnElement[bool]:
        values = ids.get(spec.identity.kind, ())
        return table.c[spec.identity.column].in_(list(values))

    def columns(self, spec: ExternalTable) -> list[str]:
        names = [f.name for f in spec.fields]
        if spec.collected_at and spec.collected_at not in names:
            names.append(spec.collected_at)
        return names

    def lookup(self, table: Table, spec: ExternalTable, ids: Identities) -> Select[Any]:
        """The read of the person's rows: declared columns, ``WHERE identity IN (...)``."""
        columns = [table.c[name] for name in self.columns(spec)]
        return select(*columns).where(self._match(table, spec, ids))

    def rows(self, spec: ExternalTable, ids: Identities) -> Iterator[dict[str, Any]]:
        """The person's rows of one table (declared fields only), streamed."""
        if not ids.get(spec.identity.kind):
            return
        names = self.columns(spec)
        with self.engine.connect() as conn:
            query = self.lookup(self.table(conn, spec), spec, ids)
            self.stats.statements += 1
            result = conn.execution_options(stream_results=True, yield_per=500).execute(query)
            for row in result:
                self.stats.rows_read += 1
                yield {name: jsonable(value) for name, value in zip(names, row, strict=True)}

    # -- erasure ------------------------------------------------------------

    def erase(
        self, spec: ExternalTable, ids: Identities, *, declaration: Declaration, now: datetime
    ) -> TableErasure:
        """Erase the person's rows of one table, keeping those a law still requires."""
        legal = _legal_rule(spec, declaration)
        label = self.label(spec)
        if not ids.get(spec.identity.kind):
            return TableErasure(self.source.name, label, spec.category, 0, 0, None, None)
        with self.engine.begin() as conn:
            table = self.table(conn, spec)
            match = self._match(table, spec, ids)
            erasable, kept, until = match, 0, None
            if legal is not None:
                assert spec.collected_at is not None  # checked by _legal_rule
                when = table.c[spec.collected_at]
                cutoff = add_years(now, -legal.years)
                self.stats.statements += 1
                kept_count, newest = conn.execute(
                    select(func.count(), func.max(when)).where(match, when >= cutoff)
                ).one()
                kept = int(kept_count or 0)
                until = add_years(_aware(newest), legal.years) if newest is not None else None
                erasable = and_(match, or_(when < cutoff, when.is_(None)))
            changed = (
                self._delete(conn, table, erasable)
                if spec.deletes_rows
                else self._update(conn, table, spec, erasable)
            )
        return TableErasure(
            self.source.name,
            label,
            spec.category,
            changed,
            kept,
            until,
            legal.law if legal is not None and kept else None,
        )

    def _delete(self, conn: Connection, table: Table, where: ColumnElement[bool]) -> int:
        self.stats.statements += 1
        result = cast(CursorResult[Any], conn.execute(delete(table).where(where)))
        self.stats.rows_changed += result.rowcount
        return result.rowcount

    def _update(
        self, conn: Connection, table: Table, spec: ExternalTable, where: ColumnElement[bool]
    ) -> int:
        keys = list(table.primary_key.columns)
        targets = [f for f in spec.fields if f.erase != "keep"]
        query = select(*keys, *(table.c[f.name] for f in targets)).where(where)
        self.stats.statements += 1
        params: list[dict[str, Any]] = []
        for row in conn.execute(query):
            self.stats.rows_read += 1
            pk, values = row[: len(keys)], row[len(keys) :]
            row_key = "|".join(str(part) for part in (self.label(spec), *pk))
            new: dict[str, Any] = {f"k_{i}": part for i, part in enumerate(pk)}
            for decl, value in zip(targets, values, strict=True):
                col = table.c[decl.name]
                length = col.type.length if isinstance(col.type, String) else None
                if decl.erase == "null":
                    new[f"v_{decl.name}"] = None
                elif decl.erase == "mask":
                    new[f"v_{decl.name}"] = masks.mask(
                        decl, value, secret=self.secret, row_key=row_key, column_length=length
                    )
                else:
                    new[f"v_{decl.name}"] = masks.pseudonym(
                        decl, value, secret=self.secret, column_length=length
                    )
            params.append(new)
        if not params:
            return 0
        statement = (
            update(table)
            .where(*(key == bindparam(f"k_{i}") for i, key in enumerate(keys)))
            .values({f.name: bindparam(f"v_{f.name}") for f in targets})
        )
        self.stats.statements += 1
        conn.execute(statement, params)
        self.stats.rows_changed += len(params)
        return len(params)


def _legal_rule(spec: ExternalTable, declaration: Declaration) -> Legal | None:
    if spec.category is None:
        return None
    try:
        rule = declaration.category(spec.category).retention
    except KeyError:
        raise ConnectorError(
            f"table {spec.name}: category {spec.category!r} is not declared"
        ) from None
    if not isinstance(rule, Legal):
        return None
    if spec.collected_at is None:
        raise ConnectorError(
            f"table {spec.name}: category {spec.category!r} is kept for a legal period, "
            "so the table must name its collected_at column"
        )
    return rule


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def jsonable(value: Any) -> Any:
    """A column value as JSON can carry it (times as ISO 8601, decimals as text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def connectors_for(
    declaration: Declaration, *, settings: Settings, vault: Vault
) -> list[Connector]:
    return [
        Connector.open(source, settings=settings, vault=vault)
        for source in declaration.external_sources
    ]


__all__ = [
    "Connector",
    "ConnectorError",
    "Identities",
    "ReadStats",
    "TableErasure",
    "connectors_for",
    "dispose_engines",
    "engine_for",
    "jsonable",
    "resolve_url",
    "subject_identities",
]
