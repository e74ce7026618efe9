"""External sources: other databases that hold personal data rights requests must reach.

Each source names where its SQLAlchemy URL comes from: ``url`` (only without a
password), ``url_env`` (an environment variable) or ``url_secret`` (a key of
the secrets file named by ``PRIVACYOPS_SOURCES_SECRETS_FILE``), so a password
never sits in the declaration. Each table is found either by the column that
identifies a person (``identity``: an e-mail, a phone number or an account id)
or through a row of another table of the same source (``reached_through``:
``orders.customer_id`` references ``customer.id``), to any depth; a cycle of
references is refused when the declaration loads. Each table says what erasure
does to every personal field:

- ``delete_row``: the row goes (on any field: the whole row is deleted);
- ``null``: the value becomes NULL (only for a field declared ``nullable``);
- ``mask``: a placeholder of the field's own shape and at most its length, per
  row (``erased-3f9a1c2e@erased.invalid`` for an e-mail, the same digit count
  for a phone, 1 January of the year for a date, the /24 network for an IP);
- ``hash``: a keyed pseudonym of the value in the field's shape, equal for
  equal values, so rows of one person still join after erasure;
- ``fixed``: the declared ``value`` (a text or a number) replaces it;
- ``keep``: left as is (not personal, or needed by the target system).

A strategy that would break the target system (a hash in a date column, a
mask in a boolean, an e-mail mask longer than the column) is refused here,
when the declaration loads, with the file and line of the field.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from privacyops.policy.base import Key, Loc, Model

ExternalFieldType = Literal[
    "string",
    "text",
    "email",
    "phone",
    "identifier",
    "integer",
    "number",
    "boolean",
    "date",
    "datetime",
    "ip_address",
    "url",
    "country",
    "enum",
]
ErasureStrategy = Literal["delete_row", "null", "mask", "hash", "fixed", "keep"]
IdentityKindName = Literal["email", "phone", "account_id"]

#: The shortest e-mail a mask or hash writes (``e0000@x.invalid``).
MIN_EMAIL_MASK = 15
#: The shortest text a hash writes (hex digits).
MIN_HASH_LENGTH = 8

_MASKABLE = frozenset(
    {
        "string",
        "text",
        "email",
        "phone",
        "identifier",
        "integer",
        "number",
        "date",
        "datetime",
        "ip_address",
        "url",
    }
)
_HASHABLE = frozenset({"string", "text", "email", "phone", "identifier"})
_SQL_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"


def _allowed(kind: str) -> list[str]:
    allowed = ["delete_row", "null", "fixed"]
    allowed += ["mask"] if kind in _MASKABLE else []
    allowed += ["hash"] if kind in _HASHABLE else []
    return [*allowed, "keep"]


class ExternalField(Model):
    """One column of an external table and what erasure does to it."""

    name: str = Field(pattern=_SQL_NAME)
    type: ExternalFieldType
    max_length: int | None = Field(default=None, gt=0)
    nullable: bool = True
    erase: ErasureStrategy
    value: str | int | None = None
    """The replacement of ``erase: fixed``."""

    @model_validator(mode="after")
    def _strategy_fits_type(self) -> ExternalField:
        if (self.erase == "fixed") != (self.value is not None):
            raise ValueError("'value' goes with erase 'fixed', and only with it")
        if self.erase == "fixed" and self.type in ("boolean", "date", "datetime"):
            raise ValueError(f"a {self.type} field cannot take erase 'fixed'; use delete_row, null")
        text_limit = self.max_length if self.type not in ("integer", "number") else None
        if isinstance(self.value, str) and text_limit is not None and len(self.value) > text_limit:
            raise ValueError(f"the fixed value is longer than max_length {self.max_length}")
        if self.type in ("integer", "number") and isinstance(self.value, str):
            raise ValueError(f"the fixed value of a {self.type} field must be a number")
        for strategy, fits in (("mask", _MASKABLE), ("hash", _HASHABLE)):
            if self.erase == strategy and self.type not in fits:
                allowed = ", ".join(s for s in _allowed(self.type) if s != "keep")
                raise ValueError(
                    f"a {self.type} field cannot take erase '{strategy}'; use {allowed}"
                )
        if self.erase == "null" and not self.nullable:
            raise ValueError("erase 'null' needs a nullable field")
        if self.erase in ("mask", "hash") and self.max_length is not None:
            least = MIN_EMAIL_MASK if self.type == "email" else MIN_HASH_LENGTH
            if self.type in ("string", "text") and self.erase == "mask":
                least = 1
            if self.max_length < least:
                raise ValueError(
                    f"max_length {self.max_length} is too short to {self.erase} a field of type "
                    f"{self.type} (at least {least})"
                )
        return self


class ExternalIdentity(Model):
    column: str = Field(pattern=_SQL_NAME)
    kind: IdentityKindName


class ExternalReference(Model):
    """This table's ``column`` holds the ``references`` (``table.column``) of a parent row."""

    column: str = Field(pattern=_SQL_NAME)
    references: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}\.[A-Za-z_][A-Za-z0-9_]{0,62}$")

    @property
    def table(self) -> str:
        return self.references.split(".", 1)[0]

    @property
    def key(self) -> str:
        return self.references.split(".", 1)[1]


