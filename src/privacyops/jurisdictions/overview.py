"""The rulebook at a glance: one summary line per regime, as the console table shows it."""

from __future__ import annotations

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

TIER_LABELS = {
    ClockTier.NORMAL: "not major",
    ClockTier.MAJOR: "major",
    ClockTier.CRITICAL_INFRASTRUCTURE: "critical infrastructure",
}
BASIS_LABELS = {ClockBasis.GUIDANCE: "guidance", ClockBasis.ENGINEERING_DEFAULT: "our default"}


def _count(number: int, unit: str, kind: DayKind = DayKind.CALENDAR) -> str:
    qualifier = "business " if kind is DayKind.BUSINESS else ""
    return f"{number} {qualifier}{unit}{'' if number == 1 else 's'}"


def _request_period(rule: RequestDeadlineRule) -> str:
    if rule.months is not None:
        return _count(rule.months, "month")
    if rule.days is not None:
        return _count(rule.days, "day", rule.day_kind)
    return "none in law"


def _extension(rule: RequestDeadlineRule) -> str | None:
    if rule.extension_months is not None:
        return "+" + _count(rule.extension_months, "month")
    if rule.extension_days is not None:
        return "+" + _count(rule.extension_days, "day", rule.day_kind)
    return None


def _clock_period(clock: BreachClockRule) -> str:
    after_notice = clock.counted_from is CountedFrom.INDIVIDUALS_NOTICE
    if clock.hours is not None:
        return _count(clock.hours, "hour")
    if clock.days == 0:
        return "with the notice to individuals" if after_notice else "on awareness"
    if clock.days is not None:
        period = _count(clock.days, "day", clock.day_kind)
        return f"{period} after the notice to individuals" if after_notice else period
    return "no fixed clock"


def _clock_note(clock: BreachClockRule) -> str | None:
    """What sets this clock apart from the regime's others: "not major, our default"."""
    label = clock.stage if clock.stage != NOTICE_STAGE else TIER_LABELS.get(clock.tier)
    since = f"from {clock.applies_from}" if clock.applies_from is not None else None
    notes = [text for text in (label, BASIS_LABELS.get(clock.basis), since) if text]
    return ", ".join(notes) or None


def _clock_summary(clock: BreachClockRule) -> ClockSummary:
    return ClockSummary(
        audience=clock.audience,
        stage=clock.stage,
        tier=clock.tier,
        period=_clock_period(clock),
        note=_clock_note(clock),
        basis_kind=clock.basis,
        applies_from=clock.applies_from,
    )


def _audience_line(clocks: tuple[ClockSummary, ...], audience: Audience) -> str:
    """One audience's clocks: "4 hours (not major, our default) · 4 hours (major)"."""
    parts = [
        f"{clock.period} ({clock.note})" if clock.note else clock.period
        for clock in clocks
        if clock.audience is audience
    ]
    return " · ".join(parts) or "none"


def summarize(regime: Regime) -> RegimeSummary:
    rule = regime.request_deadline
    clocks = tuple(_clock_summary(clock) for clock in regime.breach.clocks)
    ages = regime.consent.age_by_country.values()
    return RegimeSummary(
        code=regime.code,
        name=regime.name,
        countries=regime.covers.countries,
        subdivisions=regime.covers.subdivisions,
        applies_alongside=regime.covers.applies_alongside,
        request_deadline=RequestRuleSummary(
            period=_request_period(rule),
            day_kind=rule.day_kind,
            roll_forward=rule.roll_forward,
            extension=_extension(rule),
            extension_rule=rule.extension_rule,
            target_days=rule.conservative_days,
            applies_from=rule.applies_from,
            verification=rule.verification,
        ),
        regulator_clock=_audience_line(clocks, Audience.REGULATOR),
        individuals_clock=_audience_line(clocks, Audience.INDIVIDUALS),
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


def regime_summaries() -> list[RegimeSummary]:
    return [summarize(regime) for regime in load_rules().regimes]
