"""The entry the request executors use to reach external sources (``privacyops.sources``).

Access walks every source's tables parents first and streams the person's
rows into the package, one section per table; erasure goes children first,
one external transaction per table, with per-table progress
(``sources.runs``).
"""

from __future__ import annotations

from privacyops.policy.schema import Declaration
from privacyops.settings import Settings
from privacyops.sources import dialects
from privacyops.sources.connector import Connector, ReadStats, forget_checks
from privacyops.sources.dialects import engine_for
from privacyops.sources.erasure import TableErasure
from privacyops.sources.errors import ConnectorError
from privacyops.sources.graph import walk
from privacyops.sources.identities import Identities, jsonable, subject_identities
from privacyops.sources.runs import dry_run, erase_sources
from privacyops.sources.secrets import resolve_url
from privacyops.vault.service import Vault


def dispose_engines() -> None:
    """Close every external pool and forget the checked tables (tests, shutdown)."""
    forget_checks()
    dialects.dispose_engines()


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
    "dry_run",
    "engine_for",
    "erase_sources",
    "jsonable",
    "resolve_url",
    "subject_identities",
    "walk",
]
