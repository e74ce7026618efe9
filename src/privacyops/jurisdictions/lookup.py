"""From a place (country, state) or a code to a regime and its calendar."""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from privacyops.jurisdictions.calendar import BusinessCalendar
from privacyops.jurisdictions.rules import Regime, RuleBook, load_rules

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_STATE = re.compile(r"^[A-Z0-9]{1,3}$")


class InvalidPlaceError(ValueError):
    """A country or state code that is not shaped like ISO 3166."""


@dataclass(frozen=True)
class Place:
    """An ISO 3166-1 alpha-2 country (aliases resolved) and an optional subdivision."""

    country: str | None
    state: str | None


def place(country: str | None, state: str | None = None) -> Place:
    """Normalise ``de``, ``US-CA``, ``UK``, (``US``, ``ca``) style input.

    Malformed codes raise InvalidPlaceError; well-formed but unknown countries are
    valid places that simply fall to the default regime. A state without a
    country is ambiguous (CA is a US state and a country) unless written in the
    ``US-CA`` form, so a bare one is dropped.
    """
    country = (country or "").strip().upper() or None
    state = (state or "").strip().upper() or None
    if country and "-" in country:
        country, _, embedded = country.partition("-")
        state = state or embedded
    if state and "-" in state:
        prefix, _, state = state.partition("-")
        if country is None:
            country = prefix
        elif prefix != country:
            raise InvalidPlaceError(f"state {prefix}-{state} is not in country {country}")
    if country is not None and not _COUNTRY.match(country):
        raise InvalidPlaceError(f"country must be an ISO 3166-1 alpha-2 code, got {country!r}")
    if state is not None and not _STATE.match(state):
        raise InvalidPlaceError(f"state must be an ISO 3166-2 subdivision code, got {state!r}")
    if country is None:
        return Place(None, None)
    return Place(load_rules().country_mapping.aliases.get(country, country), state)


def resolve(where: Place, book: RuleBook | None = None) -> Regime:
    """The regime for a normalised place, applying the fallbacks in rules.yaml."""
    book = book or load_rules()
    mapping = book.country_mapping
    if where.country is None:
        return book.regime(mapping.default)
    if where.state is not None:
        regime = book.by_subdivision.get(f"{where.country}-{where.state}")
        if regime is not None:
            return regime
    if where.country in book.by_country:
        return book.by_country[where.country]
    if where.country == "US":
        return book.regime(mapping.us_fallback)
    return book.regime(mapping.default)


def get_regime(code: str) -> Regime:
    """The regime with this code (``EU``, ``US-CA``, ...); raises UnknownRegimeError."""
    return load_rules().regime(code)


def calendar_for(regime: Regime, *, country: str | None = None) -> BusinessCalendar:
    """The regime's working-day calendar and time zone.

    Where the regime has no single holiday calendar (the EU), ``country`` picks
    the member state's public holidays and time zone; without it only weekends
    are skipped and the regime's default zone is used.
    """
    spec = regime.calendar
    holidays_country, zone = spec.holidays_country, spec.timezone
    if holidays_country is None and country is not None:
        member = place(country).country
        if member is not None and member in regime.covers.countries:
            holidays_country = member
            zone = spec.timezone_by_country.get(member, zone)
    return BusinessCalendar(
        timezone=ZoneInfo(zone),
        holidays_country=holidays_country,
        holidays_subdivision=spec.holidays_subdivision,
        make_up_working_days=spec.make_up_working_days,
    )
