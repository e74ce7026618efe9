"""External sources: other databases that hold personal data rights requests must reach.

Each source names its SQLAlchemy URL (or the environment variable that holds
it, so a password never sits in the declaration), and each table the column
that identifies a person (an e-mail, a phone number or an account id) and what
erasure does to every personal field:

- ``delete_row``: the row goes (on any field: the whole row is deleted);
- ``null``: the value becomes NULL (only for a field declared ``nullable``);
- ``mask``: a placeholder of the field's own shape and at most its length, per
  row (``erased-3f9a1c2e@erased.invalid`` for an e-mail, the same digit count
  for a phone, 1 January of the year for a date, the /24 network for an IP);
- ``hash``: a keyed pseudonym of the value in the field's shape, equal for
  equal values, so rows of one person still join after erasure;
- ``keep``: left as is (not personal, or needed by the target system).

A strategy that would break the target system (a hash in a date column, a
mask in a boolean, an e-mail mask longer than the column) is refused here,
when the declaration loads, with the file and line of the field.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from privacyops.policy.base import Key, Model

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
ErasureStrategy = Literal["delete_row", "null", "mask", "hash", "keep"]
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
    allowed = ["delete_row", "null"]
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

    @model_validator(mode="after")
    def _strategy_fits_type(self) -> ExternalField:
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


class ExternalTable(Model):
    """A table holding personal data, found by an indexed identity column."""

    name: str = Field(pattern=_SQL_NAME)
    db_schema: str | None = Field(default=None, alias="schema", pattern=_SQL_NAME)
    identity: ExternalIdentity
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
        identity = next((f for f in self.fields if f.name == self.identity.column), None)
        if identity is None:
            raise ValueError(f"the identity column '{self.identity.column}' must be in fields")
        if identity.erase == "keep":
            raise ValueError("the identity column cannot be kept on erasure")
        return self

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
    tables: list[ExternalTable] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_url(self) -> ExternalSource:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of 'url' and 'url_env'")
        names = [(t.db_schema, t.name) for t in self.tables]
        if len(set(names)) != len(names):
            raise ValueError("a table is listed twice")
        return self


__all__ = [
    "ErasureStrategy",
    "ExternalField",
    "ExternalFieldType",
    "ExternalIdentity",
    "ExternalSource",
    "ExternalTable",
]
