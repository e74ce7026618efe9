"""Breach notification clocks for a fixed moment of awareness."""

from datetime import UTC, datetime, timedelta

import pytest

from privacyops.jurisdictions.enums import Audience, ClockBasis
from privacyops.jurisdictions.schemas import BreachClock
from privacyops.jurisdictions.service import UnknownRegimeError, breach_clocks

THURSDAY_BEFORE_EASTER_2025 = datetime(2025, 4, 17, 15, 0, tzinfo=UTC)


def _one(clocks: list[BreachClock], audience: Audience, stage: str = "notice") -> BreachClock:
    matches = [c for c in clocks if c.audience is audience and c.stage == stage]
    assert len(matches) == 1, matches
    return matches[0]


@pytest.mark.parametrize("regime", ["EU", "GB"])
def test_gdpr_regulator_clock_is_72_hours_and_individuals_have_no_fixed_clock(
    regime: str,
) -> None:
    clocks = breach_clocks(regimes=[regime], aware_at=THURSDAY_BEFORE_EASTER_2025)
    regulator = _one(clocks, Audience.REGULATOR)
    individuals = _one(clocks, Audience.INDIVIDUALS)
    assert regulator.due_at == THURSDAY_BEFORE_EASTER_2025 + timedelta(hours=72)
    assert regulator.rule == "72 hours from awareness"
    assert individuals.due_at is None
    assert individuals.rule == "no fixed clock"
    assert "without undue delay" in individuals.basis


def test_china_ungraded_incident_starts_the_4_hour_engineering_default() -> None:
    clocks = breach_clocks(regimes=["CN"], aware_at=THURSDAY_BEFORE_EASTER_2025)
    regulator = _one(clocks, Audience.REGULATOR)
    assert regulator.due_at == THURSDAY_BEFORE_EASTER_2025 + timedelta(hours=4)
    assert regulator.basis_kind is ClockBasis.ENGINEERING_DEFAULT
    assert "immediately" in regulator.basis


def test_china_major_incident_must_reach_the_provincial_cac_within_4_hours_by_law() -> None:
    clocks = breach_clocks(regimes=["CN"], aware_at=THURSDAY_BEFORE_EASTER_2025, major=True)
    regulator = _one(clocks, Audience.REGULATOR)
    assert regulator.due_at == THURSDAY_BEFORE_EASTER_2025 + timedelta(hours=4)
    assert regulator.basis_kind is ClockBasis.LAW
    assert regulator.recipient is not None
    assert "provincial CAC" in regulator.recipient
    assert regulator.threshold is not None
    assert "1,000,000" in regulator.threshold


def test_china_critical_infrastructure_incident_has_a_1_hour_clock() -> None:
    clocks = breach_clocks(
        regimes=["CN"],
        aware_at=THURSDAY_BEFORE_EASTER_2025,
        major=True,
        critical_infrastructure=True,
    )
    regulator = _one(clocks, Audience.REGULATOR)
    assert regulator.due_at == THURSDAY_BEFORE_EASTER_2025 + timedelta(hours=1)
    assert regulator.recipient == "protection department and public security organ"


def test_china_individuals_must_be_told_immediately_without_an_hour_count() -> None:
    clocks = breach_clocks(regimes=["CN"], aware_at=THURSDAY_BEFORE_EASTER_2025)
    individuals = _one(clocks, Audience.INDIVIDUALS)
    assert individuals.due_at is None
    assert "immediately" in individuals.basis


def test_brazil_three_business_days_skip_good_friday_the_weekend_and_tiradentes() -> None:
    clocks = breach_clocks(regimes=["BR"], aware_at=THURSDAY_BEFORE_EASTER_2025)
    end_of_thursday_24_april_brasilia = datetime(2025, 4, 25, 2, 59, 59, tzinfo=UTC)
    assert _one(clocks, Audience.REGULATOR).due_at == end_of_thursday_24_april_brasilia
    assert _one(clocks, Audience.INDIVIDUALS).due_at == end_of_thursday_24_april_brasilia
    supplement = _one(clocks, Audience.REGULATOR, "supplement")
    assert supplement.due_at == datetime(2025, 5, 21, 2, 59, 59, tzinfo=UTC)


