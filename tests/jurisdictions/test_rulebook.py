"""The packaged rulebook: complete, sourced, and refused when inconsistent."""

from importlib import resources
from typing import Any

import holidays
import pytest
import yaml

from privacyops.jurisdictions.enums import Verification
from privacyops.jurisdictions.rules import RuleBookError, load_rules, parse_rules

EIGHTEEN_REGIMES = {
    "EU",
    "GB",
    "CN",
    "US-CA",
    "US-VA",
    "US-CO",
    "US-CT",
    "US-TX",
    "US-COPPA",
    "CA",
    "CA-QC",
    "AU",
    "JP",
    "KR",
    "BR",
    "SG",
    "TH",
    "IN",
}


def _raw_rules() -> dict[str, Any]:
    text = resources.files("privacyops.jurisdictions").joinpath("rules.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _regime(data: dict[str, Any], code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in data["regimes"] if r["code"] == code)
    return found


def test_rulebook_holds_all_eighteen_regimes() -> None:
    assert set(load_rules().codes) == EIGHTEEN_REGIMES


def test_every_regime_has_sources_and_a_verification_mark() -> None:
    for regime in load_rules().regimes:
        assert regime.sources, regime.code
        assert all(source.startswith(("https://", "http://")) for source in regime.sources)
        assert regime.verification in set(Verification), regime.code
        assert regime.request_deadline.verification in set(Verification), regime.code
        assert regime.breach.verification in set(Verification), regime.code


def test_rulebook_says_it_is_derived_from_public_sources_and_not_legal_advice() -> None:
    disclaimer = load_rules().disclaimer.lower()
    assert "public sources" in disclaimer
    assert "not legal advice" in disclaimer


def test_every_breach_clock_cites_its_law_or_a_source() -> None:
    for regime in load_rules().regimes:
        for clock in regime.breach.clocks:
            assert clock.law or clock.source, f"{regime.code} {clock.audience} {clock.stage}"


def test_every_regime_calendar_is_one_the_holidays_package_supports() -> None:
    supported = holidays.list_supported_countries()
    for regime in load_rules().regimes:
        spec = regime.calendar
        if spec.holidays_country is None:
            continue
        assert spec.holidays_country in supported, regime.code
        if spec.holidays_subdivision is not None:
            assert spec.holidays_subdivision in supported[spec.holidays_country], regime.code


def test_china_keeps_its_cross_border_volume_bands() -> None:
    bands = load_rules().regime("CN").transfers.cn_thresholds
    assert bands is not None
    assert bands.exempt_below_non_sensitive_people == 100_000
    assert bands.security_assessment_from_non_sensitive_people == 1_000_000
    assert bands.security_assessment_from_sensitive_people == 10_000


def test_a_country_claimed_by_two_regimes_is_refused_naming_the_file() -> None:
    data = _raw_rules()
    _regime(data, "GB")["covers"]["countries"].append("DE")
    with pytest.raises(RuleBookError, match=r"^rules\.yaml:\d+: .*country DE claimed by EU and GB"):
        parse_rules(yaml.safe_dump(data, allow_unicode=True))


def test_a_state_gpc_date_that_disagrees_with_the_state_table_is_refused() -> None:
    data = _raw_rules()
    _regime(data, "US-CA")["gpc"]["since"] = "2021-01-01"
    with pytest.raises(RuleBookError, match="GPC date disagrees"):
        parse_rules(yaml.safe_dump(data, allow_unicode=True))


def test_a_breach_source_missing_from_the_regime_sources_is_refused() -> None:
    data = _raw_rules()
    _regime(data, "EU")["breach"]["clocks"][0]["source"] = "https://example.org/not-listed"
    with pytest.raises(RuleBookError, match="not in sources"):
        parse_rules(yaml.safe_dump(data, allow_unicode=True))


def test_a_regime_code_used_twice_is_refused() -> None:
    data = _raw_rules()
    _regime(data, "SG")["code"] = "TH"
    with pytest.raises(RuleBookError, match="regime code TH claimed by TH and TH"):
        parse_rules(yaml.safe_dump(data, allow_unicode=True))


def test_a_fallback_to_an_unknown_regime_is_refused() -> None:
    data = _raw_rules()
    data["country_mapping"]["default"] = "XX"
    with pytest.raises(RuleBookError, match="unknown regime 'XX'"):
        parse_rules(yaml.safe_dump(data, allow_unicode=True))


def test_a_bad_value_is_reported_with_file_line_and_path() -> None:
    text = resources.files("privacyops.jurisdictions").joinpath("rules.yaml").read_text("utf-8")
    broken = text.replace("      age: 13\n", "      age: 99\n", 1)
    line = broken.splitlines().index("      age: 99") + 1
    with pytest.raises(RuleBookError) as caught:
        parse_rules(broken)
    assert str(caught.value).startswith(f"rules.yaml:{line}: regimes.1.consent.age: ")


def test_text_that_is_not_yaml_is_refused_naming_the_file() -> None:
    with pytest.raises(RuleBookError, match=r"^rules\.yaml: not valid YAML"):
        parse_rules("regimes: [unclosed")
