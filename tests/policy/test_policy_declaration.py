"""The real declaration: it validates, and it covers every promise of the policy text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from privacyops.policy import taxonomy
from privacyops.policy.base import section_refs
from privacyops.policy.loader import check, load_declaration
from privacyops.policy.promises import ALL_RIGHTS
from privacyops.policy.retention import AccountLife, Fixed, Legal
from privacyops.policy.schema import Declaration

# Every numbered section of spec/privacy-policy.txt (V1.0) that states something.
POLICY_SECTIONS = [
    "1", "2.1", "2.2", "2.3", "2.4", "3", "4", "5", "6", "7.1", "7.2", "7.3", "8", "9", "10", "11",
]  # fmt: skip

# Data the policy text names in 2.2 (and 2.4 for cookies), by declaration key.
NAMED_CATEGORIES = {
    "account", "contact", "support", "key_account", "device_model", "os_version",
    "browser_type", "ip_address", "log_behavior", "network_type", "approximate_location",
    "hardware_status", "electrical_parameters", "alarm_records", "cookies", "sensitive_data",
    "orders",  # transactions (sections 3 and 5: legal retention for transactions)
}  # fmt: skip


def test_the_real_declaration_validates(policy_path: Path) -> None:
    assert check(policy_path) == []
    assert isinstance(load_declaration(policy_path), Declaration)


@pytest.mark.parametrize("section", POLICY_SECTIONS)
def test_every_policy_section_is_covered(declaration: Declaration, section: str) -> None:
    cited = {ref for _loc, ref in section_refs(declaration)}
    assert section in cited, f"nothing in the declaration cites section {section}"


def test_declared_sections_match_the_policy_text(declaration: Declaration) -> None:
    headings = [s.id for s in declaration.sections]
    assert set(POLICY_SECTIONS) <= set(headings)
    assert set(headings) - set(POLICY_SECTIONS) == {"2", "7"}


def test_policy_metadata(declaration: Declaration) -> None:
    meta = declaration.policy
    assert (meta.version, meta.label, meta.change_class) == ("1.0.0", "V1.0", "major")
    assert meta.effective_date.isoformat() == "2026-04-13"
    assert declaration.controller.name == "Beijing FET Intelligent Electrical Technology Co., Ltd."
    assert declaration.controller.emails == ["support@fstsmart.com", "lixiufeng@fstsmart.com"]


def test_every_named_category_is_declared(declaration: Declaration) -> None:
    assert {c.key for c in declaration.categories} == NAMED_CATEGORIES


def test_electrical_parameters_allow_exactly_the_declared_fields(declaration: Declaration) -> None:
    fields = declaration.allowed_fields("electrical_parameters")
    measured = {"voltage", "current", "power", "energy", "power_factor", "frequency", "temperature"}
    assert measured <= set(fields)
    assert set(fields) - measured == {"device_id", "recorded_at"}
    assert fields["voltage"].unit == "V"
    assert "colour" not in fields


def test_taxonomy_keys_are_real(declaration: Declaration) -> None:
    for cat in declaration.categories:
        assert cat.fides_category in taxonomy.data_categories()
    for purpose in declaration.purposes:
        assert purpose.fides_use in taxonomy.data_uses()
    assert "marketing.foo" not in taxonomy.data_uses()
    assert "personalize.profiling" in taxonomy.deprecated()


def test_every_use_has_a_lawful_basis(declaration: Declaration) -> None:
    uses = list(declaration.uses())
    assert len(uses) == sum(len(c.purposes) for c in declaration.categories)
    for use in uses:
        assert use.basis.gdpr
        assert use.basis.pipl


def test_sensitive_data_needs_separate_consent_and_accepts_no_field(
    declaration: Declaration,
) -> None:
    sensitive = declaration.category("sensitive_data")
    assert sensitive.sensitive
    assert not sensitive.proactive
    assert declaration.allowed_fields("sensitive_data") == {}
    basis = declaration.basis("sensitive_data", "consented_uses")
    assert (basis.gdpr, basis.pipl) == ("consent", "separate_consent")
    assert declaration.basis("contact", "consented_uses").pipl == "consent"


def test_consent_purposes(declaration: Declaration) -> None:
    assert declaration.consent_purposes() == {"product_analytics", "consented_uses"}


def test_promises_are_machine_readable(declaration: Declaration) -> None:
    assert declaration.rights.sla.data_rights.days == 30
    assert declaration.rights.sla.data_rights.counting == "calendar"
    inquiries = declaration.rights.sla.general_inquiries
    assert (inquiries.min_days, inquiries.max_days, inquiries.counting) == (5, 7, "business")
    assert {r.key for r in declaration.rights.items} == set(ALL_RIGHTS)
    assert declaration.age_policy.minimum_age == 16
    assert declaration.app_stores.google_play.account_deletion_path == "/account/delete"
    assert declaration.app_stores.google_play.age_signals_from.isoformat() == "2026-01-01"
    assert not declaration.sharing.no_sale.sell
    assert declaration.storage.primary_region == "cn"
    assert declaration.security.incident_response.regulator_deadline_hours == 72
    assert {c.key for c in declaration.policy_updates.channels} == {
        "website_notice",
        "email",
        "in_app",
    }
    stores = {s.key for s in declaration.app_stores.others.stores}
    assert {"huawei", "xiaomi", "oppo", "vivo", "samsung"} <= stores
    laws = {law.key for r in declaration.legal_compliance.regimes for law in r.laws}
    assert laws >= {"pipl", "csl", "dsl", "gdpr", "ccpa_cpra", "uk_gdpr", "pipeda"}
    assert laws >= {"au_privacy_act", "appi", "pipa", "lgpd", "pdpa", "dpdpa"}


def test_lookups_fail_loudly(declaration: Declaration) -> None:
    with pytest.raises(KeyError):
        declaration.category("nope")
    with pytest.raises(KeyError):
        declaration.basis("account", "consented_uses")


def test_retention_rules_compute_expiry() -> None:
    collected = datetime(2024, 2, 29, 12, tzinfo=UTC)
    closed = datetime(2025, 1, 1, tzinfo=UTC)
    life = AccountLife(kind="account_life", grace_days=30)
    assert life.expires_at(collected_at=collected) is None
    assert life.expires_at(collected_at=collected, ended_at=closed) == datetime(
        2025, 1, 31, tzinfo=UTC
    )
    assert Fixed(kind="fixed", days=365).expires_at(collected_at=collected) == datetime(
        2025, 2, 28, 12, tzinfo=UTC
    )
    legal = Legal(kind="legal", years=3, law="test law")
    assert legal.expires_at(collected_at=collected) == datetime(2027, 2, 28, 12, tzinfo=UTC)
