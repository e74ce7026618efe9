"""Due dates for data-subject requests and general inquiries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from privacyops.jurisdictions.calendar import BusinessCalendar, add_months, require_aware
from privacyops.jurisdictions.enums import DayKind, Verification
from privacyops.jurisdictions.lookup import calendar_for, get_regime
from privacyops.jurisdictions.rules import Regime, RequestDeadlineRule
from privacyops.jurisdictions.schemas import Deadline, InquiryDeadline

INQUIRY_TARGET_BUSINESS_DAYS = 5
"""Privacy policy §6 answers general inquiries in 5-7 business days: 5 is the aim."""
INQUIRY_DUE_BUSINESS_DAYS = 7


def add_days(cal: BusinessCalendar, start: date, count: int, kind: DayKind) -> date:
    """``count`` calendar or business days after ``start`` (the start day never counts)."""
    if kind is DayKind.BUSINESS:
        return cal.add_business_days(start, count)
    if kind is DayKind.MONTH:
        raise ValueError("month periods go through add_months")
    return start + timedelta(days=count)


@dataclass(frozen=True)
class _LawDue:
    due: date | None
    extended: date | None
    describe: str


def _law_due(rule: RequestDeadlineRule, cal: BusinessCalendar, start: date) -> _LawDue:
    """The law's first deadline and its latest extension, as local dates.

    Month extensions run on from the end of the unrolled first month (1182/71):
    only the final day of each period moves off a weekend or holiday.
    """
    if rule.applies_from is not None and start < rule.applies_from:
        return _LawDue(None, None, f"rule in force only from {rule.applies_from}")
    extended: date | None = None
    if rule.months is not None:
        first = add_months(start, rule.months)
        if rule.extension_months is not None:
            extended = add_months(first, rule.extension_months)
        text = f"{rule.months} month(s) under Regulation 1182/71"
    elif rule.days is not None:
        first = add_days(cal, start, rule.days, rule.day_kind)
        if rule.extension_days is not None:
            extended = add_days(cal, first, rule.extension_days, rule.day_kind)
        text = f"{rule.days} {rule.day_kind.value} days"
    else:
        return _LawDue(None, None, "no day count in law")
    if rule.roll_forward:
        first = cal.roll_forward(first)
        extended = cal.roll_forward(extended) if extended else None
        text += ", moved off weekends and public holidays"
    return _LawDue(first, extended, text)


def _calendar_caveats(regime: Regime, cal: BusinessCalendar, start: date, end: date) -> list[str]:
    notes: list[str] = []
    missing = cal.unconfirmed_years(start, end)
    if missing:
        years = ", ".join(str(year) for year in missing)
        notes.append(
            f"Make-up working days for {years} are not in the installed holidays package: "
            "counted Monday-Friday minus the statutory holidays it estimates. Update the "
            "package once the State Council notice is out and recompute."
        )
    if regime.calendar.holidays_country is None and cal.holidays_country is None:
        notes.append(f"{regime.code}: no member state given, so only weekends were skipped.")
    return notes


def request_deadline(
    *,
    regime: str,
    received_at: datetime,
    promised_days: int = 30,
    promised_business_days: bool = False,
    country: str | None = None,
) -> Deadline:
    """Due date of a data-subject request: the earlier of the company promise and the law.

    ``received_at`` is when the clock starts (for GB, the Art. 12A "relevant
    time"). Days count from the next local day and a period ends at the end of
    its last local day. ``country`` picks a member state's holidays in the EU.
    """
    rules = get_regime(regime)
    if promised_days < 1:
        raise ValueError("promised_days must be at least 1")
    received = require_aware(received_at, name="received_at")
    cal = calendar_for(rules, country=country)
    start = cal.local_date(received)
    rule = rules.request_deadline
    promise_kind = DayKind.BUSINESS if promised_business_days else DayKind.CALENDAR
    promise = add_days(cal, start, promised_days, promise_kind)
    promise_text = f"the company promise of {promised_days} {promise_kind.value} days"
    law = _law_due(rule, cal, start)
    decided_by: Literal["law", "promise"]
    if law.due is not None and law.due <= promise:
        due, decided_by = law.due, "law"
        basis = (
            f"{rules.code} law ({law.describe}) ends {law.due}, "
            f"not later than {promise_text}, which ends {promise}."
        )
    else:
        due, decided_by = promise, "promise"
        law_end = f"ends {law.due}" if law.due else "gives no date"
        basis = (
            f"The company promise of {promised_days} {promise_kind.value} days ends "
            f"{promise}, before {rules.code} law ({law.describe}), which {law_end}."
        )
    target = due
    if rule.conservative_days is not None:
        sla_kind = DayKind.CALENDAR if rule.day_kind is DayKind.MONTH else rule.day_kind
        target = min(due, add_days(cal, start, rule.conservative_days, sla_kind))
    last = max(day for day in (due, law.extended, promise) if day is not None)
    caveats = _calendar_caveats(rules, cal, start, last)
    if rule.verification is not Verification.VERIFIED:
        caveats.append(
            f"{rules.code} deadline rule verification is '{rule.verification.value}': "
            "re-check before relying on it."
        )
    return Deadline(
        regime=rules.code,
        received_at=received,
        timezone=cal.timezone.key,
        due_at=cal.end_of_day(due),
        due_date=due,
        decided_by=decided_by,
        basis=basis,
        law_due_at=cal.end_of_day(law.due) if law.due else None,
        promise_due_at=cal.end_of_day(promise),
        target_at=cal.end_of_day(target),
        extended_due_at=cal.end_of_day(law.extended) if law.extended else None,
        extension_rule=rule.extension_rule,
        calendar=cal.label,
        calendar_confirmed=not cal.unconfirmed_years(start, last),
        caveats=tuple(caveats),
        verification=rule.verification,
        sources=rules.sources,
    )


def inquiry_deadline(
    *,
    regime: str,
    received_at: datetime,
    country: str | None = None,
    target_business_days: int = INQUIRY_TARGET_BUSINESS_DAYS,
    due_business_days: int = INQUIRY_DUE_BUSINESS_DAYS,
) -> InquiryDeadline:
    """General inquiry: aim for the target, answer by the due bound, in business days.

    The defaults are the policy's 5-7 business days; the policy domain may pass its
    declared numbers instead. Counted on the regime's working-day calendar.
    """
    if not 1 <= target_business_days <= due_business_days:
        raise ValueError("need 1 <= target_business_days <= due_business_days")
    rules = get_regime(regime)
    received = require_aware(received_at, name="received_at")
    cal = calendar_for(rules, country=country)
    start = cal.local_date(received)
    target = cal.add_business_days(start, target_business_days)
    due = cal.add_business_days(start, due_business_days)
    return InquiryDeadline(
        regime=rules.code,
        received_at=received,
        timezone=cal.timezone.key,
        target_at=cal.end_of_day(target),
        due_at=cal.end_of_day(due),
        basis=(
            f"Company promise: general inquiries in {target_business_days}-"
            f"{due_business_days} business days ({cal.label}); a promise, not law."
        ),
        calendar=cal.label,
        calendar_confirmed=not cal.unconfirmed_years(start, due),
        caveats=tuple(_calendar_caveats(rules, cal, start, due)),
    )