def test_singapore_regulator_clock_is_three_calendar_days() -> None:
    clocks = breach_clocks(regimes=["SG"], aware_at=THURSDAY_BEFORE_EASTER_2025)
    regulator = _one(clocks, Audience.REGULATOR)
    assert regulator.due_at == datetime(2025, 4, 20, 15, 59, 59, tzinfo=UTC)  # Sun 20 Apr, SGT
    assert _one(clocks, Audience.INDIVIDUALS).due_at is None


def test_california_residents_within_30_days_then_attorney_general_15_days_later() -> None:
    clocks = breach_clocks(regimes=["US-CA"], aware_at=THURSDAY_BEFORE_EASTER_2025)
    individuals = _one(clocks, Audience.INDIVIDUALS)
    attorney_general = _one(clocks, Audience.REGULATOR)
    assert individuals.due_at == datetime(2025, 5, 18, 6, 59, 59, tzinfo=UTC)  # 17 May, PDT
    assert attorney_general.due_at == datetime(2025, 6, 2, 6, 59, 59, tzinfo=UTC)  # 1 Jun
    assert attorney_general.rule == "15 calendar days after the notice to individuals"
    assert attorney_general.threshold == "> 500 California residents notified"


def test_connecticut_attorney_general_is_due_no_later_than_the_residents() -> None:
    clocks = breach_clocks(regimes=["US-CT"], aware_at=THURSDAY_BEFORE_EASTER_2025)
    assert _one(clocks, Audience.REGULATOR).due_at == _one(clocks, Audience.INDIVIDUALS).due_at


def test_korea_gives_regulator_and_individuals_72_hours() -> None:
    clocks = breach_clocks(regimes=["KR"], aware_at=THURSDAY_BEFORE_EASTER_2025)
    expected = THURSDAY_BEFORE_EASTER_2025 + timedelta(hours=72)
    assert {c.due_at for c in clocks} == {expected}


def test_india_dpdp_clocks_are_not_in_force_before_13_may_2027() -> None:
    before = breach_clocks(regimes=["IN"], aware_at=THURSDAY_BEFORE_EASTER_2025)
    report = _one(before, Audience.REGULATOR, "detailed report")
    assert report.due_at is None
    assert report.rule.startswith("not in force until 2027-05-13")
    after_start = datetime(2027, 6, 1, 6, tzinfo=UTC)
    after = breach_clocks(regimes=["IN"], aware_at=after_start)
    report = _one(after, Audience.REGULATOR, "detailed report")
    assert report.due_at == after_start + timedelta(hours=72)


def test_clocks_from_several_regimes_come_soonest_first_with_unfixed_ones_last() -> None:
    clocks = breach_clocks(
        regimes=["US-CA", "EU", "CN", "EU"], aware_at=THURSDAY_BEFORE_EASTER_2025
    )
    fixed = [c.due_at for c in clocks if c.due_at is not None]
    assert fixed == sorted(fixed)
    assert [c.regime for c in clocks[:2]] == ["CN", "EU"]
    assert all(c.due_at is None for c in clocks[len(fixed) :])
    assert len([c for c in clocks if c.regime == "EU"]) == 2


def test_every_clock_carries_its_basis_and_a_law_or_source() -> None:
    codes = ["EU", "GB", "CN", "US-CA", "US-VA", "US-CO", "US-CT", "US-TX", "US-COPPA"]
    codes += ["CA", "CA-QC", "AU", "JP", "KR", "BR", "SG", "TH", "IN"]
    for clock in breach_clocks(regimes=codes, aware_at=THURSDAY_BEFORE_EASTER_2025):
        assert clock.basis
        assert clock.law or clock.source


def test_unknown_regime_in_breach_clocks_raises() -> None:
    with pytest.raises(UnknownRegimeError):
        breach_clocks(regimes=["EU", "ZZ"], aware_at=THURSDAY_BEFORE_EASTER_2025)
