"""Questions other domains ask about privacy law: which regime, age, deadline or clock.

Every answer is derived from the rulebook (``rules.yaml``); no legal number lives
in code. Functions are keyword-only and free of side effects. Deadline and breach
arithmetic lives in ``deadlines`` and ``breach`` and is exposed here.
"""

from __future__ import annotations

from datetime import date

from privacyops.jurisdictions.breach import breach_clocks
from privacyops.jurisdictions.calendar import NaiveDatetimeError
from privacyops.jurisdictions.deadlines import inquiry_deadline, request_deadline
from privacyops.jurisdictions.enums import ConsentModel, TransferRoute
from privacyops.jurisdictions.lookup import (
    InvalidPlaceError,
    calendar_for,
    get_regime,
    place,
    resolve,
)
from privacyops.jurisdictions.overview import regime_summaries, summarize
from privacyops.jurisdictions.rules import (
    Regime,
    Regulator,
    RuleBook,
    UnknownRegimeError,
    load_rules,
)
from privacyops.jurisdictions.schemas import PlaceRules, TransferAssessment

__all__ = [
    "InvalidPlaceError",
    "NaiveDatetimeError",
    "UnknownRegimeError",
    "all_regimes",
    "breach_clocks",
    "calendar_for",
    "cn_transfer_route",
    "consent_age",
    "cookie_model",
    "get_regime",
    "gpc_required",
    "inquiry_deadline",
    "place_rules",
    "regime_for",
    "regime_summaries",
    "regulator_for",
    "request_deadline",
    "rulebook",
    "sensitive_data_needs_separate_consent",
    "summarize",
]


def all_regimes() -> tuple[Regime, ...]:
    return load_rules().regimes


def rulebook() -> RuleBook:
    """The whole rulebook, for its date and disclaimer."""
    return load_rules()


def regime_for(*, country: str | None, state: str | None = None) -> Regime:
    """The regime that governs a person in ``country`` (and US or Canadian ``state``).

    EU and EEA members map to ``EU``, GB (or UK) to ``GB``, Quebec to ``CA-QC``,
    US states with a regime to it and other states to the US fallback. A missing
    or unknown country gets the default regime. ``country_mapping`` in rules.yaml
    names both fallbacks and says why.
    """
    return resolve(place(country, state))


def regulator_for(*, country: str | None, state: str | None = None) -> Regulator:
    """The authority a complainant in that place is pointed to."""
    return regime_for(country=country, state=state).regulator


def consent_age(*, country: str | None, state: str | None = None, policy_minimum: int = 16) -> int:
    """Age below which a parent or guardian must consent: the stricter of policy and law.

    Inside the EU/EEA the law's age is the member state's; regimes that apply
    alongside (COPPA in the US) count too.
    """
    book = load_rules()
    where = place(country, state)
    regime = resolve(where, book)
    local = regime.consent.age
    if where.country is not None:
        local = regime.consent.age_by_country.get(where.country, local)
    overlay_ages = [overlay.consent.age for overlay in book.overlays(where.country)]
    return max(policy_minimum, local, *overlay_ages)


def cookie_model(
    *, country: str | None, state: str | None = None, analytics: bool = False
) -> ConsentModel:
    """Opt-in or opt-out for non-essential cookies (``analytics``: first-party analytics)."""
    cookies = regime_for(country=country, state=state).cookies
    return cookies.analytics if analytics else cookies.advertising


def gpc_required(*, country: str | None, state: str | None = None, on: date) -> bool:
    """Whether law requires honouring Global Privacy Control on the day ``on``.

    A US state uses its own start date from ``us_universal_opt_out``, also when it
    has no modelled regime; a US request without a state follows the US fallback.
    rules.yaml also records the engineering default of honouring GPC for all US
    traffic, which is a product choice rather than this legal answer.
    """
    book = load_rules()
    where = place(country, state)
    if where.country == "US" and where.state is not None:
        since = book.gpc_since(where.state)
        return since is not None and since <= on
    gpc = resolve(where, book).gpc
    return gpc.required and (gpc.since is None or gpc.since <= on)


def place_rules(
    *, country: str | None, state: str | None = None, on: date, policy_minimum: int = 16
) -> PlaceRules:
    """Regime, consent ages, cookie models and the GPC duty for a person in one place.

    Raises InvalidPlaceError for codes not shaped like ISO 3166.
    """
    book = load_rules()
    where = place(country, state)
    regime = resolve(where, book)
    return PlaceRules(
        country=where.country,
        state=where.state,
        regime=regime.code,
        regime_name=regime.name,
        applies_alongside=tuple(overlay.code for overlay in book.overlays(where.country)),
        consent_age=consent_age(country=country, state=state, policy_minimum=policy_minimum),
        law_consent_age=consent_age(country=country, state=state, policy_minimum=0),
        cookies_advertising=cookie_model(country=country, state=state),
        cookies_analytics=cookie_model(country=country, state=state, analytics=True),
        gpc_required=gpc_required(country=country, state=state, on=on),
        on=on,
    )


def sensitive_data_needs_separate_consent(*, country: str | None, state: str | None = None) -> bool:
    return regime_for(country=country, state=state).sensitive_data.separate_consent


def cn_transfer_route(
    *,
    non_sensitive_people: int,
    sensitive_people: int = 0,
    critical_infrastructure: bool = False,
    important_data: bool = False,
) -> TransferAssessment:
    """Route for sending personal information out of mainland China this calendar year.

    Counts are cumulative from 1 January. Purpose-based exemptions (performing a
    contract with the person, cross-border HR, emergencies) are the caller's to
    apply first; this answers by volume and by the kind of handler.
    """
    if non_sensitive_people < 0 or sensitive_people < 0:
        raise ValueError("people counts must not be negative")
    bands = get_regime("CN").transfers.cn_thresholds
    if bands is None:
        raise ValueError("rules.yaml: CN has no cross-border thresholds")
    if (
        critical_infrastructure
        or important_data
        or non_sensitive_people >= bands.security_assessment_from_non_sensitive_people
        or sensitive_people >= bands.security_assessment_from_sensitive_people
    ):
        route, basis = TransferRoute.SECURITY_ASSESSMENT, bands.security_assessment
    elif sensitive_people > 0 or non_sensitive_people >= bands.exempt_below_non_sensitive_people:
        route = TransferRoute.STANDARD_CONTRACT_OR_CERTIFICATION
        basis = bands.standard_contract_or_certification
    else:
        route, basis = TransferRoute.EXEMPT, bands.exempt
    return TransferAssessment(route=route, basis=basis, always=bands.always)
