"""Request and inquiry deadlines for fixed receipt dates."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from privacyops.jurisdictions.calendar import NaiveDatetimeError
from privacyops.jurisdictions.service import (
    UnknownRegimeError,
    inquiry_deadline,
    request_deadline,
)

BEIJING = timezone(timedelta(hours=8))
MONDAY_3_MARCH_2025 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("regime", "due", "decided_by"),
    [
        ("EU", date(2025, 4, 2), "promise"),  # one month ends 3 Apr
        ("GB", date(2025, 4, 2), "promise"),
        ("CN", date(2025, 3, 24), "law"),  # 15 PRC working days
        ("US-CA", date(2025, 4, 2), "promise"),  # 45 days end 17 Apr
        ("US-VA", date(2025, 4, 2), "promise"),
        ("US-CO", date(2025, 4, 2), "promise"),
        ("US-CT", date(2025, 4, 2), "promise"),
        ("US-TX", date(2025, 4, 2), "promise"),
        ("US-COPPA", date(2025, 4, 2), "promise"),  # no day count in law
        ("CA", date(2025, 4, 2), "law"),  # 30 days, same day as the promise
        ("CA-QC", date(2025, 4, 2), "law"),
        ("AU", date(2025, 4, 2), "law"),
        ("JP", date(2025, 4, 2), "promise"),  # "without delay"
        ("KR", date(2025, 3, 13), "law"),  # 10 days
        ("BR", date(2025, 3, 18), "law"),  # 15 days
        ("SG", date(2025, 4, 2), "law"),
        ("TH", date(2025, 4, 2), "law"),
        ("IN", date(2025, 4, 2), "promise"),  # DPDP rule not in force until 2027-05-13
    ],
)
def test_each_regime_deadline_for_a_request_received_on_3_march_2025(
    regime: str, due: date, decided_by: str
) -> None:
    deadline = request_deadline(regime=regime, received_at=MONDAY_3_MARCH_2025)
    assert deadline.due_date == due
    assert deadline.decided_by == decided_by
    assert deadline.due_at.tzinfo is UTC
    assert deadline.sources


def test_the_law_wins_when_it_is_stricter_and_the_basis_says_so() -> None:
    deadline = request_deadline(regime="KR", received_at=MONDAY_3_MARCH_2025)
    assert deadline.decided_by == "law"
    assert deadline.basis.startswith("KR law (10 calendar days) ends 2025-03-13")
    assert deadline.promise_due_at > deadline.due_at


def test_the_promise_wins_when_it_is_earlier_and_the_law_rule_is_still_reported() -> None:
    deadline = request_deadline(regime="US-CA", received_at=MONDAY_3_MARCH_2025)
    assert deadline.decided_by == "promise"
    assert deadline.law_due_at == datetime(2025, 4, 18, 6, 59, 59, tzinfo=UTC)
    assert "US-CA law (45 calendar days), which ends 2025-04-17" in deadline.basis


def test_us_extension_allows_45_more_days() -> None:
    deadline = request_deadline(regime="US-CA", received_at=MONDAY_3_MARCH_2025)
    assert deadline.extended_due_at == datetime(2025, 6, 2, 6, 59, 59, tzinfo=UTC)
    assert deadline.extension_rule is not None
    assert "45 more calendar days" in deadline.extension_rule


def test_regimes_without_an_extension_have_none() -> None:
    deadline = request_deadline(regime="CN", received_at=MONDAY_3_MARCH_2025)
    assert deadline.extended_due_at is None


@pytest.mark.parametrize(
    ("received", "due"),
    [(date(2025, 1, 31), date(2025, 2, 28)), (date(2024, 1, 31), date(2024, 2, 29))],
)
def test_eu_one_month_from_january_31_ends_on_the_last_day_of_february(
    received: date, due: date
) -> None:
    at = datetime(received.year, received.month, received.day, 10, tzinfo=UTC)
    deadline = request_deadline(regime="EU", received_at=at)
    assert deadline.decided_by == "law"
    assert deadline.due_date == due


def test_eu_month_ending_on_a_sunday_rolls_to_monday() -> None:
    deadline = request_deadline(regime="EU", received_at=datetime(2025, 2, 16, 10, tzinfo=UTC))
    assert deadline.decided_by == "law"
    assert deadline.due_date == date(2025, 3, 17)
    assert deadline.due_at == datetime(2025, 3, 17, 22, 59, 59, tzinfo=UTC)


def test_eu_month_rolls_over_member_state_christmas_holidays_when_the_state_is_known() -> None:
    received = datetime(2025, 11, 25, 10, tzinfo=UTC)
    german = request_deadline(regime="EU", received_at=received, country="DE")
    unknown_state = request_deadline(regime="EU", received_at=received)
    assert german.law_due_at == datetime(2025, 12, 29, 22, 59, 59, tzinfo=UTC)
    assert unknown_state.law_due_at == datetime(2025, 12, 25, 22, 59, 59, tzinfo=UTC)
    assert any("only weekends" in note for note in unknown_state.caveats)


def test_eu_day_is_counted_in_the_member_state_time_zone() -> None:
    lisbon_late_evening = datetime(2025, 1, 31, 23, 30, tzinfo=UTC)  # 1 Feb 00:30 in Brussels
    portugal = request_deadline(regime="EU", received_at=lisbon_late_evening, country="PT")
    assert portugal.timezone == "Europe/Lisbon"
    assert portugal.due_date == date(2025, 2, 28)
    assert portugal.due_at == datetime(2025, 2, 28, 23, 59, 59, tzinfo=UTC)
    brussels = request_deadline(regime="EU", received_at=lisbon_late_evening)
    assert brussels.law_due_at == datetime(2025, 3, 3, 22, 59, 59, tzinfo=UTC)


def test_eu_extension_runs_two_months_on_from_the_end_of_the_first_month() -> None:
    deadline = request_deadline(regime="EU", received_at=datetime(2025, 1, 31, 10, tzinfo=UTC))
    assert deadline.extended_due_at == datetime(2025, 4, 28, 21, 59, 59, tzinfo=UTC)


def test_eu_internal_target_is_the_28_day_sla_when_earlier() -> None:
    deadline = request_deadline(regime="EU", received_at=MONDAY_3_MARCH_2025)
    assert deadline.target_at == datetime(2025, 3, 31, 21, 59, 59, tzinfo=UTC)


def test_chinese_request_crosses_golden_week_and_both_make_up_days() -> None:
    friday = datetime(2025, 9, 26, 10, tzinfo=BEIJING)
    deadline = request_deadline(regime="CN", received_at=friday)
    # Sun 28 Sep and Sat 11 Oct are working days; 1-8 Oct are not.
    assert deadline.due_date == date(2025, 10, 23)
    assert deadline.due_at == datetime(2025, 10, 23, 15, 59, 59, tzinfo=UTC)
    assert deadline.calendar_confirmed
    assert deadline.timezone == "Asia/Shanghai"


def test_chinese_request_over_spring_festival_2026_counts_the_make_up_saturdays() -> None:
    deadline = request_deadline(regime="CN", received_at=datetime(2026, 2, 10, 10, tzinfo=BEIJING))
    assert deadline.due_date == date(2026, 3, 9)


def test_chinese_clock_starts_on_the_beijing_day_not_the_utc_day() -> None:
    utc_thursday_evening = datetime(2025, 3, 6, 16, 30, tzinfo=UTC)  # Friday 00:30 in Beijing
    utc_thursday_afternoon = datetime(2025, 3, 6, 15, 30, tzinfo=UTC)  # Thursday 23:30
    assert request_deadline(regime="CN", received_at=utc_thursday_evening).due_date == date(
        2025, 3, 28
    )
    assert request_deadline(regime="CN", received_at=utc_thursday_afternoon).due_date == date(
        2025, 3, 27
    )


def test_chinese_year_missing_from_the_holidays_package_is_flagged_not_hidden() -> None:
    deadline = request_deadline(regime="CN", received_at=datetime(2090, 6, 1, 10, tzinfo=BEIJING))
    assert not deadline.calendar_confirmed
    assert any("2090" in note and "State Council" in note for note in deadline.caveats)


def test_a_business_day_promise_uses_the_regime_calendar() -> None:
    deadline = request_deadline(
        regime="CN",
        received_at=datetime(2025, 9, 26, 10, tzinfo=BEIJING),
        promised_days=10,
        promised_business_days=True,
    )
    assert deadline.decided_by == "promise"
    assert deadline.due_date == date(2025, 10, 16)


def test_india_rule_applies_to_requests_from_13_may_2027() -> None:
    deadline = request_deadline(regime="IN", received_at=datetime(2027, 6, 1, 6, tzinfo=UTC))
    assert deadline.law_due_at == datetime(2027, 8, 30, 18, 29, 59, tzinfo=UTC)
    assert deadline.decided_by == "promise"


def test_partly_verified_rules_carry_a_caveat() -> None:
    deadline = request_deadline(regime="BR", received_at=MONDAY_3_MARCH_2025)
    assert any("partly" in note for note in deadline.caveats)


def test_unknown_regime_code_raises_a_clear_value_error() -> None:
    with pytest.raises(UnknownRegimeError, match="unknown regime 'XX'; known regimes: EU, GB"):
        request_deadline(regime="XX", received_at=MONDAY_3_MARCH_2025)
    assert issubclass(UnknownRegimeError, ValueError)


def test_a_naive_receipt_time_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        request_deadline(regime="EU", received_at=datetime(2025, 3, 3, 9))


def test_inquiry_aims_for_five_and_is_due_in_seven_chinese_business_days() -> None:
    inquiry = inquiry_deadline(regime="CN", received_at=datetime(2025, 9, 26, 10, tzinfo=BEIJING))
    assert inquiry.target_at == datetime(2025, 10, 10, 15, 59, 59, tzinfo=UTC)
    assert inquiry.due_at == datetime(2025, 10, 13, 15, 59, 59, tzinfo=UTC)


def test_inquiry_skips_thanksgiving_and_the_california_day_after() -> None:
    monday = datetime(2025, 11, 24, 9, tzinfo=UTC)
    inquiry = inquiry_deadline(regime="US-CA", received_at=monday)
    assert inquiry.target_at == datetime(2025, 12, 4, 7, 59, 59, tzinfo=UTC)  # Wed 3 Dec, PST
    assert inquiry.due_at == datetime(2025, 12, 6, 7, 59, 59, tzinfo=UTC)  # Fri 5 Dec


def test_inquiry_bounds_can_come_from_the_declared_policy() -> None:
    inquiry = inquiry_deadline(
        regime="CN",
        received_at=datetime(2025, 9, 26, 10, tzinfo=BEIJING),
        target_business_days=3,
        due_business_days=4,
    )
    assert inquiry.target_at == datetime(2025, 9, 30, 15, 59, 59, tzinfo=UTC)
    assert inquiry.due_at == datetime(2025, 10, 9, 15, 59, 59, tzinfo=UTC)
    with pytest.raises(ValueError, match="target_business_days"):
        inquiry_deadline(regime="CN", received_at=MONDAY_3_MARCH_2025, target_business_days=8)
