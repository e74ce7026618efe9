"""Hooks for domains that hold data about a subject and are not wired in directly.

Consent and telemetry are called directly (``withdrawal``, ``objection``,
``access``, ``deletion``). Two hooks remain for what is not built yet:

- ``register_access_section``: a domain that holds rows about a subject adds
  a section to every access package (JSON and CSV, listed in the summary).
- ``register_hold_provider``: the retention domain reports legal holds
  (litigation, an authority's order) that stop an erasure for some or all
  categories; held categories are kept and reported like legally retained
  ones.

A provider registers when its module is imported; ``discover`` imports the
modules that may hold providers first, so a registration is never missed
because nothing happened to import its module yet.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

#: Modules that may register providers; a missing one is skipped.
PROVIDER_MODULES = ("privacyops.retention.service",)

AccessRows = Callable[[Session, str], Iterable[Mapping[str, Any]]]
"""(session, subject_id) -> the subject's rows, each a flat mapping of JSON values."""


@dataclass(frozen=True)
class AccessSection:
    name: str
    """File name in the package (``orders`` -> ``orders.json``, ``orders.csv``)."""
    label: str
    """The section's title in English, a catalogue message id (``N_``): the package
    summary shows it in English and Chinese."""
    columns: tuple[str, ...]
    rows: AccessRows


@dataclass(frozen=True)
class LegalHold:
    """Data that must not be erased yet, and why."""

    reason: str
    law: str
    until: datetime | None
    categories: tuple[str, ...] | None = None
    """None: the hold covers every category."""


HoldProvider = Callable[[Session, str], Iterable[LegalHold]]

_sections: dict[str, AccessSection] = {}
_holds: list[HoldProvider] = []
_discovered = False


def register_access_section(section: AccessSection) -> None:
    _sections[section.name] = section


def register_hold_provider(provider: HoldProvider) -> None:
    if provider not in _holds:
        _holds.append(provider)


def discover() -> None:
    global _discovered
    if _discovered:
        return
    for module in PROVIDER_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name is None or not module.startswith(error.name):
                raise  # the module exists but something it imports does not
    _discovered = True


def access_sections() -> list[AccessSection]:
    discover()
    return [_sections[name] for name in sorted(_sections)]


def legal_holds(session: Session, subject_id: str) -> list[LegalHold]:
    discover()
    return [hold for provider in _holds for hold in provider(session, subject_id)]
