"""The rulebook: privacy-law rules per regime, validated from ``rules.yaml``.

The YAML is the single place where legal numbers live; code never hard-codes a
deadline, an age or a clock. Loading validates cross-references (every country
claimed by one regime at most, every mapping target known, every breach-clock
source listed among the regime's sources) so a bad edit fails at start-up, not
when a deadline is computed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cached_property, lru_cache
from importlib import resources
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from privacyops.jurisdictions.enums import (
    Audience,
    ClockBasis,
    ClockTier,
    ConsentModel,
    CountedFrom,
    DayKind,
    Right,
    Verification,
)

RULES_RESOURCE = "rules.yaml"

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
SubdivisionCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")]
RegimeCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}(-[A-Z]+)?$")]
SourceUrl = Annotated[str, StringConstraints(pattern=r"^https?://\S+")]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class UnknownRegimeError(ValueError):
    """A regime code that the rulebook does not define."""

    def __init__(self, code: str, known: tuple[str, ...]) -> None:
        super().__init__(f"unknown regime {code!r}; known regimes: {', '.join(known)}")
        self.code = code


class RuleBookError(ValueError):
    """The rulebook file is malformed or inconsistent."""


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Regulator(_Rule):
    name: Text
    website: SourceUrl | None = None
    complaints: Text


class Coverage(_Rule):
    countries: tuple[CountryCode, ...] = ()
    subdivisions: tuple[SubdivisionCode, ...] = ()
    applies_alongside: tuple[CountryCode, ...] = ()
    note: Text | None = None


class CalendarSpec(_Rule):
    timezone: Text
    timezone_by_country: dict[CountryCode, Text] = Field(default_factory=dict)
    holidays_country: CountryCode | None = None
    holidays_subdivision: str | None = None
    make_up_working_days: bool = False
    note: Text | None = None

    @model_validator(mode="after")
    def _known_zones(self) -> Self:
        for zone in (self.timezone, *self.timezone_by_country.values()):
            ZoneInfo(zone)
        return self


class RequestDeadlineRule(_Rule):
    days: int | None = Field(default=None, ge=1)
    months: int | None = Field(default=None, ge=1)
    day_kind: DayKind
    roll_forward: bool = False
    extension_days: int | None = Field(default=None, ge=1)
    extension_months: int | None = Field(default=None, ge=1)
    extension_rule: Text | None = None
    conservative_days: int | None = Field(default=None, ge=1)
    clock_starts: Text
    applies_from: date | None = None
    notes: Text
    verification: Verification

    @model_validator(mode="after")
    def _one_unit(self) -> Self:
        if self.days is not None and self.months is not None:
            raise ValueError("give days or months, not both")
        if (self.months is not None) != (self.day_kind is DayKind.MONTH):
            raise ValueError("day_kind 'month' goes with months, and only with months")
        if self.extension_months is not None and self.months is None:
            raise ValueError("extension_months needs a month-based deadline")
        if self.extension_days is not None and self.days is None:
            raise ValueError("extension_days needs a day-based deadline")
        return self


class OtherDeadline(_Rule):
    what: Text
    days: int | None = None
    months: int | None = None
    day_kind: DayKind
    law: Text
    verification: Verification


NOTICE_STAGE = "notice"
"""The stage of a breach clock that is the notice itself (others: reports, supplements)."""


class BreachClockRule(_Rule):
    audience: Audience
    stage: Text = NOTICE_STAGE
    tier: ClockTier = ClockTier.ANY
    hours: int | None = Field(default=None, ge=1)
    days: int | None = Field(default=None, ge=0)
    day_kind: Literal[DayKind.CALENDAR, DayKind.BUSINESS] = DayKind.CALENDAR
    counted_from: CountedFrom = CountedFrom.AWARENESS
    basis: ClockBasis = ClockBasis.LAW
    applies_from: date | None = None
    threshold: Text | None = None
    to: Text | None = None
    law: Text | None = None
    text: Text
    source: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.hours is not None and self.days is not None:
            raise ValueError("give hours or days, not both")
        if self.counted_from is CountedFrom.INDIVIDUALS_NOTICE and self.days is None:
            raise ValueError("a clock counted from the notice to individuals needs days")
        return self


class BreachRules(_Rule):
    clocks: tuple[BreachClockRule, ...] = Field(min_length=1)
    verification: Verification


class ConsentRules(_Rule):
    age: int = Field(ge=0, le=21)
    age_by_country: dict[CountryCode, Annotated[int, Field(ge=0, le=21)]] = Field(
        default_factory=dict
    )
    age_by_country_verification: Text | None = None
    always_parental_below: int | None = None
    notes: Text | None = None


class CookieRules(_Rule):
    advertising: ConsentModel
    analytics: ConsentModel
    notes: Text | None = None


class GpcRules(_Rule):
    required: bool
    since: date | None = None
    notes: Text | None = None

    @model_validator(mode="after")
    def _since_only_when_required(self) -> Self:
        if self.since is not None and not self.required:
            raise ValueError("a GPC start date only makes sense when GPC is required")
        return self


class SensitiveDataRules(_Rule):
    separate_consent: bool
    notes: Text | None = None


class CnTransferThresholds(_Rule):
    """Volume bands of the CAC cross-border provisions (counted from 1 January)."""

    regime: Text
    exempt_below_non_sensitive_people: int = Field(gt=0)
    security_assessment_from_non_sensitive_people: int = Field(gt=0)
    security_assessment_from_sensitive_people: int = Field(gt=0)
    exempt: Text
    standard_contract_or_certification: Text
    security_assessment: Text
    always: Text
    verification: Verification


class TransferRules(_Rule):
    mechanisms: tuple[Text, ...] = Field(min_length=1)
    notes: Text | None = None
    cn_thresholds: CnTransferThresholds | None = None


class Regime(_Rule):
    code: RegimeCode
    name: Text
    regulator: Regulator
    covers: Coverage
    calendar: CalendarSpec
    rights: tuple[Right, ...] = Field(min_length=1)
    rights_notes: Text | None = None
    request_deadline: RequestDeadlineRule
    other_deadlines: tuple[OtherDeadline, ...] = ()
    breach: BreachRules
    consent: ConsentRules
    cookies: CookieRules
    gpc: GpcRules
    sensitive_data: SensitiveDataRules
    transfers: TransferRules
    identity_verification: Text
    verification: Verification
    unverified: tuple[Text, ...] = ()
    sources: tuple[SourceUrl, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _clock_sources_listed(self) -> Self:
        for clock in self.breach.clocks:
            if clock.source is not None and clock.source not in self.sources:
                raise ValueError(f"{self.code}: breach source {clock.source!r} not in sources")
        per_country = set(self.consent.age_by_country) | set(self.calendar.timezone_by_country)
        stray = per_country - set(self.covers.countries)
        if stray:
            raise ValueError(f"{self.code}: per-country rules for uncovered {sorted(stray)}")
        return self


class StateOptOut(_Rule):
    state: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    since: date
    basis: Text
    verification: Verification


class UsUniversalOptOut(_Rule):
    required: tuple[StateOptOut, ...]
    not_required_statutorily: tuple[str, ...]
    browser_mandate: Text
    engineering_default: Text
    sources: tuple[SourceUrl, ...] = Field(min_length=1)


class CountryMapping(_Rule):
    aliases: dict[str, CountryCode]
    aliases_note: Text
    us_fallback: RegimeCode
    us_fallback_note: Text
    default: RegimeCode
    default_note: Text


class RuleBook(_Rule):
    schema_version: Literal[1]
    as_of: date
    disclaimer: Text
    day_count_conventions: dict[str, Text]
    country_mapping: CountryMapping
    us_universal_opt_out: UsUniversalOptOut
    unverified: tuple[Text, ...]
    regimes: tuple[Regime, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _cross_references(self) -> Self:
        self._index(lambda r: (r.code,), "regime code")
        self._index(lambda r: r.covers.countries, "country")
        self._index(lambda r: r.covers.subdivisions, "subdivision")
        mapping = self.country_mapping
        for code in (mapping.us_fallback, mapping.default):
            self.regime(code)
        for alias, target in mapping.aliases.items():
            if target not in self.by_country:
                raise ValueError(f"alias {alias} -> {target}: no regime covers {target}")
        gpc_table = {entry.state: entry.since for entry in self.us_universal_opt_out.required}
        for regime in self.regimes:
            for subdivision in regime.covers.subdivisions:
                country, state = subdivision.split("-")
                if country == "US" and regime.gpc.since != gpc_table.get(state):
                    raise ValueError(f"{regime.code}: GPC date disagrees with the US state table")
        return self

    def _index(self, keys: Callable[[Regime], tuple[str, ...]], what: str) -> dict[str, Regime]:
        index: dict[str, Regime] = {}
        for regime in self.regimes:
            for key in keys(regime):
                if key in index:
                    raise ValueError(f"{what} {key} claimed by {index[key].code} and {regime.code}")
                index[key] = regime
        return index

    @cached_property
    def codes(self) -> tuple[str, ...]:
        return tuple(regime.code for regime in self.regimes)

    @cached_property
    def by_country(self) -> dict[str, Regime]:
        return self._index(lambda r: r.covers.countries, "country")

    @cached_property
    def by_subdivision(self) -> dict[str, Regime]:
        return self._index(lambda r: r.covers.subdivisions, "subdivision")

    @cached_property
    def by_code(self) -> dict[str, Regime]:
        return self._index(lambda r: (r.code,), "regime code")

    def regime(self, code: str) -> Regime:
        """The regime with this code; raises UnknownRegimeError otherwise."""
        try:
            return self.by_code[code]
        except KeyError:
            raise UnknownRegimeError(code, self.codes) from None

    def overlays(self, country: str | None) -> tuple[Regime, ...]:
        """Regimes that apply in ``country`` alongside its own (e.g. COPPA in the US)."""
        if country is None:
            return ()
        return tuple(r for r in self.regimes if country in r.covers.applies_alongside)

    def gpc_since(self, state: str) -> date | None:
        """First day a US state required honouring GPC, or None if it never did."""
        for entry in self.us_universal_opt_out.required:
            if entry.state == state:
                return entry.since
        return None


def _line_of(root: yaml.Node, loc: tuple[int | str, ...]) -> int:
    """1-based line of the deepest YAML node that ``loc`` (a pydantic path) reaches."""
    node = root
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = [value for item, value in node.value if item.value == str(key)]
            if not match:
                break
            node = match[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            node = node.value[key]
        else:
            break
    return int(node.start_mark.line) + 1


def parse_rules(text: str, *, name: str = RULES_RESOURCE) -> RuleBook:
    """Validate rulebook YAML; each problem is reported as ``file:line: where: what``."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleBookError(f"{name}: not valid YAML: {exc}") from exc
    try:
        return RuleBook.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            where = ".".join(str(part) for part in error["loc"]) or "top level"
            line = _line_of(root, error["loc"]) if root is not None else 1
            problems.append(f"{name}:{line}: {where}: {error['msg']}")
        raise RuleBookError("\n".join(problems)) from exc


@lru_cache(maxsize=1)
def load_rules() -> RuleBook:
    """The packaged rulebook, parsed once per process."""
    text = resources.files(__package__).joinpath(RULES_RESOURCE).read_text(encoding="utf-8")
    return parse_rules(text)
