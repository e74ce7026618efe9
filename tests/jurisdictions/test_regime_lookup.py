"""From a person's country and state to regime, regulator, ages, cookies and GPC."""

from datetime import date

import pytest

from privacyops.jurisdictions.enums import ConsentModel, TransferRoute
from privacyops.jurisdictions.service import (
    InvalidPlaceError,
    cn_transfer_route,
    consent_age,
    cookie_model,
    get_regime,
    gpc_required,
    regime_for,
    regulator_for,
    sensitive_data_needs_separate_consent,
)


@pytest.mark.parametrize(
    ("country", "state", "regime"),
    [
        ("DE", None, "EU"),
        ("fr", None, "EU"),
        ("NO", None, "EU"),  # EEA; also proves YAML did not read NO as false
        ("IS", None, "EU"),
        ("RE", None, "EU"),  # Réunion, an EU outermost region
        ("GB", None, "GB"),
        ("UK", None, "GB"),
        ("CN", None, "CN"),
        ("US", "CA", "US-CA"),
        ("US", "US-TX", "US-TX"),
        ("US-CO", None, "US-CO"),
        ("US", "OR", "US-CA"),  # US fallback
        ("US", None, "US-CA"),
        ("CA", None, "CA"),
        ("CA", "QC", "CA-QC"),
        ("BR", None, "BR"),
        ("MX", None, "CN"),  # unknown country: default regime
        (None, None, "CN"),
        ("", None, "CN"),
    ],
)
def test_places_map_to_their_regime(country: str | None, state: str | None, regime: str) -> None:
    assert regime_for(country=country, state=state).code == regime


@pytest.mark.parametrize(("country", "state"), [("USA", None), ("U1", None), ("US", "CA-QC")])
def test_malformed_places_are_refused(country: str, state: str | None) -> None:
    with pytest.raises(InvalidPlaceError):
        regime_for(country=country, state=state)


def test_complainants_are_pointed_to_the_right_regulator() -> None:
    ico = regulator_for(country="GB")
    assert ico.name.startswith("Information Commissioner's Office")
    assert ico.website == "https://ico.org.uk/"
    assert regulator_for(country="CN").website == "https://www.cac.gov.cn/"
    assert "Art. 77" in regulator_for(country="DE").complaints


@pytest.mark.parametrize(
    ("country", "state", "policy_minimum", "age"),
    [
        ("DE", None, 16, 16),
        ("FR", None, 16, 16),
        ("ES", None, 16, 16),
        ("DE", None, 13, 16),
        ("FR", None, 13, 15),
        ("ES", None, 13, 14),
        ("US", "CA", 16, 16),
        ("US", "CA", 0, 13),
        ("CN", None, 16, 16),
        ("CN", None, 0, 14),
        ("TH", None, 16, 20),  # local law stricter than the policy
        ("IN", None, 16, 18),
    ],
)
def test_consent_age_is_the_stricter_of_policy_and_local_law(
    country: str, state: str | None, policy_minimum: int, age: int
) -> None:
    assert consent_age(country=country, state=state, policy_minimum=policy_minimum) == age


def test_coppa_applies_alongside_every_us_state() -> None:
    assert consent_age(country="US", state="FL", policy_minimum=0) == 13


def test_cookie_models_follow_the_regime() -> None:
    assert cookie_model(country="DE") is ConsentModel.OPT_IN
    assert cookie_model(country="DE", analytics=True) is ConsentModel.OPT_IN
    assert cookie_model(country="GB") is ConsentModel.OPT_IN
    assert cookie_model(country="GB", analytics=True) is ConsentModel.OPT_OUT
    assert cookie_model(country="US", state="CA") is ConsentModel.OPT_OUT
    assert cookie_model(country="CA", state="QC") is ConsentModel.OPT_IN


@pytest.mark.parametrize(
    ("state", "on", "required"),
    [
        ("CA", date(2020, 8, 13), False),
        ("CA", date(2020, 8, 14), True),
        ("CO", date(2024, 6, 30), False),
        ("CO", date(2024, 7, 1), True),
        ("NJ", date(2025, 7, 14), False),
        ("NJ", date(2025, 7, 15), True),
        ("OR", date(2025, 12, 31), False),
        ("OR", date(2026, 1, 1), True),
        ("VA", date(2026, 6, 1), False),
        ("FL", date(2026, 6, 1), False),
    ],
)
def test_gpc_duty_starts_on_each_state_date(state: str, on: date, required: bool) -> None:
    assert gpc_required(country="US", state=state, on=on) is required


def test_gpc_is_not_a_legal_duty_outside_the_us() -> None:
    assert not gpc_required(country="DE", on=date(2026, 6, 1))
    assert not gpc_required(country="CN", on=date(2026, 6, 1))


def test_gpc_for_a_us_person_without_a_state_follows_the_us_fallback() -> None:
    assert gpc_required(country="US", on=date(2026, 6, 1))


def test_sensitive_data_needs_separate_consent_where_the_law_says_so() -> None:
    assert sensitive_data_needs_separate_consent(country="CN")
    assert not sensitive_data_needs_separate_consent(country="US", state="CA")


def test_every_regime_can_be_fetched_by_its_code() -> None:
    assert get_regime("CA-QC").consent.age == 14


@pytest.mark.parametrize(
    ("non_sensitive", "sensitive", "route"),
    [
        (99_999, 0, TransferRoute.EXEMPT),
        (100_000, 0, TransferRoute.STANDARD_CONTRACT_OR_CERTIFICATION),
        (0, 1, TransferRoute.STANDARD_CONTRACT_OR_CERTIFICATION),
        (999_999, 9_999, TransferRoute.STANDARD_CONTRACT_OR_CERTIFICATION),
        (1_000_000, 0, TransferRoute.SECURITY_ASSESSMENT),
        (0, 10_000, TransferRoute.SECURITY_ASSESSMENT),
    ],
)
def test_china_outbound_transfer_route_follows_the_volume_bands(
    non_sensitive: int, sensitive: int, route: TransferRoute
) -> None:
    assessment = cn_transfer_route(non_sensitive_people=non_sensitive, sensitive_people=sensitive)
    assert assessment.route is route
    assert "Separate consent" in assessment.always


def test_china_critical_infrastructure_always_needs_a_security_assessment() -> None:
    assessment = cn_transfer_route(non_sensitive_people=10, critical_infrastructure=True)
    assert assessment.route is TransferRoute.SECURITY_ASSESSMENT
