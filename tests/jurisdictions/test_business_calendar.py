"""Working days, months and local days, with fixed dates."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from privacyops.jurisdictions.calendar import (
    BusinessCalendar,
    NaiveDatetimeError,
    add_months,
    require_aware,
)

CHINA = BusinessCalendar(
    timezone=ZoneInfo("Asia/Shanghai"), holidays_country="CN", make_up_working_days=True
)
GERMANY = BusinessCalendar(timezone=ZoneInfo("Europe/Berlin"), holidays_country="DE")
WEEKENDS_ONLY = BusinessCalendar(timezone=ZoneInfo("Europe/Brussels"))


@pytest.mark.parametrize(
    "make_up_day",
    [
        date(2025, 9, 28),  # Sunday before National Day / Mid-Autumn 2025
        date(2025, 10, 11),  # Saturday after Golden Week 2025
        date(2026, 2, 14),  # Saturday before Spring Festival 2026
        date(2026, 2, 28),  # Saturday after Spring Festival 2026
    ],
)
def test_chinese_make_up_weekend_days_are_business_days(make_up_day: date) -> None:
    assert make_up_day.weekday() >= 5
    assert CHINA.is_business_day(make_up_day)


def test_golden_week_weekdays_are_not_chinese_business_days() -> None:
    golden_week = [date(2025, 10, day) for day in range(1, 9)]
    assert not any(CHINA.is_business_day(day) for day in golden_week)


def test_an_ordinary_chinese_saturday_is_not_a_business_day() -> None:
    assert not CHINA.is_business_day(date(2025, 10, 18))


def test_business_days_are_counted_from_the_day_after_the_start() -> None:
    assert CHINA.add_business_days(date(2025, 3, 3), 1) == date(2025, 3, 4)
    assert CHINA.add_business_days(date(2025, 3, 7), 1) == date(2025, 3, 10)
    assert CHINA.add_business_days(date(2025, 3, 7), 0) == date(2025, 3, 7)


def test_counting_across_golden_week_uses_both_make_up_days() -> None:
    assert CHINA.add_business_days(date(2025, 9, 26), 6) == date(2025, 10, 11)


def test_a_china_year_the_holidays_package_does_not_carry_is_reported_unconfirmed() -> None:
    assert CHINA.unconfirmed_years(date(2025, 1, 1), date(2026, 12, 31)) == ()
    assert CHINA.unconfirmed_years(date(2089, 12, 1), date(2090, 2, 1)) == (2089, 2090)


def test_calendars_without_make_up_days_are_always_confirmed() -> None:
    assert GERMANY.unconfirmed_years(date(2090, 1, 1), date(2090, 2, 1)) == ()


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 2, 28), 2, date(2025, 4, 28)),
    ],
)
def test_months_keep_the_same_date_or_clamp_to_the_month_end(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected


def test_roll_forward_skips_weekend_and_member_state_holidays() -> None:
    assert GERMANY.roll_forward(date(2025, 12, 25)) == date(2025, 12, 29)
    assert WEEKENDS_ONLY.roll_forward(date(2025, 12, 25)) == date(2025, 12, 25)
    assert WEEKENDS_ONLY.roll_forward(date(2025, 2, 15)) == date(2025, 2, 17)


def test_local_date_is_taken_in_the_calendar_time_zone() -> None:
    friday_evening_utc = datetime(2025, 9, 26, 16, 30, tzinfo=UTC)
    assert CHINA.local_date(friday_evening_utc) == date(2025, 9, 27)


def test_a_day_ends_at_the_last_local_second_given_in_utc() -> None:
    assert CHINA.end_of_day(date(2025, 10, 23)) == datetime(2025, 10, 23, 15, 59, 59, tzinfo=UTC)
    assert GERMANY.end_of_day(date(2025, 7, 1)) == datetime(2025, 7, 1, 21, 59, 59, tzinfo=UTC)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(NaiveDatetimeError, match="received_at must be timezone-aware"):
        require_aware(datetime(2025, 1, 1, 9, 0), name="received_at")
