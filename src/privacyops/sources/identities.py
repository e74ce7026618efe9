"""The person's lookup values for external sources, and column values as JSON carries them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from privacyops.subjects.records import StoredValue
from privacyops.vault.errors import InvalidIdentityError
from privacyops.vault.service import Vault

Identities = Mapping[str, tuple[str, ...]]
"""Identity kind -> the forms of the person's values to look up."""

IDENTITY_FIELDS = ("email", "phone", "account_id")


def subject_identities(
    *, vault: Vault, values: Iterable[StoredValue], bound: Iterable[tuple[str, bytes]]
) -> dict[str, tuple[str, ...]]:
    """Lookup forms of the subject's values whose blind index is one of its identities.

    ``bound`` holds the subject's (kind, blind index) pairs, so a value the
    person merely mentioned (a colleague's address in a ticket) never selects
    anyone's rows. Each kept value is looked up as given and in its normalised
    form (``Alice@Example.com`` and ``alice@example.com``; ``138 1234 5678``
    and ``+8613812345678``).
    """
    known = set(bound)
    found: dict[str, set[str]] = {}
    for value in values:
        kind = value.field
        if kind not in IDENTITY_FIELDS:
            continue
        try:
            if (kind, vault.index(kind, value.value)) not in known:
                continue
            forms = {value.value.strip(), vault.normalize(kind, value.value)}
        except InvalidIdentityError:
            continue
        found.setdefault(kind, set()).update(f for f in forms if f)
    return {kind: tuple(sorted(forms)) for kind, forms in found.items()}


def jsonable(value: Any) -> Any:
    """A column value as JSON can carry it (times as ISO 8601, decimals as text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


__all__ = ["IDENTITY_FIELDS", "Identities", "jsonable", "subject_identities"]