class ExternalTable(Model):
    """A table holding personal data, found by an indexed identity or referencing column."""

    name: str = Field(pattern=_SQL_NAME)
    db_schema: str | None = Field(default=None, alias="schema", pattern=_SQL_NAME)
    identity: ExternalIdentity | None = None
    reached_through: ExternalReference | None = None
    category: Key | None = None
    """The declared data category of the rows (labels, and legal retention on erasure)."""
    collected_at: str | None = Field(default=None, pattern=_SQL_NAME)
    """The column holding when a row was collected; needed when the category is retained
    for a legal period, so rows still inside it survive an erasure."""
    fields: list[ExternalField] = Field(min_length=1)

    @model_validator(mode="after")
    def _identity_is_a_field(self) -> ExternalTable:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("a field is listed twice")
        if (self.identity is None) == (self.reached_through is None):
            raise ValueError("give exactly one of 'identity' and 'reached_through'")
        if self.reached_through is not None:
            link = next((f for f in self.fields if f.name == self.reached_through.column), None)
            if link is not None and link.erase not in ("keep", "delete_row"):
                raise ValueError(
                    f"the referencing column '{link.name}' links rows; erase it only by "
                    "delete_row, or keep it"
                )
            return self
        assert self.identity is not None
        identity = next((f for f in self.fields if f.name == self.identity.column), None)
        if identity is None:
            raise ValueError(f"the identity column '{self.identity.column}' must be in fields")
        if identity.erase == "keep":
            raise ValueError("the identity column cannot be kept on erasure")
        return self

    @property
    def lookup_column(self) -> str:
        """The column every read of this table goes through (it must lead an index)."""
        if self.reached_through is not None:
            return self.reached_through.column
        assert self.identity is not None
        return self.identity.column

    @property
    def deletes_rows(self) -> bool:
        return any(f.erase == "delete_row" for f in self.fields)

    def field(self, name: str) -> ExternalField:
        return next(f for f in self.fields if f.name == name)


class ExternalSource(Model):
    """Another database reached by rights requests (access and erasure)."""

    name: Key
    url: str | None = Field(default=None, min_length=1)
    url_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")
    url_secret: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,100}$")
    timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    """Longest wait for a connection and for each statement."""
    tables: list[ExternalTable] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_url(self) -> ExternalSource:
        given = [u for u in (self.url, self.url_env, self.url_secret) if u is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'url', 'url_env' and 'url_secret'")
        if self.url is not None:
            try:
                password = make_url(self.url).password
            except ArgumentError:
                raise ValueError("'url' is not a database URL") from None
            if password:
                raise ValueError(
                    "'url' holds a password; name it with url_env or url_secret instead"
                )
        names = [(t.db_schema, t.name) for t in self.tables]
        if len(set(names)) != len(names):
            raise ValueError("a table is listed twice")
        return self

    def table_named(self, name: str) -> ExternalTable | None:
        return next((t for t in self.tables if t.name == name), None)

    def parent_of(self, spec: ExternalTable) -> ExternalTable | None:
        if spec.reached_through is None:
            return None
        return self.table_named(spec.reached_through.table)

    def children_of(self, spec: ExternalTable) -> list[ExternalTable]:
        return [
            t for t in self.tables if t.reached_through and t.reached_through.table == spec.name
        ]

    def ordered(self) -> list[ExternalTable]:
        """Parents before children (the declaration refuses cycles, so this is total)."""
        done: list[ExternalTable] = []
        pending = list(self.tables)
        while pending:
            ready = [t for t in pending if (p := self.parent_of(t)) is None or p in done]
            if not ready:  # a cycle; refused by reference_issues when the declaration loads
                raise ValueError(f"external source {self.name}: its references form a cycle")
            done.extend(ready)
            pending = [t for t in pending if t not in ready]
        return done


def reference_issues(sources: list[ExternalSource]) -> list[tuple[Loc, str]]:
    """References to undeclared tables and cycles, each at its ``reached_through`` line."""
    found: list[tuple[Loc, str]] = []
    for s_index, source in enumerate(sources):
        names = [t.name for t in source.tables]
        for t_index, spec in enumerate(source.tables):
            link = spec.reached_through
            if link is None:
                continue
            loc: Loc = ("external_sources", s_index, "tables", t_index, "reached_through")
            if names.count(link.table) != 1:
                what = "is not declared" if link.table not in names else "is ambiguous"
                found.append(
                    ((*loc, "references"), f"table '{link.table}' {what} in {source.name}")
                )
                continue
            path, seen = [spec.name], spec
            while (parent := source.parent_of(seen)) is not None:
                if parent.name == spec.name:
                    if t_index == min(names.index(n) for n in path):  # once per cycle
                        cycle = " -> ".join([*path, spec.name])
                        found.append(
                            ((*loc, "references"), f"the references form a cycle: {cycle}")
                        )
                    break
                if parent.name in path:  # a cycle further up; reported at its own tables
                    break
                path.append(parent.name)
                seen = parent
    return found


def retention_issues(
    sources: list[ExternalSource], legal_categories: set[str]
) -> list[tuple[Loc, str]]:
    """A table that deletes rows its children may keep for a legal period would break the link."""
    found: list[tuple[Loc, str]] = []
    for s_index, source in enumerate(sources):
        for t_index, spec in enumerate(source.tables):
            if not spec.deletes_rows:
                continue
            kept = [c.name for c in _descendants(source, spec) if c.category in legal_categories]
            if kept:
                found.append(
                    (
                        ("external_sources", s_index, "tables", t_index, "name"),
                        f"table '{spec.name}' deletes rows, but {', '.join(kept)} reached through "
                        "it may be kept for a legal period; erase its fields instead",
                    )
                )
    return found


def _descendants(source: ExternalSource, spec: ExternalTable) -> list[ExternalTable]:
    found: list[ExternalTable] = []
    stack = source.children_of(spec)
    while stack:
        child = stack.pop()
        if child in found:
            continue
        found.append(child)
        stack.extend(source.children_of(child))
    return found


__all__ = [
    "ErasureStrategy",
    "ExternalField",
    "ExternalFieldType",
    "ExternalIdentity",
    "ExternalReference",
    "ExternalSource",
    "ExternalTable",
    "reference_issues",
    "retention_issues",
]
