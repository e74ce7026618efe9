"""Templates: every one renders in both languages, values are checked, HTML is escaped."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from privacyops.notify import templates
from privacyops.notify.errors import NotifyTemplateError
from privacyops.notify.templates import (
    LANGUAGES,
    SPECS,
    TemplateSpec,
    check_values,
    render,
    resolve_language,
)

EXPIRES = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)

#: Values for every template, split as a caller would: clear context, secret context.
SAMPLES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "request_received": (
        {
            "request_id": "DSR-1",
            "request_type": "deletion",
            "due_date": "2026-12-31",
            "status_url": "https://p.example.com/s/1",
        },
        {},
    ),
    "verification_code": ({"expires_at": EXPIRES.isoformat()}, {"code": "482913"}),
    "request_extended": (
        {"request_id": "DSR-1", "new_due_date": "2027-02-28", "reason": "many requests"},
        {},
    ),
    "request_completed": (
        {
            "request_id": "DSR-1",
            "request_type": "access",
            "actions": ["Collected your data from 4 systems"],
            "kept": [{"what": "Invoices", "why": "tax law, 10 years"}],
            "download_expires_at": "2026-12-08",
        },
        {"download_url": "https://p.example.com/d/secret-token"},
    ),
    "request_expired": ({"request_id": "DSR-1", "received_at": "2026-11-01"}, {}),
    "breach_notice": (
        {
            "reference": "INC-7",
            "nature": "A misconfigured server exposed a support database.",
            "categories": ["contact details", "support tickets"],
            "consequences": "Unwanted e-mail; a risk of phishing.",
            "measures": ["Closed the access", "Reset keys"],
            "recommendations": ["Be wary of e-mails asking for your password"],
            "contact": "privacy@fstsmart.example.com",
        },
        {},
    ),
    "policy_update": (
        {
            "version": "2.0.0",
            "change": "major",
            "summary": "New analytics purpose.",
            "policy_url": "https://www.example.com/policy",
            "consent_required": True,
            "effective_date": "2027-01-01",
        },
        {},
    ),
    "request_denied": (
        {
            "request_id": "R-2026-000042",
            "request_type": "access",
            "reason": "We hold no personal information about this address.",
            "authority": "Datatilsynet",
            "authority_url": "https://www.datatilsynet.dk",
            "privacy_center_url": "https://privacy.example.com/rights",
        },
        {},
    ),
    "clock_reminder": (
        {
            "reference": "INC-2026-0001",
            "title": "Support export exposed",
            "regime": "EU",
            "audience": "regulator",
            "due_at": "2026-12-04T22:20:00+00:00",
            "remaining": "3 h 59 min left",
            "rule": "72 hours from awareness · GDPR Art. 33",
            "incident_url": "https://privacy.example.com/admin/incidents/1",
        },
        {},
    ),
}


def test_every_template_has_samples() -> None:
    assert set(SAMPLES) == set(SPECS)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", sorted(SPECS))
def test_every_template_renders_in_both_languages(key: str, language: str) -> None:
    context, secret = SAMPLES[key]
    check_values(key, context, secret)
    out = render(key, language, {**context, **secret})
    assert out.language == language
    assert out.subject
    assert "\n" not in out.subject
    assert f'<html lang="{language}">' in out.html
    assert f"<title>{out.subject}</title>" in out.html
    if language == "zh-CN":
        assert any("\u4e00" <= ch <= "\u9fff" for ch in out.subject + out.text)


def test_the_code_and_the_download_link_appear_where_they_are_needed() -> None:
    out = render("verification_code", "en", {"expires_at": EXPIRES.isoformat(), "code": "482913"})
    assert "482913" in out.text
    assert "482913" in out.html
    assert "482913" not in out.subject  # lock screens show subjects
    assert "1 December 2026, 09:30 UTC" in out.text


def test_dates_are_written_for_each_language() -> None:
    context, _ = SAMPLES["request_received"]
    assert "31 December 2026" in render("request_received", "en", context).text
    assert "2026年12月31日" in render("request_received", "zh-CN", context).text


def test_html_escapes_values_and_text_does_not() -> None:
    context = dict(SAMPLES["breach_notice"][0], nature="<script>alert(1)</script> & more")
    out = render("breach_notice", "en", context)
    assert "<script>" not in out.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in out.html
    assert "<script>alert(1)</script> & more" in out.text


def test_policy_update_says_whether_consent_must_be_renewed() -> None:
    context = dict(SAMPLES["policy_update"][0])
    assert "need your consent again" in render("policy_update", "en", context).text
    context.update(consent_required=False, change="minor")
    text = render("policy_update", "zh-CN", context).text
    assert "您无需进行任何操作" in text
    assert "一般性变更" in text


@pytest.mark.parametrize(
    ("asked", "resolved"),
    [
        ("en", "en"),
        ("en-GB", "en"),
        ("zh-CN", "zh-CN"),
        ("zh", "zh-CN"),
        ("zh_Hans", "zh-CN"),
        ("fr", "en"),
        ("de-DE", "en"),
        ("", "en"),
    ],
)
def test_unknown_languages_fall_back_to_english(asked: str, resolved: str) -> None:
    assert resolve_language(asked) == resolved


def test_an_unknown_template_is_a_clear_error() -> None:
    with pytest.raises(NotifyTemplateError, match="unknown template 'welcome'"):
        render("welcome", "en", {})


def test_a_missing_template_file_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(templates.SPECS, "ghost", TemplateSpec(frozenset()))
    with pytest.raises(NotifyTemplateError, match=r"template file ghost\.txt is missing"):
        render("ghost", "zh-CN", {})


@pytest.mark.parametrize(
    ("context", "secret", "message"),
    [
        ({"expires_at": "x", "code": "1"}, {}, "code is personal: pass it in secret_context"),
        ({"expires_at": "x"}, {}, "needs code"),
        ({"expires_at": "x", "email": "a@b.c"}, {"code": "1"}, "no value named email"),
        ({"expires_at": "x"}, {"code": "1", "expires_at": "y"}, "in both"),
    ],
)
def test_values_are_checked_against_the_template(
    context: dict[str, Any], secret: dict[str, Any], message: str
) -> None:
    with pytest.raises(NotifyTemplateError, match=message):
        check_values("verification_code", context, secret)


def test_a_value_of_the_wrong_shape_fails_at_render_time() -> None:
    with pytest.raises(NotifyTemplateError, match="not a date"):
        render("request_expired", "en", {"request_id": "DSR-1", "received_at": "yesterday"})


def test_dates_may_be_given_as_date_objects() -> None:
    values = {"request_id": "DSR-1", "received_at": date(2026, 11, 1)}
    assert "1 November 2026" in render("request_expired", "en", values).text
