"""Breach notification clocks: who must be told, by when, under which rule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from privacyops.jurisdictions.calendar import BusinessCalendar, require_aware
from privacyops.jurisdictions.deadlines import add_days
from privacyops.jurisdictions.enums import Audience, ClockTier, CountedFrom, DayKind
from privacyops.jurisdictions.lookup import calendar_for, get_regime
from privacyops.jurisdictions.rules import NOTICE_STAGE, BreachClockRule, Regime
from privacyops.jurisdictions.schemas import BreachClock


def _applies(tier: ClockTier, *, major: bool, critical_infrastructure: bool) -> bool:
    """Pick the clocks for this incident.

    ``normal`` clocks run until an incident is graded major, ``major`` ones once it
    is, and a critical-infrastructure clock replaces both for such operators.
    """
    if tier is ClockTier.ANY:
        return True
    if tier is ClockTier.CRITICAL_INFRASTRUCTURE:
        return critical_infrastructure
    if critical_infrastructure:
        return False
    return major if tier is ClockTier.MAJOR else not major


def _describe(clock: BreachClockRule, cal: BusinessCalendar) -> str:
    start = (
        "the notice to individuals"
        if clock.counted_from is CountedFrom.INDIVIDUALS_NOTICE
        else "awareness"
    )
    if clock.hours is not None:
        return f"{clock.hours} hours from {start}"
    if clock.days == 0:
        return f"no later than {start}"
    if clock.days is not None:
        where = f" ({cal.label})" if clock.day_kind is DayKind.BUSINESS else ""
        return f"{clock.days} {clock.day_kind.value} days after {start}{where}"
    return "no fixed clock"


def _clock(
    regime: Regime,
    clock: BreachClockRule,
    cal: BusinessCalendar,
    aware: datetime,
    individuals_due: datetime | None,
) -> BreachClock:
    aware_day = cal.local_date(aware)
    rule = _describe(clock, cal)
    basis = clock.text
    due: datetime | None = None
    confirmed = True
    if clock.applies_from is not None and aware_day < clock.applies_from:
        rule = f"not in force until {clock.applies_from} (then: {rule})"
    elif clock.hours is not None:
        due = aware + timedelta(hours=clock.hours)
    elif clock.days is not None:
        base: date | None = aware_day
        if clock.counted_from is CountedFrom.INDIVIDUALS_NOTICE:
            base = cal.local_date(individuals_due) if individuals_due else None
        if base is None:
            rule += ", which itself has no fixed date"
        else:
            day = add_days(cal, base, clock.days, clock.day_kind)
            due = cal.end_of_day(day)
            confirmed = not cal.unconfirmed_years(aware_day, day)
    if due is None and clock.days is None and clock.hours is None:
        basis = f"No fixed clock. {clock.text}"
    return BreachClock(
        regime=regime.code,
        audience=clock.audience,
        stage=clock.stage,
        due_at=due,
        rule=rule,
        basis=basis,
        basis_kind=clock.basis,
        threshold=clock.threshold,
        recipient=clock.to,
        law=clock.law,
        source=clock.source,
        calendar_confirmed=confirmed,
        verification=regime.breach.verification,
    )


def _regime_clocks(
    regime: Regime, aware: datetime, *, major: bool, critical_infrastructure: bool
) -> list[BreachClock]:
    cal = calendar_for(regime)
    chosen = [
        clock
        for clock in regime.breach.clocks
        if _applies(clock.tier, major=major, critical_infrastructure=critical_infrastructure)
    ]
    computed: dict[int, BreachClock] = {}
    individuals_due: datetime | None = None
    for index, clock in enumerate(chosen):
        if clock.counted_from is CountedFrom.AWARENESS:
            computed[index] = _clock(regime, clock, cal, aware, None)
            if clock.audience is Audience.INDIVIDUALS and clock.stage == NOTICE_STAGE:
                individuals_due = computed[index].due_at
    for index, clock in enumerate(chosen):
        if index not in computed:
            computed[index] = _clock(regime, clock, cal, aware, individuals_due)
    return [computed[index] for index in range(len(chosen))]


def breach_clocks(
    *,
    regimes: Iterable[str],
    aware_at: datetime,
    major: bool = False,
    critical_infrastructure: bool = False,
) -> list[BreachClock]:
    """Every notification clock the breach starts in ``regimes``, soonest first.

    ``aware_at`` is when the organisation became aware (for SG: when it assessed
    the breach as notifiable). ``major`` means graded "relatively major" (较大)
    or above in China; ``critical_infrastructure`` means we run critical
    information infrastructure there. Clocks without a fixed time sort last.
    """
    aware = require_aware(aware_at, name="aware_at")
    clocks: list[BreachClock] = []
    for code in dict.fromkeys(regimes):
        clocks.extend(
            _regime_clocks(
                get_regime(code),
                aware,
                major=major,
                critical_infrastructure=critical_infrastructure,
            )
        )
    return sorted(clocks, key=lambda clock: (clock.due_at is None, clock.due_at or aware))
