"""The privacy center's contact and cooperation forms, end to end over HTTP, in both languages."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jinja2.ext import babel_extract
from sqlalchemy import select
from tests.collection.test_intake import counts

import privacyops
from privacyops.collection.models import TextFinding
from privacyops.collection.views import FORM_COOKIE
from privacyops.db import Database
from privacyops.subjects.models import PersonalRecord, Subject
from privacyops.web.i18n import translations
from privacyops.web.limits import Allowance

FORMS = ("contact.html", "cooperation.html", "contact_form_macros.html")


@pytest.fixture
def browser(new_client: Callable[[], TestClient]) -> TestClient:
    return new_client()


def token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def open_form(client: TestClient, path: str, lang: str) -> str:
    page = client.get(f"{path}?lang={lang}")
    assert page.status_code == 200
    assert FORM_COOKIE in page.cookies or client.cookies.get(FORM_COOKIE)
    return token(page.text)


def rows(db: Database) -> list[PersonalRecord]:
    with db.unit_of_work() as session:
        found = list(session.scalars(select(PersonalRecord).order_by(PersonalRecord.id)))
        session.expunge_all()
        return found


def test_both_languages_have_every_form_text() -> None:
    center = Path(privacyops.__file__).parent / "web" / "templates" / "center"
    found = [
        message
        for name in FORMS
        for _line, _func, message, _comments in babel_extract(
            (center / name).open("rb"), ("_", "gettext", "ngettext", "pgettext"), [], {}
        )
    ]
    assert len(found) > 40
    zh = translations("zh-CN")
    for message in found:
        texts = [m for m in (message if isinstance(message, tuple) else (message,)) if m]
        assert any(zh.gettext(t) != t or zh.ngettext(t, t, 1) != t for t in texts), texts


@pytest.mark.parametrize(
    ("lang", "title", "thanks"),
    [("en", "Contact us", "we received your message"), ("zh-CN", "联系我们", "我们已收到您的留言")],
)
def test_the_contact_form_stores_through_intake_and_confirms(
    browser: TestClient, db: Database, lang: str, title: str, thanks: str
) -> None:
    page = browser.get(f"/contact?lang={lang}")
    assert page.status_code == 200
    assert f"<h1>{title}</h1>" in page.text
    assert f'lang="{lang}"' in page.text
    sent = browser.post(
        f"/contact?lang={lang}",
        data={
            "csrf_token": token(page.text),
            "name": "Dana Example",
            "email": "dana@example.com",
            "company": "Example Grid Co.",
            "country": "DE",
            "message": "Please call me back on +86 138 0000 0099 about an order.",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    confirmation = browser.get(sent.headers["location"])
    assert thanks in confirmation.text
    assert 'role="status"' in confirmation.text
    stored = rows(db)
    assert {(r.category, r.field) for r in stored} == {
        ("contact", "name"),
        ("contact", "email"),
        ("contact", "company"),
        ("contact", "country"),
        ("support", "ticket_id"),
        ("support", "message"),
        ("support", "channel"),
        ("support", "created_at"),
    }
    assert {r.purpose for r in stored} == {"service_support"}
    assert {r.source for r in stored} == {"contact_form"}
    with db.unit_of_work() as session:
        subject = session.scalars(select(Subject)).one()
        findings = list(session.scalars(select(TextFinding.entity_type)))
    assert (subject.kind, subject.jurisdiction) == ("prospect", "EU")
    assert findings  # the phone number in the message, as type and position only


@pytest.mark.parametrize(
    ("lang", "email_error", "name_error"),
    [
        ("en", "Please enter a valid e-mail address", "Please fill in this field."),
        ("zh-CN", "请填写有效的电子邮箱", "请填写此项。"),
    ],
)
def test_field_errors_are_shown_together_and_nothing_is_stored(
    browser: TestClient, db: Database, lang: str, email_error: str, name_error: str
) -> None:
    csrf = open_form(browser, "/contact", lang)
    refused = browser.post(
        f"/contact?lang={lang}",
        data={"csrf_token": csrf, "name": "", "email": "not-an-address", "message": "Hi"},
    )
    assert refused.status_code == 422
    assert email_error in refused.text
    assert name_error in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert 'value="not-an-address"' in refused.text
    assert counts(db) == (0, 0)


def test_an_e_mail_or_phone_is_needed(browser: TestClient, db: Database) -> None:
    csrf = open_form(browser, "/contact", "en")
    refused = browser.post("/contact", data={"csrf_token": csrf, "name": "Dana"})
    assert refused.status_code == 422
    assert "Please give an e-mail address or a phone number." in refused.text
    assert counts(db) == (0, 0)


def test_a_submission_without_the_form_token_or_from_elsewhere_is_refused(
    browser: TestClient, new_client: Callable[[], TestClient], db: Database
) -> None:
    data = {"name": "Dana", "email": "dana@example.com"}
    assert browser.post("/contact", data=data).status_code == 400
    csrf = open_form(browser, "/contact", "en")
    foreign = browser.post(
        "/contact",
        data={**data, "csrf_token": csrf},
        headers={"origin": "https://evil.example.net"},
    )
    assert foreign.status_code == 400
    assert "expired or was sent from elsewhere" in foreign.text
    other_browser = new_client()  # has no cookie: a token copied from another visitor fails
    assert other_browser.post("/contact", data={**data, "csrf_token": csrf}).status_code == 400
    forged = csrf.rsplit(".", 1)[0] + "." + "0" * 64
    browser.cookies.set(FORM_COOKIE, forged)
    assert browser.post("/contact", data={**data, "csrf_token": forged}).status_code == 400
    assert counts(db) == (0, 0)


def test_a_flood_from_one_address_is_rate_limited(browser: TestClient, db: Database) -> None:
    browser.app.state.form_allowances = {"": Allowance(limit=2)}  # type: ignore[attr-defined]
    statuses = []
    for n in range(3):
        csrf = open_form(browser, "/contact", "zh-CN")
        response = browser.post(
            "/contact?lang=zh-CN",
            data={"csrf_token": csrf, "name": f"Dana {n}", "email": f"dana{n}@example.com"},
            follow_redirects=False,
        )
        statuses.append(response.status_code)
    assert statuses == [303, 303, 429]
    assert "留言过多" in response.text
    assert counts(db)[0] == 2


@pytest.mark.parametrize(
    ("lang", "title", "thanks"),
    [
        ("en", "Key-account cooperation", "we received your request"),
        ("zh-CN", "大客户合作", "我们已收到您的申请"),
    ],
)
def test_the_cooperation_form_keeps_the_request_for_the_legal_period(
    browser: TestClient, db: Database, lang: str, title: str, thanks: str
) -> None:
    page = browser.get(f"/cooperation?lang={lang}")
    assert f"<h1>{title}</h1>" in page.text
    sent = browser.post(
        f"/cooperation?lang={lang}",
        data={
            "csrf_token": token(page.text),
            "company_name": "Example Utilities Ltd.",
            "contact_name": "Bao Sample",
            "job_title": "Procurement lead",
            "email": "bao@example.com",
            "phone": "+86 138 0000 0077",
            "cooperation_details": "About 400 smart breakers per quarter for a grid upgrade.",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert thanks in browser.get(sent.headers["location"]).text
    stored = rows(db)
    assert {r.category for r in stored} == {"key_account"}
    assert {r.purpose for r in stored} == {"order_cooperation"}
    for row in stored:
        assert row.expires_at is not None
        assert (row.expires_at - row.collected_at).days >= 3 * 365
    with db.unit_of_work() as session:
        assert session.scalars(select(Subject.kind)).one() == "business_contact"


def test_the_cooperation_form_names_the_missing_required_fields(
    browser: TestClient, db: Database
) -> None:
    csrf = open_form(browser, "/cooperation", "zh-CN")
    refused = browser.post(
        "/cooperation?lang=zh-CN",
        data={"csrf_token": csrf, "email": "bao@example.com", "cooperation_details": "x" * 20001},
    )
    assert refused.status_code == 422
    assert refused.text.count("请填写此项。") == 2
    assert counts(db) == (0, 0)


def test_the_privacy_center_links_to_both_forms(browser: TestClient) -> None:
    home = browser.get("/?lang=zh-CN")
    assert 'href="/contact?lang=zh-CN"' in home.text
    assert 'href="/cooperation?lang=zh-CN"' in home.text
