"""Calendar arithmetic for legal deadlines: business days, months, time zones.

Periods are counted in a regime's local time zone because a request received at
23:30 UTC on a Friday arrives on Saturday in Beijing, and the law counts from the
local day. Inputs and outputs are timezone-aware UTC datetimes; dates in between
are local calendar dates.

Working days come from the ``holidays`` package. For China it also supplies the
weekend make-up working days (调休) of each State Council notice through
``weekend_workdays`` and ``is_working_day``. A year whose notice the installed
package does not carry yet has no make-up days at all; such results are still
computed (Monday-Friday minus the statutory holidays the package estimates) but
reported as unconfirmed so a person can check them.
"""

from __future__ import annotations

import calendar as stdlib_calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

END_OF_DAY = time(23, 59, 59)
SATURDAY_SUNDAY = frozenset({5, 6})


class NaiveDatetimeError(ValueError):
    """A datetime without a time zone, which cannot be placed on a legal calendar."""


def require_aware(value: datetime, *, name: str) -> datetime:
    """Return ``value`` in UTC, refusing naive datetimes instead of guessing a zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(f"{name} must be timezone-aware (got {value.isoformat()})")
    return value.astimezone(UTC)


def add_months(start: date, months: int) -> date:
    """Regulation 1182/71 Art. 3(2)(c): same date ``months`` later, clamped to month end.

    Jan 31 plus one month is Feb 28 (Feb 29 in a leap year). Rolling off weekends
    and holidays is a separate step (``BusinessCalendar.roll_forward``).
    """
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last_day = stdlib_calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))


@dataclass(frozen=True)
class _YearDays:
    holidays: frozenset[date]
    weekend_workdays: frozenset[date]
    weekend: frozenset[int]


@lru_cache(maxsize=512)
def _year_days(country: str | None, subdivision: str | None, year: int) -> _YearDays:
    """Holidays and make-up working days falling in ``year``, frozen for sharing.

    The following year is loaded too because a State Council notice can move a
    working day into late December of the year before.
    """
    if country is None:
        return _YearDays(frozenset(), frozenset(), SATURDAY_SUNDAY)
    table = holidays.country_holidays(country, subdiv=subdivision, years=(year, year + 1))
    return _YearDays(
        holidays=frozenset(day for day in table if day.year == year),
        weekend_workdays=frozenset(day for day in table.weekend_workdays if day.year == year),
        weekend=frozenset(table.weekend),
    )


@dataclass(frozen=True)
class BusinessCalendar:
    """Working days and local time of one jurisdiction.

    ``holidays_country`` None means weekends only (used where no single public
    holiday calendar applies). ``make_up_working_days`` marks calendars whose
    weekend working days must be announced each year (China).
    """

    timezone: ZoneInfo
    holidays_country: str | None = None
    holidays_subdivision: str | None = None
    make_up_working_days: bool = False

    @property
    def label(self) -> str:
        if self.holidays_country is None:
            return f"weekends only, {self.timezone.key}"
        place = self.holidays_country
        if self.holidays_subdivision:
            place = f"{place}-{self.holidays_subdivision}"
        return f"{place} working days, {self.timezone.key}"

    def local_date(self, instant: datetime) -> date:
        return require_aware(instant, name="instant").astimezone(self.timezone).date()

    def end_of_day(self, day: date) -> datetime:
        """The last second of ``day`` in local time, as UTC: when a day-counted period ends."""
        return datetime.combine(day, END_OF_DAY, tzinfo=self.timezone).astimezone(UTC)

    def _days(self, year: int) -> _YearDays:
        return _year_days(self.holidays_country, self.holidays_subdivision, year)

    def is_business_day(self, day: date) -> bool:
        days = self._days(day.year)
        if day.weekday() in days.weekend:
            return day in days.weekend_workdays
        return day not in days.holidays

    def add_business_days(self, start: date, count: int) -> date:
        """The ``count``-th business day after ``start`` (the start day itself never counts)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day = start
        remaining = count
        while remaining:
            day += timedelta(days=1)
            if self.is_business_day(day):
                remaining -= 1
        return day

    def roll_forward(self, day: date) -> date:
        """``day`` if it is a business day, else the next business day."""
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def unconfirmed_years(self, start: date, end: date) -> tuple[int, ...]:
        """Years in [start, end] whose make-up working days the holidays package lacks.

        Every State Council holiday notice since 2001 has named weekend working
        days, so a year with none means its notice is not in the package yet.
        """
        if not self.make_up_working_days:
            return ()
        first, last = sorted((start.year, end.year))
        return tuple(
            year for year in range(first, last + 1) if not self._days(year).weekend_workdays
        )
