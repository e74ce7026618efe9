"""Each kind of mistake in a declaration is reported as ``file:line: message``.

Every case edits the real declaration in one place, and the expected line is
found in the edited text, so the tests follow the file as it grows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import pytest

from privacyops.policy.loader import DeclarationError, Problem, check, load_declaration


class Case(NamedTuple):
    edit: tuple[str, ...]
    at: str  # the expected line holds this text (searched after edit[2], if given)
    messages: tuple[str, ...]


CASES: dict[str, Case] = {
    "unknown data use": Case(
        ("fides_use: analytics.reporting", "fides_use: marketing.foo"),
        "fides_use: marketing.foo",
        ("data use 'marketing.foo' is not in the taxonomy",),
    ),
    "deprecated data use": Case(
        ("fides_use: analytics.reporting", "fides_use: personalize.profiling"),
        "fides_use: personalize.profiling",
        ("data use 'personalize.profiling' is deprecated in the taxonomy",),
    ),
    "unknown data category": Case(
        ("fides_category: user.sensor\n", "fides_category: user.power\n"),
        "fides_category: user.power",
        ("data category 'user.power' is not in the taxonomy",),
    ),
    "unknown data category on a field": Case(
        ("fides_category: user.job_title}", "fides_category: user.jobtitle}"),
        "user.jobtitle",
        ("data category 'user.jobtitle' is not in the taxonomy",),
    ),
    "purpose without lawful basis": Case(
        ("    lawful_basis: {gdpr: consent, pipl: consent}\n", "", "- key: product_analytics"),
        "  - key: product_analytics",
        ("purpose 'product_analytics' has no lawful basis",),
    ),
    "consent basis without requires_consent": Case(
        ("requires_consent: true", "requires_consent: false", "- key: product_analytics"),
        "requires_consent: false\n    lawful_basis: {gdpr: consent",
        ("purpose 'product_analytics' relies on consent but requires_consent is false",),
    ),
    "retention of unknown kind": Case(
        ("retention: {kind: fixed, days: 365}", "retention: {kind: forever}"),
        "retention: {kind: forever}",
        (
            "categories[support].retention: retention rule cannot be computed: unknown kind "
            "'forever' (expected one of account_life, consent_life, fixed, legal)",
        ),
    ),
    "fixed retention without days": Case(
        ("retention: {kind: fixed, days: 365}", "retention: {kind: fixed}"),
        "retention: {kind: fixed}",
        (
            "categories[support].retention: retention rule cannot be computed: "
            "'fixed' needs 'days' as a whole number >= 1",
        ),
    ),
    "fixed retention of zero days": Case(
        ("retention: {kind: fixed, days: 365}", "retention: {kind: fixed, days: 0}"),
        "retention: {kind: fixed, days: 0}",
        (
            "categories[support].retention: retention rule cannot be computed: "
            "'fixed' needs 'days' as a whole number >= 1",
        ),
    ),
    "legal retention without law": Case(
        ("retention: {kind: legal, years: 3, law:", "retention: {kind: legal, years: 3, lw:"),
        "retention: {kind: legal",
        (
            "categories[key_account].retention: retention rule cannot be computed: "
            "'legal' needs 'law'",
        ),
    ),
    "cookie without category": Case(
        ("    category: analytics\n", "", "- name: fst_aid"),
        "  - name: fst_aid",
        ("cookies[fst_aid]: missing required field 'category'",),
    ),
    "cookie of unknown category": Case(
        ("category: analytics", "category: marketing", "- name: fst_aid"),
        "category: marketing",
        ("cookie 'fst_aid' has unknown category 'marketing'",),
    ),
    "unknown field": Case(
        ("    tracking: false\n", "    tracking: false\n    colour: red\n", "- key: account"),
        "    colour: red",
        ("categories[account]: unknown field 'colour'",),
    ),
    "unknown top-level field": Case(
        ("schema_version: 1\n", "schema_version: 1\nextras: {}\n"),
        "extras: {}",
        ("top level: unknown field 'extras'",),
    ),
    "wrong type": Case(
        ("minimum_age: 16", "minimum_age: sixteen"),
        "minimum_age: sixteen",
        ("age_policy.minimum_age: Input should be a valid integer",),
    ),
    "YAML syntax error": Case(
        ("  label: V1.0\n", "  label: V1.0: broken\n"),
        "  label: V1.0: broken",
        ("YAML syntax error: mapping values are not allowed here",),
    ),
    "duplicate key": Case(
        ("  label: V1.0\n", "  label: V1.0\n  label: V2\n"),
        "  label: V2",
        ("duplicate key 'label'",),
    ),
    "unknown purpose in a category": Case(
        (
            "purposes: [service_support, product_analytics]\n",
            "purposes: [service_support, product_analytic]\n",
            "- key: network_type",
        ),
        "purposes: [service_support, product_analytic]",
        ("purpose 'product_analytic' is not declared",),
    ),
    "recipient given a category it is not listed for": Case(
        ("categories: [key_account, orders]", "categories: [key_account, orders, contact]"),
        "categories: [key_account, orders, contact]",
        (
            "recipient 'payment_partners' may receive data category 'contact', "
            "which does not list it among its recipients",
        ),
    ),
    "sensitive data without separate consent": Case(
        (
            "    basis_overrides:\n      consented_uses: {gdpr: consent, pipl: separate_consent}\n",
            "",
        ),
        "    sensitive: true",
        (
            "sensitive data category 'sensitive_data' needs separate consent (pipl) "
            "and consent (gdpr) for purpose 'consented_uses'",
        ),
    ),
    "unknown Apple data type": Case(
        ("apple: [CUSTOMER_SUPPORT]", "apple: [CUSTOMER_SERVICE]"),
        "apple: [CUSTOMER_SERVICE]",
        ("Apple data type 'CUSTOMER_SERVICE' is not in the store's vocabulary",),
    ),
    "app data without store labels": Case(
        (
            "surfaces: [website, support]",
            "surfaces: [website, mobile_app, support]",
            "- key: key_account",
        ),
        "surfaces: [website, mobile_app, support]",
        (
            "data category 'key_account' is collected in the mobile app but has no Apple data type",
            "data category 'key_account' is collected in the mobile app "
            "but has no Google Play data type",
        ),
    ),
    "tracking the policy rules out": Case(
        ("tracking: false", "tracking: true", "- key: account"),
        "tracking: true",
        (
            "data category 'account' is used for tracking, "
            "but sharing.no_sale.cross_context_advertising is false",
        ),
    ),
    "storage outside the primary region": Case(
        ("storage: {primary: cn}", "storage: {primary: global_service}"),
        "storage: {primary: global_service}",
        (
            "data category 'device_model' is stored first in 'global_service', "
            "but the declared primary region is 'cn'",
        ),
    ),
    "section that does not exist": Case(
        ('section: "2.3"', 'section: "2.5"'),
        'section: "2.5"',
        ("section '2.5' is not in the declared sections",),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_problem_points_at_its_line(variant: Callable[..., Any], case: Case) -> None:
    edited = variant(case.edit)
    after = case.edit[2] if len(case.edit) == 3 else None
    # An item ("  - key: ...") is found from the top; anything else after the edit marker.
    line = edited.line(case.at, after=None if case.at.startswith("  - ") else after)
    expected = [f"policy/x.yaml:{line}: {message}" for message in case.messages]

    with pytest.raises(DeclarationError) as caught:
        load_declaration(edited.path)

    assert str(caught.value).splitlines() == expected
    assert check(edited.path) == [Problem("policy/x.yaml", line, m) for m in case.messages]


def test_problems_come_in_line_order(variant: Callable[..., Any]) -> None:
    edited = variant(
        ("fides_use: analytics.reporting", "fides_use: marketing.foo"),
        ("fides_category: user.sensor\n", "fides_category: user.power\n"),
    )
    problems = check(edited.path)
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    assert len(problems) == 2


def test_a_missing_file_is_a_problem_not_a_traceback(tmp_path: Any) -> None:
    missing = tmp_path / "none.yaml"
    [problem] = check(missing)
    assert problem.file == str(missing)
    assert problem.line == 1
    assert "cannot read the declaration" in problem.message


def test_a_non_mapping_document_is_refused(variant: Callable[..., Any]) -> None:
    edited = variant()
    with open(edited.path, "w", encoding="utf-8") as handle:
        handle.write("- just\n- a list\n")
    assert [str(p) for p in check(edited.path)] == [
        "policy/x.yaml:1: the declaration must be a YAML mapping"
    ]
