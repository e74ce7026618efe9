"""Derived documents: they hold what the declaration says, and follow it when it changes."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from privacyops.policy import render, stores
from privacyops.policy.base import Lang
from privacyops.policy.schema import Declaration

NEW_COOKIE = (
    "cookies:\n",
    "cookies:\n"
    "  - name: fst_theme\n"
    '    section: "2.4"\n'
    "    category: functional\n"
    "    provider: FSTSMART\n"
    "    first_party: true\n"
    "    domain: fstsmart.com\n"
    "    max_age_days: 30\n"
    "    purpose: service_support\n"
    "    description: {en: Remembers dark or light mode., zh-CN: 记住深色或浅色模式。}\n",
    "\ncookies:\n",
)
# approximate_location gains analytics: its Apple type, Play type and ROPA rows must follow.
LOCATION_FOR_ANALYTICS = (
    "purposes: [service_support, anti_fraud, legal_obligations]",
    "purposes: [service_support, anti_fraud, legal_obligations, product_analytics]",
    "- key: approximate_location",
)


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _apple_type(decl: Declaration, asc_id: str) -> dict[str, Any]:
    types: dict[str, dict[str, Any]] = {
        t["asc_id"]: t for t in render.apple_answers(decl)["data_types"]
    }
    return types[asc_id]


def _play_type(decl: Declaration, response_id: str) -> dict[str, Any]:
    types: dict[str, dict[str, Any]] = {
        t["response_id"]: t for t in render.datasafety_answers(decl)["data_types"]
    }
    return types[response_id]


# --- the public page -------------------------------------------------------------------------


def test_page_has_every_section_heading_in_its_language(declaration: Declaration) -> None:
    for lang in ("en", "zh-CN"):
        page = render.render_page(declaration, lang)
        for section in declaration.sections:
            number = section.id if "." in section.id else f"{section.id}."
            assert f"{number} {section.title.get(lang)}</h" in page


def test_zh_page_has_chinese_headings(declaration: Declaration) -> None:
    page = render.render_page(declaration, "zh-CN")
    headings = re.findall(r"<h[1-3]>(.*?)</h[1-3]>", page)
    assert "隐私政策" in headings
    assert "1. 概述与适用范围" in headings
    assert "2.2 收集的信息类型" in headings
    assert "11. 联系我们" in headings
    brand_names = {"7.1 Apple App Store", "7.2 Google Play"}
    assert all(re.search(r"[\u4e00-\u9fff]", h) for h in headings if h not in brand_names)
    assert "Overview and Scope" not in page
    assert 'lang="zh-CN"' in page


def test_page_states_what_the_declaration_declares(declaration: Declaration) -> None:
    page = render.render_page(declaration, "en")
    for cat in declaration.categories:
        assert cat.label.en in page
    for purpose in declaration.purposes:
        assert purpose.label.en in page
    for recipient in declaration.recipients:
        assert recipient.label.en in page
    for cookie in declaration.cookies:
        assert cookie.name in page
    for right in declaration.rights.items:
        assert right.label.en in page
    assert "support@fstsmart.com" in page
    assert "lixiufeng@fstsmart.com" in page
    assert "within 30 calendar days" in page
    assert "within 5 to 7 business days" in page
    assert "https://www.fstsmart.com/account/delete" in page
    assert "Minimum age: 16" in page
    assert "April 13, 2026" in page
    assert "We do not sell, rent or trade your personal information." in page


def test_page_escapes_declaration_text(variant: Callable[..., Any]) -> None:
    edited = variant(("en: Our affiliates", "en: Our <b>affiliates</b>"))
    page = render.render_page(edited.load(), "en")
    assert "Our &lt;b&gt;affiliates&lt;/b&gt;" in page
    assert "<b>" not in page


def test_page_text_comes_from_the_declaration(
    declaration: Declaration, variant: Callable[..., Any]
) -> None:
    edited = variant(
        (
            "en: Understand how our products are used",
            "en: Learn which features people rely on",
        )
    ).load()
    before, after = render.render_page(declaration, "en"), render.render_page(edited, "en")
    assert "Understand how our products are used" in before
    assert "Learn which features people rely on" in after
    assert "Understand how our products are used" not in after


# --- cookies ---------------------------------------------------------------------------------


def test_cookie_rows(declaration: Declaration) -> None:
    rows = {row["name"]: row for row in render.cookie_rows(declaration)}
    assert set(rows) == {c.name for c in declaration.cookies}
    assert rows["fst_session"]["duration"] == "Until you close the browser"
    assert rows["fst_session"]["requires_consent"] is False
    assert rows["fst_aid"]["category"] == "analytics"
    assert rows["fst_aid"]["requires_consent"] is True
    assert render.cookie_rows(declaration, "zh-CN")[0]["category_label"] == "必要 Cookie"


def test_adding_a_cookie_changes_the_table_and_the_page(
    declaration: Declaration, variant: Callable[..., Any]
) -> None:
    edited = variant(NEW_COOKIE).load()
    assert "fst_theme" not in render.cookies_html(declaration)
    assert "fst_theme" in [row["name"] for row in render.cookie_rows(edited)]
    assert "fst_theme" in render.cookies_html(edited)
    assert "30 days" in render.cookies_html(edited)
    assert "fst_theme" in render.render_page(edited, "en")
    assert "记住深色或浅色模式。" in render.render_page(edited, "zh-CN")


# --- Apple -----------------------------------------------------------------------------------


def test_apple_answers(declaration: Declaration) -> None:
    answers = render.apple_answers(declaration)
    assert answers["tracking"] is False
    email = _apple_type(declaration, "EMAIL_ADDRESS")
    assert email["linked_to_identity"] is True
    assert email["used_for_tracking"] is False
    assert set(email["from_categories"]) == {"account", "contact"}
    assert "APP_FUNCTIONALITY" in email["purposes"]
    known = stores.apple_types()
    assert all(t["asc_id"] in known for t in answers["data_types"])
    assert "BROWSING_HISTORY" not in {t["asc_id"] for t in answers["data_types"]}


def test_fastlane_details_are_valid_json_in_its_shape(declaration: Declaration) -> None:
    details = json.loads(json.dumps(render.app_privacy_details(declaration)))
    assert details
    for item in details:
        assert set(item) == {"category", "purposes", "data_protections"}
        assert item["data_protections"] == ["DATA_LINKED_TO_YOU"]
        assert set(item["purposes"]) <= set(stores.apple_purposes())


def test_apple_follows_a_purpose_change(
    declaration: Declaration, variant: Callable[..., Any]
) -> None:
    edited = variant(LOCATION_FOR_ANALYTICS).load()
    assert "ANALYTICS" not in _apple_type(declaration, "COARSE_LOCATION")["purposes"]
    assert "ANALYTICS" in _apple_type(edited, "COARSE_LOCATION")["purposes"]
    assert render.apple_html(edited) != render.apple_html(declaration)


def test_apple_tracking_flag_reaches_the_label(variant: Callable[..., Any]) -> None:
    edited = variant(
        ("tracking: false", "tracking: true", "- key: log_behavior"),
        ("cross_context_advertising: false", "cross_context_advertising: true"),
    ).load()
    details = {d["category"]: d for d in render.app_privacy_details(edited)}
    assert "DATA_USED_TO_TRACK_YOU" in details["PRODUCT_INTERACTION"]["data_protections"]
    assert render.apple_answers(edited)["tracking"] is True


# --- Google Play Data safety ----------------------------------------------------------------


def test_datasafety_csv_has_exactly_the_template_layout(declaration: Declaration) -> None:
    rendered = _csv(render.datasafety_csv(declaration))
    template = _csv(stores.template_text())
    assert rendered[0] == template[0]
    assert rendered[0] == [
        "Question ID (machine readable)",
        "Response ID (machine readable)",
        "Response value",
        "Answer requirement",
        "Human-friendly question label",
    ]
    keys = [(r[0], r[1], r[3], r[4]) for r in rendered[1:]]
    assert keys == [(r[0], r[1], r[3], r[4]) for r in template[1:]]
    assert len(rendered) == 783


def test_datasafety_csv_only_fills_the_value_column(declaration: Declaration) -> None:
    rendered = _csv(render.datasafety_csv(declaration))
    blanked = io.StringIO()
    csv.writer(blanked, lineterminator="\n").writerows(
        [[*row[:2], "", *row[3:]] if i else row for i, row in enumerate(rendered)]
    )
    assert blanked.getvalue() == stores.template_text()


def test_datasafety_values(declaration: Declaration) -> None:
    values = {(r[0], r[1]): r[2] for r in _csv(render.datasafety_csv(declaration))[1:]}
    assert values[("PSL_DATA_COLLECTION_COLLECTS_PERSONAL_DATA", "")] == "true"
    assert values[("PSL_DATA_COLLECTION_ENCRYPTED_IN_TRANSIT", "")] == "true"
    assert values[("PSL_ACCOUNT_DELETION_URL", "")] == "https://www.fstsmart.com/account/delete"
    assert values[("PSL_SUPPORT_DATA_DELETION_BY_USER", "DATA_DELETION_YES")] == "true"
    assert values[("PSL_SUPPORTED_ACCOUNT_CREATION_METHODS", "PSL_ACM_USER_ID_PASSWORD")] == "true"
    assert values[("PSL_DATA_TYPES_LOCATION", "PSL_APPROX_LOCATION")] == "true"
    assert values[("PSL_DATA_TYPES_LOCATION", "PSL_PRECISE_LOCATION")] == ""
    usage = "PSL_DATA_USAGE_RESPONSES:PSL_APPROX_LOCATION:"
    assert values[(usage + "PSL_DATA_USAGE_EPHEMERAL", "")] == "false"
    assert (
        values[(usage + "DATA_USAGE_USER_CONTROL", "PSL_DATA_USAGE_USER_CONTROL_REQUIRED")]
        == "true"
    )
    assert values[(usage + "DATA_USAGE_COLLECTION_PURPOSE", "PSL_ANALYTICS")] == ""
    # Contact data reaches logistics providers, an independent controller: "shared".
    name = "PSL_DATA_USAGE_RESPONSES:PSL_NAME:"
    assert (
        values[(name + "PSL_DATA_USAGE_COLLECTION_AND_SHARING", "PSL_DATA_USAGE_ONLY_SHARED")]
        == "true"
    )
    assert values[(name + "DATA_USAGE_SHARING_PURPOSE", "PSL_APP_FUNCTIONALITY")] == "true"


def test_datasafety_follows_a_purpose_change(
    declaration: Declaration, variant: Callable[..., Any]
) -> None:
    edited = variant(LOCATION_FOR_ANALYTICS).load()
    assert (
        "PSL_ANALYTICS" not in _play_type(declaration, "PSL_APPROX_LOCATION")["collection_purposes"]
    )
    assert "PSL_ANALYTICS" in _play_type(edited, "PSL_APPROX_LOCATION")["collection_purposes"]
    assert render.datasafety_csv(edited) != render.datasafety_csv(declaration)
    assert render.datasafety_html(edited) != render.datasafety_html(declaration)


def test_datasafety_sharing_follows_the_recipient_role(variant: Callable[..., Any]) -> None:
    edited = variant(("role: controller", "role: processor", "- key: logistics")).load()
    assert _play_type(edited, "PSL_ADDRESS")["shared"] is False


# --- records of processing -------------------------------------------------------------------


def test_ropa_has_one_row_per_category_and_purpose(declaration: Declaration) -> None:
    rows = render.ropa_rows(declaration)
    expected = {(c.key, p) for c in declaration.categories for p in c.purposes}
    assert {(r["category_key"], r["purpose_key"]) for r in rows} == expected
    assert len(rows) == len(expected)
    analytics = next(
        r
        for r in rows
        if (r["category_key"], r["purpose_key"]) == ("log_behavior", "product_analytics")
    )
    assert analytics["lawful_basis_gdpr"] == "Consent"
    assert analytics["consent_required"] == "Yes"
    assert analytics["retention_rule"] == "fixed:365d"
    assert "TLS/SSL" in analytics["security_measures"]
    assert analytics["controller"] == declaration.controller.name


def test_ropa_lists_recipients_transfers_and_safeguards(declaration: Declaration) -> None:
    rows = {(r["category_key"], r["purpose_key"]): r for r in render.ropa_rows(declaration)}
    order = rows[("key_account", "order_cooperation")]
    assert "Payment partners" in order["recipients"]
    assert "Logistics providers" in order["recipients"]
    assert "Legal and compliance institutions" not in order["recipients"]
    assert "standard contractual clauses" in order["safeguards"]
    assert order["retention_rule"].startswith("legal:3y")
    sensitive = rows[("sensitive_data", "consented_uses")]
    assert sensitive["lawful_basis_pipl"] == "Separate consent"


def test_ropa_csv_and_html(declaration: Declaration) -> None:
    table = _csv(render.ropa_csv(declaration))
    assert table[0][:4] == ["controller", "controller_contact", "category_key", "category"]
    assert len(table) == 1 + len(render.ropa_rows(declaration))
    assert "个人信息处理活动记录" in render.ropa_html(declaration, "zh-CN")


def test_ropa_follows_a_purpose_change(
    declaration: Declaration, variant: Callable[..., Any]
) -> None:
    edited = variant(LOCATION_FOR_ANALYTICS).load()
    pairs = {(r["category_key"], r["purpose_key"]) for r in render.ropa_rows(edited)}
    assert ("approximate_location", "product_analytics") in pairs
    assert len(render.ropa_rows(edited)) == len(render.ropa_rows(declaration)) + 1
    assert render.ropa_html(edited) != render.ropa_html(declaration)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_fragments_render_in_both_languages(declaration: Declaration, lang: Lang) -> None:
    for fragment in (
        render.apple_html(declaration, lang),
        render.datasafety_html(declaration, lang),
        render.cookies_html(declaration, lang),
        render.ropa_html(declaration, lang),
    ):
        assert fragment.startswith("<section")
        assert f'lang="{lang}"' in fragment
