"""The rulebook at a glance: one summary line per regime, as the console table shows it.

The lines are words for a reader, so they are said in a language (English for the API,
the console's language on its pages); the rule values themselves stay in the summary.
"""

from __future__ import annotations

from babel.support import NullTranslations

from privacyops.jurisdictions.enums import (
    Audience,
    ClockBasis,
    ClockTier,
    CountedFrom,
    DayKind,
)
from privacyops.jurisdictions.rules import (
    NOTICE_STAGE,
    BreachClockRule,
    Regime,
    RequestDeadlineRule,
    load_rules,
)
from privacyops.jurisdictions.schemas import (
    ClockSummary,
    RegimeSummary,
    RequestRuleSummary,
)
from privacyops.web.i18n import N_, translations

TIER_LABELS = {
    ClockTier.NORMAL: N_("not major"),
    ClockTier.MAJOR: N_("major"),
    ClockTier.CRITICAL_INFRASTRUCTURE: N_("critical infrastructure"),
}
BASIS_LABELS = {
    ClockBasis.GUIDANCE: N_("guidance"),
    ClockBasis.ENGINEERING_DEFAULT: N_("our default"),
}


def _count(words: NullTranslations, number: int, unit: str, kind: DayKind) -> str:
    business = kind is DayKind.BUSINESS
    if unit == "month":
        text = words.ngettext("{num} month", "{num} months", number)
    elif unit == "hour":
        text = words.ngettext("{num} hour", "{num} hours", number)
    elif business:
        text = words.ngettext("{num} business day", "{num} business days", number)
    else:
        text = words.ngettext("{num} day", "{num} days", number)
    return text.format(num=number)


def _request_period(words: NullTranslations, rule: RequestDeadlineRule) -> str:
    if rule.months is not None:
        return _count(words, rule.months, "month", DayKind.CALENDAR)
    if rule.days is not None:
        return _count(words, rule.days, "day", rule.day_kind)
    return words.gettext("none in law")


def _extension(words: NullTranslations, rule: RequestDeadlineRule) -> str | None:
    if rule.extension_months is not None:
        return "+" + _count(words, rule.extension_months, "month", DayKind.CALENDAR)
    if rule.extension_days is not None:
        return "+" + _count(words, rule.extension_days, "day", rule.day_kind)
    return None


def _clock_period(words: NullTranslations, clock: BreachClockRule) -> str:
    after_notice = clock.counted_from is CountedFrom.INDIVIDUALS_NOTICE
    if clock.hours is not None:
        return _count(words, clock.hours, "hour", DayKind.CALENDAR)
    if clock.days == 0:
        if after_notice:
            return words.gettext("with the notice to individuals")
        return words.gettext("on awareness")
    if clock.days is not None:
        period = _count(words, clock.days, "day", clock.day_kind)
        if after_notice:
            return words.gettext("{period} after the notice to individuals").format(period=period)
        return period
    return words.gettext("no fixed clock")


def _clock_note(words: NullTranslations, clock: BreachClockRule) -> str | None:
    """What sets this clock apart from the regime's others: "not major, our default"."""
    tier = TIER_LABELS.get(clock.tier)
    label = clock.stage if clock.stage != NOTICE_STAGE else (tier and words.gettext(tier))
    basis = BASIS_LABELS.get(clock.basis)
    since = (
        words.gettext("from {date}").format(date=clock.applies_from)
        if clock.applies_from is not None
        else None
    )
    notes = [text for text in (label, basis and words.gettext(basis), since) if text]
    return words.gettext(", ").join(notes) or None


def _clock_summary(words: NullTranslations, clock: BreachClockRule) -> ClockSummary:
    return ClockSummary(
        audience=clock.audience,
        stage=clock.stage,
        tier=clock.tier,
        period=_clock_period(words, clock),
        note=_clock_note(words, clock),
        basis_kind=clock.basis,
        applies_from=clock.applies_from,
    )


def _audience_line(
    words: NullTranslations, clocks: tuple[ClockSummary, ...], audience: Audience
) -> str:
    """One audience's clocks: "4 hours (not major, our default) · 4 hours (major)"."""
    parts = [
        words.gettext("{period} ({note})").format(period=clock.period, note=clock.note)
        if clock.note
        else clock.period
        for clock in clocks
        if clock.audience is audience
    ]
    return " · ".join(parts) or words.gettext("none")


def summarize(regime: Regime, lang: str = "en") -> RegimeSummary:
    words = translations(lang)
    rule = regime.request_deadline
    clocks = tuple(_clock_summary(words, clock) for clock in regime.breach.clocks)
    ages = regime.consent.age_by_country.values()
    return RegimeSummary(
        code=regime.code,
        name=regime.name,
        countries=regime.covers.countries,
        subdivisions=regime.covers.subdivisions,
        applies_alongside=regime.covers.applies_alongside,
        request_deadline=RequestRuleSummary(
            period=_request_period(words, rule),
            day_kind=rule.day_kind,
            roll_forward=rule.roll_forward,
            extension=_extension(words, rule),
            extension_rule=rule.extension_rule,
            target_days=rule.conservative_days,
            applies_from=rule.applies_from,
            verification=rule.verification,
        ),
        regulator_clock=_audience_line(words, clocks, Audience.REGULATOR),
        individuals_clock=_audience_line(words, clocks, Audience.INDIVIDUALS),
        breach_clocks=clocks,
        breach_verification=regime.breach.verification,
        consent_age=regime.consent.age,
        consent_age_range=(min(ages), max(ages)) if ages else None,
        cookies_advertising=regime.cookies.advertising,
        cookies_analytics=regime.cookies.analytics,
        gpc_required=regime.gpc.required,
        gpc_since=regime.gpc.since,
        verification=regime.verification,
    )


def regime_summaries(lang: str = "en") -> list[RegimeSummary]:
    return [summarize(regime, lang) for regime in load_rules().regimes]
