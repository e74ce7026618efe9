"""One external source: its engine, its checked tables, and reads that always use an index.

Never a whole-table scan. Before the first statement on a table, its lookup
column (the identity column, or the column that references a parent row) must
lead an index (a primary key, a unique constraint or an index); a table
without one is refused with a clear error instead of being scanned. Every
statement is ``WHERE <lookup> IN (<values>)`` or ``WHERE <primary key> IN
(...)`` in batches of ``BATCH`` values, so the statement count grows with the
person's rows, not the table. ``Connector.stats`` counts statements and rows.

Database errors become a ``ConnectorError`` naming the table and what went
wrong (unreachable, timed out, a database error with its code), never the
database's own message: it can quote personal values.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, select, tuple_
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    NoSuchModuleError,
    NoSuchTableError,
    OperationalError,
    SQLAlchemyError,
)

from privacyops.policy.sources import ExternalSource, ExternalTable
from privacyops.rights import masks
from privacyops.settings import Settings
from privacyops.sources.dialects import engine_for, leading_columns, reads
from privacyops.sources.errors import ConnectorError
from privacyops.sources.secrets import resolve_url
from privacyops.vault.service import Vault

#: Values per ``IN (...)`` list: one statement per this many of the person's rows.
BATCH = 500
#: MariaDB error codes of a statement or lock timeout; PostgreSQL's SQLSTATEs.
_TIMEOUT_CODES = {1969, 1205, 3024, 70100, "70100", "57014", "55P03"}
_UNREACHABLE_CODES = {2003, 2005, 2006, 2013, "08001", "08006"}
#: How long a reflected and checked table is reused by later requests (reflection costs
#: several catalogue queries; a request then runs only its own statements).
CHECK_SECONDS = 300.0
_checked: dict[tuple[str, str, str], tuple[float, Table]] = {}
_checked_lock = threading.Lock()


@dataclass
class ReadStats:
    statements: int = 0
    rows_read: int = 0
    rows_changed: int = 0


def _code(error: DBAPIError) -> int | str | None:
    orig = error.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code is None and orig is not None and orig.args and isinstance(orig.args[0], int):
        code = orig.args[0]
    return code


def explain_error(label: str, error: SQLAlchemyError, timeout: float) -> ConnectorError:
    """A clear message for the console, with no database text (it can hold personal values)."""
    if isinstance(error, DBAPIError):
        code = _code(error)
        text = str(error.orig).lower()
        if code in _TIMEOUT_CODES or any(w in text for w in ("timeout", "timed out", "locked")):
            return ConnectorError(f"{label}: timed out (longer than {timeout:g} s)")
        if isinstance(error, OperationalError) and (
            code in _UNREACHABLE_CODES or code is None or error.connection_invalidated
        ):
            return ConnectorError(f"{label}: the database cannot be reached")
        suffix = f" (code {code})" if code is not None else ""
        return ConnectorError(f"{label}: database error {type(error.orig).__name__}{suffix}")
    return ConnectorError(f"{label}: database error {type(error).__name__}")


def forget_checks() -> None:
    with _checked_lock:
        _checked.clear()


def request_secret(vault: Vault, request_id: str | None) -> bytes:
    """The key of ``hash`` and ``mask`` values: per request, so two erasures never link."""
    base = vault.keystore.blind_index_key(masks.KEY_PURPOSE)
    if request_id is None:
        return base
    return hmac.new(base, request_id.encode("utf-8"), hashlib.sha256).digest()


@dataclass
class Connector:
    """One external source, reached through its own engine."""

    source: ExternalSource
    engine: Engine
    secret: bytes
    stats: ReadStats = field(default_factory=ReadStats)
    _tables: dict[str, Table] = field(default_factory=dict)

    @classmethod
    def open(
        cls,
        source: ExternalSource,
        *,
        settings: Settings,
        vault: Vault,
        request_id: str | None = None,
    ) -> Connector:
        url = resolve_url(source, settings)
        try:
            engine = engine_for(url, timeout=source.timeout_seconds)
        except (ArgumentError, NoSuchModuleError, ValueError):  # never quote the URL: a password
            raise ConnectorError(
                f"external source {source.name}: its URL is not a usable database URL"
            ) from None
        return cls(source, engine, request_secret(vault, request_id))

    def label(self, spec: ExternalTable) -> str:
        schema = f"{spec.db_schema}." if spec.db_schema else ""
        return f"{self.source.name}.{schema}{spec.name}"

    @contextmanager
    def guard(self, label: str) -> Iterator[None]:
        """Database errors as a ``ConnectorError`` naming ``label``."""
        try:
            yield
        except ConnectorError:
            raise
        except SQLAlchemyError as error:
            raise explain_error(label, error, self.source.timeout_seconds) from None

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reads (walks, plans, checks); changes use ``engine.begin``."""
        with self.guard(self.source.name), self.engine.connect() as conn:
            yield reads(conn)

    # -- safety checks ------------------------------------------------------

    def table(self, conn: Connection, spec: ExternalTable, *, fresh: bool = False) -> Table:
        """The reflected table, checked once: indexed lookup, columns that fit their strategy."""
        label = self.label(spec)
        cached = self._tables.get(label)
        if cached is not None:
            return cached
        key = (repr(self.engine.url), label, spec.model_dump_json())
        with _checked_lock:
            known = _checked.get(key)
        if not fresh and known is not None and time.monotonic() - known[0] < CHECK_SECONDS:
            self._tables[label] = known[1]
            return known[1]
        with self.guard(label):
            try:
                table = Table(spec.name, MetaData(), schema=spec.db_schema, autoload_with=conn)
            except NoSuchTableError:
                raise ConnectorError(f"{label}: no such table") from None
            self._check(conn, spec, table)
        self._tables[label] = table
        with _checked_lock:
            _checked[key] = (time.monotonic(), table)
        return table

    def _check(self, conn: Connection, spec: ExternalTable, table: Table) -> None:
        label, column = self.label(spec), spec.lookup_column
        for name in self.needed(spec):
            if name not in table.c:
                raise ConnectorError(f"{label}: no column {name!r}")
        if column not in leading_columns(conn, spec.name, spec.db_schema):
            what = "identity" if spec.identity is not None else "referencing"
            raise ConnectorError(
                f"{label}: {what} column {column!r} leads no index; refusing to scan the table"
            )
        if not table.primary_key.columns:
            raise ConnectorError(f"{label}: erasure reaches rows by primary key; it has none")
        for decl in spec.fields:
            col = table.c[decl.name]
            if decl.erase == "null" and not col.nullable:
                raise ConnectorError(f"{label}.{decl.name}: erase 'null' on a NOT NULL column")
            length = col.type.length if isinstance(col.type, String) else None
            problem = masks.fits(decl, length)
            if problem:
                raise ConnectorError(f"{label}.{decl.name}: {problem}")
            fixed = decl.value if decl.erase == "fixed" else None
            if isinstance(fixed, str) and length is not None and len(fixed) > length:
                raise ConnectorError(f"{label}.{decl.name}: the fixed value is too long")

    # -- columns ------------------------------------------------------------

    def shown(self, spec: ExternalTable) -> list[str]:
        """The columns an access package shows: the declared fields and ``collected_at``."""
        names = [f.name for f in spec.fields]
        if spec.collected_at and spec.collected_at not in names:
            names.append(spec.collected_at)
        return names

    def keys_for_children(self, spec: ExternalTable) -> list[str]:
        found: list[str] = []
        for child in self.source.children_of(spec):
            assert child.reached_through is not None
            if child.reached_through.key not in found:
                found.append(child.reached_through.key)
        return found

    def needed(self, spec: ExternalTable) -> list[str]:
        names = self.shown(spec)
        for name in [spec.lookup_column, *self.keys_for_children(spec)]:
            if name not in names:
                names.append(name)
        return names

    # -- reads --------------------------------------------------------------

    def select_in(
        self,
        conn: Connection,
        table: Table,
        columns: Sequence[Column[Any]],
        by: Sequence[Column[Any]],
        values: Sequence[Any],
    ) -> Iterator[Any]:
        """Rows whose ``by`` column(s) are among ``values``, one statement per ``BATCH``."""
        key = by[0] if len(by) == 1 else tuple_(*by)
        for start in range(0, len(values), BATCH):
            chunk = list(values[start : start + BATCH])
            self.stats.statements += 1
            for row in conn.execute(select(*columns).where(key.in_(chunk))):
                self.stats.rows_read += 1
                yield row


__all__ = ["BATCH", "Connector", "ReadStats", "explain_error", "request_secret"]
